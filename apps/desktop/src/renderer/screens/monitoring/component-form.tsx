// Adding or changing one component: its name and node id (required), what it
// is (type, application, generation type), the equipment's maker, model and
// serial number, a description, and whether it is a conceptual node (a
// grouping that sends no readings). Saved through the desktop's router, so
// it works offline and syncs later; core's refusals show at their field.
import { useId, useState, type FormEvent } from 'react';
import { api, describeError } from '../../client.js';
import { entries } from '../../labels.js';
import { applicationLabels, generationTypeLabels, nodeTypeLabels, type Component, type NodeType } from './component-labels.js';
import { namedMessage } from './component-tree.js';

interface ComponentForm {
  name: string;
  nodeId: string;
  nodeType: NodeType;
  application: Component['application'];
  generationType: Component['generationType'];
  oem: string;
  model: string;
  serialNumber: string;
  description: string;
  isConceptualNode: boolean;
}

type FormKey = keyof ComponentForm;
type Errors = Partial<Record<FormKey, string>>;

type TextKey = 'name' | 'nodeId' | 'oem' | 'model' | 'serialNumber' | 'description';
const optionalText = new Set<FormKey>(['oem', 'model', 'serialNumber', 'description']);

const labels: Record<FormKey, string> = {
  name: 'Component name',
  nodeId: 'Node id',
  nodeType: 'Component type',
  application: 'Application',
  generationType: 'Generation type',
  oem: 'Manufacturer',
  model: 'Model',
  serialNumber: 'Serial number',
  description: 'Description',
  isConceptualNode: 'Conceptual node: groups others, sends no readings',
};

/** What is usually added where: a meter at the top, inverters under it, strings under an inverter. */
const usualChild: Partial<Record<NodeType, NodeType>> = { METER: 'INVERTER', INVERTER: 'STRING', COMBINER: 'STRING', GATEWAY: 'METER' };

function formOf(c: Component | undefined, parentType: NodeType | undefined): ComponentForm {
  return {
    name: c?.name ?? '',
    nodeId: c?.nodeId ?? '',
    nodeType: c?.nodeType ?? (parentType ? (usualChild[parentType] ?? 'OTHER') : 'METER'),
    application: c?.application ?? 'GENERATION',
    generationType: c?.generationType ?? 'SOLAR',
    oem: c?.oem ?? '',
    model: c?.model ?? '',
    serialNumber: c?.serialNumber ?? '',
    description: c?.description ?? '',
    isConceptualNode: c?.isConceptualNode ?? false,
  };
}

/** The form's values as core takes them: text trimmed, empty optional text cleared (null). */
function valuesOf(form: ComponentForm) {
  const text = (key: TextKey) => {
    const v = form[key].trim();
    return optionalText.has(key) && v === '' ? null : v;
  };
  return {
    name: text('name') as string,
    nodeId: text('nodeId') as string,
    nodeType: form.nodeType,
    application: form.application,
    generationType: form.generationType,
    oem: text('oem'),
    model: text('model'),
    serialNumber: text('serialNumber'),
    description: text('description'),
    isConceptualNode: form.isConceptualNode,
  };
}

/** Core's refusal at the fields it names; what names no field goes above the buttons. */
function refusalOf(err: unknown, rows: readonly Component[]): { fields: Errors; general: string | undefined } {
  const shown = describeError(err);
  const fields: Errors = {};
  for (const detail of shown.details) {
    const key = detail.path?.split('.').pop() as FormKey | undefined;
    if (key && key in labels) fields[key] = detail.message;
  }
  const general = Object.keys(fields).length > 0 && shown.code === 'VALIDATION_ERROR' ? undefined : namedMessage(shown.message, rows);
  return { fields, general };
}

export function ComponentFormView(props: {
  siteId: string;
  /** Absent: a new component under `parentId`. */
  component?: Component;
  parentId: string | null;
  /** Where it goes, in words: "directly under the site", "under Meter". */
  placeWords: string;
  rows: readonly Component[];
  onDone(message: string): void;
  onCancel(): void;
}) {
  const id = useId();
  const initial = formOf(props.component, props.rows.find((r) => r.id === props.parentId)?.nodeType);
  const [form, setForm] = useState<ComponentForm>(initial);
  const [errors, setErrors] = useState<Errors>({});
  const [general, setGeneral] = useState<string>();
  const [busy, setBusy] = useState(false);
  const editing = props.component !== undefined;
  const title = editing ? `Edit ${props.component!.name}` : `New component ${props.placeWords}`;

  const set = <K extends FormKey>(key: K, value: ComponentForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors(({ [key]: _, ...rest }) => rest);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const values = valuesOf(form);
    const missing: Errors = {};
    if (!values.name) missing.name = 'Give the component a name.';
    if (!values.nodeId) missing.nodeId = 'Give the node id the device reports (a serial number or address).';
    setErrors(missing);
    setGeneral(undefined);
    if (Object.keys(missing).length > 0) return;
    setBusy(true);
    try {
      if (props.component) {
        const before = valuesOf(initial);
        const patch = Object.fromEntries(
          (Object.keys(values) as (keyof typeof values)[]).filter((k) => values[k] !== before[k]).map((k) => [k, values[k]]),
        );
        if (Object.keys(patch).length === 0) {
          props.onDone(`No changes to ${props.component.name}.`);
          return;
        }
        const saved = await api.components.update.mutate({ id: props.component.id, patch });
        props.onDone(`Saved ${saved.name}. It reaches the server when Helio syncs.`);
      } else {
        const saved = await api.components.create.mutate({ siteId: props.siteId, parentId: props.parentId, ...values });
        props.onDone(`Added ${saved.name} ${props.placeWords}. It reaches the server when Helio syncs.`);
      }
    } catch (err) {
      const refused = refusalOf(err, props.rows);
      setErrors(refused.fields);
      setGeneral(refused.general);
    } finally {
      setBusy(false);
    }
  };

  const fieldId = (key: FormKey) => `${id}-${key}`;
  const described = (key: FormKey) => (errors[key] ? { 'aria-invalid': true as const, 'aria-describedby': `${fieldId(key)}-error` } : {});
  const error = (key: FormKey) =>
    errors[key] && (
      <p className="field-error" id={`${fieldId(key)}-error`}>
        {errors[key]}
      </p>
    );
  const text = (key: TextKey) => (
    <div className={`field${errors[key] ? ' field-invalid' : ''}`}>
      <label htmlFor={fieldId(key)}>{labels[key]}</label>
      <input id={fieldId(key)} value={form[key]} onChange={(e) => set(key, e.target.value)} {...described(key)} />
      {error(key)}
    </div>
  );
  const select = <K extends 'nodeType' | 'application' | 'generationType'>(key: K, options: Record<ComponentForm[K], string>) => (
    <div className={`field${errors[key] ? ' field-invalid' : ''}`}>
      <label htmlFor={fieldId(key)}>{labels[key]}</label>
      <select id={fieldId(key)} value={form[key]} onChange={(e) => set(key, e.target.value as ComponentForm[K])} {...described(key)}>
        {entries(options).map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      {error(key)}
    </div>
  );

  return (
    <form className="component-form" aria-label={title} onSubmit={(e) => void submit(e)} noValidate>
      <h3>{title}</h3>
      {editing && <p className="hint">Place: {props.placeWords}. Use Move to put it elsewhere.</p>}
      <div className="fields">
        {text('name')}
        {text('nodeId')}
        {select('nodeType', nodeTypeLabels)}
        {select('application', applicationLabels)}
        {select('generationType', generationTypeLabels)}
        {text('oem')}
        {text('model')}
        {text('serialNumber')}
        {text('description')}
      </div>
      <div className="component-checkbox">
        <input
          type="checkbox"
          id={fieldId('isConceptualNode')}
          checked={form.isConceptualNode}
          onChange={(e) => set('isConceptualNode', e.target.checked)}
        />
        <label htmlFor={fieldId('isConceptualNode')}>{labels.isConceptualNode}</label>
      </div>
      {general && (
        <div className="error" role="alert">
          <p>
            <strong>{editing ? 'Not saved' : 'Not added'}:</strong> {general}
          </p>
        </div>
      )}
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          {editing ? 'Save component' : 'Add component'}
        </button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
