// One edit form of the registry (a member, a delivery point, an asset): its
// fields as specs describe them, each with its label, its error and, when
// sync changed the row underneath a field the person had changed, both
// values until they choose. Save sends only what the person changed (a new
// row: every field); nothing is sent while a field is wrong.
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { describeError } from '../../client.js';
import { choose, rowChanged, startEditing, touchedFields, typed, type Editing } from '../../form-merge.js';
import { entries } from '../../labels.js';
import { userLocale } from '../../numbers.js';
import { placeRefusal, readFields, type FieldErrors, type FieldSpec, type FormValues } from './registry-form.js';

export interface RegistryFormProps {
  /** The form's accessible name and heading: "Edit Ada Lovelace", "New member". */
  title: string;
  /** The row's values as the form shows them (a new row: the defaults). Sync may change them while the form is open. */
  row: FormValues;
  isNew: boolean;
  /** The fields, given what is typed (an asset's own fields follow its type). */
  specsFor(form: FormValues): FieldSpec[];
  /** Saves the values read from the changed fields (every field of a new row); says what happened. */
  onSave(values: Record<string, unknown>, form: FormValues): Promise<string>;
  onDone(message: string): void;
  onCancel(): void;
  submitLabel: string;
  /** Under the buttons: removing the row. */
  children?: ReactNode;
}

const booleanWords = { true: 'Yes', false: 'No' };

export function RegistryFormView(props: RegistryFormProps) {
  const id = useId();
  const locale = userLocale();
  const [editing, setEditing] = useState<Editing<FormValues>>(() => startEditing(props.row));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string>();
  const [outcome, setOutcome] = useState<string>();
  const [busy, setBusy] = useState(false);
  const rowKey = JSON.stringify(props.row);

  // Sync changed the row while the form was open: untouched fields follow, touched ones ask.
  useEffect(() => setEditing((e) => rowChanged(e, props.row)), [rowKey]);

  const specs = props.specsFor(editing.form);
  const set = (name: string, value: string) => {
    setEditing((e) => typed(e, name, value));
    setErrors(({ [name]: _, ...rest }) => rest);
    setOutcome(undefined);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setGeneral(undefined);
    const names = props.isNew ? specs.map((s) => s.name) : touchedFields(editing).filter((n) => specs.some((s) => s.name === n));
    const { values, errors: found } = readFields(specs, editing.form, names, locale);
    for (const name of Object.keys(editing.theirs)) found[name] = 'Choose which value to keep before saving.';
    setErrors(found);
    if (Object.keys(found).length > 0) {
      setOutcome('Nothing was saved: check the fields marked below.');
      return;
    }
    if (names.length === 0) {
      setOutcome('No changes to save.');
      return;
    }
    setBusy(true);
    try {
      props.onDone(await props.onSave(values, editing.form));
    } catch (err) {
      const refused = placeRefusal(describeError(err), specs);
      setErrors(refused.fields);
      setGeneral(refused.general);
      setOutcome('Nothing was saved: check the fields marked below.');
    } finally {
      setBusy(false);
    }
  };

  const fieldId = (name: string) => `${id}-${name.replace(/\W/g, '-')}`;
  const control = (spec: FieldSpec) => {
    const common = {
      id: fieldId(spec.name),
      value: editing.form[spec.name] ?? '',
      'aria-invalid': errors[spec.name] ? (true as const) : undefined,
      'aria-describedby': errors[spec.name] ? `${fieldId(spec.name)}-error` : undefined,
    };
    const options = spec.kind === 'boolean' ? booleanWords : spec.kind === 'choice' ? (spec.options ?? {}) : undefined;
    if (options) {
      return (
        <select {...common} onChange={(e) => set(spec.name, e.target.value)}>
          {!spec.required && <option value="">{spec.kind === 'boolean' ? 'Not set' : 'None'}</option>}
          {entries(options).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      );
    }
    const numeric = spec.kind === 'number' || spec.kind === 'integer';
    return <input {...common} inputMode={numeric ? 'decimal' : undefined} onChange={(e) => set(spec.name, e.target.value)} />;
  };
  const shown = (spec: FieldSpec, value: string) =>
    value === '' ? 'empty' : spec.kind === 'boolean' ? (value === 'true' ? 'Yes' : 'No') : (spec.options?.[value] ?? value);

  return (
    <form className="registry-form" aria-label={props.title} onSubmit={(e) => void submit(e)} noValidate>
      <h3>{props.title}</h3>
      <div className="fields">
        {specs.map((spec) => {
          const theirs = editing.theirs[spec.name];
          return (
            <div
              key={spec.name}
              className={`field${errors[spec.name] ? ' field-invalid' : ''}${theirs !== undefined ? ' field-conflict' : ''}`}
            >
              <label htmlFor={fieldId(spec.name)}>
                {spec.label}
                {spec.required && props.isNew ? <span className="required-mark"> (required)</span> : null}
              </label>
              {control(spec)}
              {spec.hint && <p className="field-hint">{spec.hint}</p>}
              {errors[spec.name] && (
                <p className="field-error" id={`${fieldId(spec.name)}-error`}>
                  {errors[spec.name]}
                </p>
              )}
              {theirs !== undefined && (
                <div className="field-choice" role="group" aria-label={`${spec.label} changed elsewhere`}>
                  <p>
                    Changed elsewhere to <strong>{shown(spec, theirs)}</strong> while you were editing. Yours:{' '}
                    <strong>{shown(spec, editing.form[spec.name] ?? '')}</strong>.
                  </p>
                  <button type="button" className="secondary" onClick={() => setEditing((e) => choose(e, spec.name, 'theirs'))}>
                    Use “{shown(spec, theirs)}”
                  </button>
                  <button type="button" className="secondary" onClick={() => setEditing((e) => choose(e, spec.name, 'mine'))}>
                    Keep mine
                  </button>
                </div>
              )}
            </div>
          );
        })}
      </div>
      {general && (
        <div className="error" role="alert">
          <p>
            <strong>{props.isNew ? 'Not added' : 'Not saved'}:</strong> {general}
          </p>
        </div>
      )}
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          {props.submitLabel}
        </button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          Cancel
        </button>
        <span role="status" className="form-outcome">
          {outcome ?? ''}
        </span>
      </div>
      {props.children}
    </form>
  );
}
