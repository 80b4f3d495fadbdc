import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, describeError } from '../client.js';
import { ErrorMessage } from '../components/error-message.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { choose, discard, rowChanged, startEditing, touchedFields, typed, type Editing } from '../form-merge.js';
import { useAction, useLoad } from '../hooks.js';
import { capacityUnitLabels, entries, timeZones } from '../labels.js';
import { userLocale } from '../numbers.js';
import { useCanWrite, useRole } from '../session.js';
import { checkSiteField, fieldOfError, siteLabels, sitePatch, toSiteForm, type SiteForm, type SiteKey } from '../site-fields.js';
import { useDataVersion } from '../sync-status.js';
import { DocumentsPanel } from './documents-panel.js';
import { SiteMonitoring } from './monitoring/site-monitoring.js';
import './sites.css';

type FieldErrors = Partial<Record<SiteKey, string>>;

/** A field's label, its input, and what concerns it: the error, the value changed elsewhere, a note that it was updated. */
function Field(props: {
  name: SiteKey;
  editing: Editing<SiteForm>;
  error: string | undefined;
  describe?: (value: string) => string;
  onChoose(pick: 'mine' | 'theirs'): void;
  children: ReactNode;
  label?: ReactNode;
}) {
  const { name, editing, error } = props;
  const theirs = editing.theirs[name];
  const show = (v: string) => (v === '' ? 'empty' : (props.describe?.(v) ?? v));
  return (
    <div className={`field${error ? ' field-invalid' : ''}${theirs !== undefined ? ' field-conflict' : ''}`}>
      {props.label ?? <label htmlFor={`site-${name}`}>{siteLabels[name]}</label>}
      {props.children}
      {error && (
        <p className="field-error" id={`site-${name}-error`}>
          {error}
        </p>
      )}
      {theirs !== undefined && (
        <div className="field-choice" role="group" aria-labelledby={`site-${name}-theirs`}>
          <p id={`site-${name}-theirs`}>
            Changed elsewhere to <strong>{show(theirs)}</strong> while you were editing. Yours: <strong>{show(editing.form[name])}</strong>.
          </p>
          <button type="button" className="secondary" onClick={() => props.onChoose('theirs')}>
            Use “{show(theirs)}”
          </button>
          <button type="button" className="secondary" onClick={() => props.onChoose('mine')}>
            Keep mine
          </button>
        </div>
      )}
      {theirs === undefined && editing.updated.has(name) && <p className="field-updated">Updated while this page was open.</p>}
    </div>
  );
}

export function SiteDetail({ siteId, onClose }: { siteId: string; onClose(): void }) {
  const locale = userLocale();
  const dataVersion = useDataVersion();
  const site = useLoad(() => api.sites.get.query({ id: siteId }), [siteId, dataVersion]);
  const portfolios = useLoad(() => api.portfolios.list.query(), [dataVersion]);
  const organisationId = site.data?.organisationId;
  const canWrite = useCanWrite(organisationId);
  const role = useRole(organisationId);
  const [editing, setEditing] = useState<Editing<SiteForm>>();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [outcome, setOutcome] = useState<string>();

  useEffect(() => {
    if (!site.data) return;
    const row = toSiteForm(site.data, locale);
    setEditing((e) => (e ? rowChanged(e, row) : startEditing(row)));
  }, [site.data, locale]);

  const save = useAction(async (current: Editing<SiteForm>) => {
    setOutcome(undefined);
    const keys = touchedFields(current);
    const found: FieldErrors = {};
    for (const key of Object.keys(current.theirs) as SiteKey[]) found[key] = 'Choose which value to keep before saving.';
    for (const key of keys) {
      const problem = checkSiteField(key, current.form[key], locale);
      if (problem) found[key] = problem;
    }
    setErrors(found);
    if (Object.keys(found).length > 0) {
      setOutcome('Nothing was saved: check the fields marked below.');
      return;
    }
    if (keys.length === 0) {
      setOutcome('No changes to save.');
      return;
    }
    let updated;
    try {
      updated = await api.sites.update.mutate({ id: siteId, patch: sitePatch(current.form, keys, locale) });
    } catch (err) {
      const refused = fieldErrorsOf(err);
      if (!refused) throw err;
      setErrors(refused);
      setOutcome('Nothing was saved: check the fields marked below.');
      return;
    }
    const sent = Object.fromEntries(keys.map((k) => [k, current.form[k]]));
    // What was sent is now the row's: a field typed again meanwhile stays a change.
    setEditing((e) => e && rowChanged({ ...e, base: { ...e.base, ...sent } }, toSiteForm(updated, locale)));
    setOutcome(`Saved at ${new Date(updated.updatedAt).toLocaleTimeString(locale)}.`);
  });

  if (site.error && !site.data) {
    return (
      <div className="panel">
        <ErrorMessage error={site.error} title="Could not open the site" />
        <button type="button" onClick={onClose}>
          Back to sites
        </button>
      </div>
    );
  }
  if (!site.data || !editing) return <p className="empty">Loading…</p>;
  const { form } = editing;
  const orgPortfolios = (portfolios.data ?? []).filter((p) => p.organisationId === organisationId);
  const portfolioName = (id: string) => orgPortfolios.find((p) => p.id === id)?.name ?? 'a portfolio not on this device';

  const set = (key: SiteKey) => (value: string) => {
    setEditing((e) => e && typed(e, key, value));
    setErrors(({ [key]: _, ...rest }) => rest);
    setOutcome(undefined);
  };
  const onChoose = (key: SiteKey) => (pick: 'mine' | 'theirs') => {
    setEditing((e) => e && choose(e, key, pick));
    setErrors(({ [key]: _, ...rest }) => rest);
  };
  const inputProps = (key: SiteKey) => ({
    id: `site-${key}`,
    value: form[key],
    readOnly: !canWrite,
    onChange: (e: { target: { value: string } }) => set(key)(e.target.value),
    'aria-invalid': errors[key] ? true : undefined,
    'aria-describedby': errors[key] ? `site-${key}-error` : undefined,
  });
  const textField = (key: SiteKey, extra: { type?: string; inputMode?: 'decimal'; list?: string } = {}) => (
    <Field name={key} editing={editing} error={errors[key]} onChoose={onChoose(key)}>
      <input {...inputProps(key)} {...extra} />
    </Field>
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run(editing);
  };
  const pending = touchedFields(editing).length > 0;
  const changedElsewhere = Object.keys(editing.theirs).length > 0;

  return (
    <div className="site-detail">
      <p>
        <a href="#/sites">← All sites</a>
      </p>
      <section className="panel" aria-labelledby="site-heading">
        <h2 id="site-heading">{site.data.siteName}</h2>
        <ErrorMessage error={site.error} title="Could not reload the site" />
        {!canWrite && role && (
          <p className="notice" role="note">
            You are {role === 'viewer' ? 'a viewer' : `“${role}”`} in this organisation: you can read this site, not change it.
          </p>
        )}
        {changedElsewhere && (
          <div className="notice-warn" role="status">
            <p>This site was changed elsewhere while you were editing it. Your unsaved edits are kept; choose below where both changed.</p>
            <button type="button" className="secondary" onClick={() => setEditing(discard(editing))}>
              Discard my edits
            </button>
          </div>
        )}
        <form onSubmit={submit} aria-label="Site details" noValidate>
          <div className="fields two-columns">
            {textField('siteName')}
            {textField('address')}
            <Field
              name="capacity"
              editing={editing}
              error={errors.capacity ?? errors.unit}
              onChoose={onChoose('capacity')}
              label={<label htmlFor="site-capacity">Capacity</label>}
            >
              <div className="row">
                <input {...inputProps('capacity')} inputMode="decimal" />
                <label htmlFor="site-unit" className="visually-hidden">
                  Unit
                </label>
                <select id="site-unit" value={form.unit} disabled={!canWrite} onChange={(e) => set('unit')(e.target.value)}>
                  <option value="">No unit</option>
                  {entries(capacityUnitLabels).map(([unit, label]) => (
                    <option key={unit} value={unit}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
            </Field>
            <Field
              name="portfolioId"
              editing={editing}
              error={errors.portfolioId}
              onChoose={onChoose('portfolioId')}
              describe={portfolioName}
            >
              <select
                id="site-portfolioId"
                value={form.portfolioId}
                disabled={!canWrite}
                onChange={(e) => set('portfolioId')(e.target.value)}
              >
                <option value="">None</option>
                {orgPortfolios.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </Field>
            {textField('latitude', { inputMode: 'decimal' })}
            {textField('longitude', { inputMode: 'decimal' })}
            {textField('siteManager')}
            {textField('coverImageUrl', { type: 'url' })}
            {textField('timezone', { list: 'site-timezone-zones' })}
            <datalist id="site-timezone-zones">
              {timeZones.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </div>
          {editing.theirs.unit !== undefined && (
            <Field name="unit" editing={editing} error={undefined} onChoose={onChoose('unit')} label={<span>Unit</span>}>
              {null}
            </Field>
          )}
          {canWrite && (
            <div className="form-actions">
              <button type="submit" disabled={save.busy}>
                Save changes
              </button>
              <span role="status" className="saved">
                {outcome ?? (pending ? 'Unsaved changes' : '')}
              </span>
            </div>
          )}
          <ErrorMessage error={save.error} title="Could not save the site" />
        </form>
        <p className="meta">
          Created {new Date(site.data.createdAt).toLocaleString(locale)} · last changed{' '}
          {new Date(site.data.updatedAt).toLocaleString(locale)}
        </p>
        {canWrite && (
          <ConfirmButton
            label="Delete site"
            question={`Delete “${site.data.siteName}”? It disappears for everyone in this organisation once Helio syncs; its documents go with it.`}
            confirmLabel="Delete this site"
            onConfirm={async () => {
              await api.sites.delete.mutate({ id: siteId });
              onClose();
            }}
            errorTitle="Could not delete the site"
          />
        )}
      </section>
      <SiteMonitoring siteId={siteId} organisationId={site.data.organisationId} timeZone={site.data.timezone} />
      <DocumentsPanel siteId={siteId} />
    </div>
  );
}

/** Core's refusal of fields, in the form's own words where the field is known; undefined when it is not about fields. */
function fieldErrorsOf(err: unknown): FieldErrors | undefined {
  const shown = describeError(err);
  if (shown.code !== 'VALIDATION_ERROR') return undefined;
  const found: FieldErrors = {};
  for (const detail of shown.details) {
    const key = fieldOfError(detail.path);
    if (key) found[key] = `${siteLabels[key]} was refused: ${detail.message}.`;
  }
  return Object.keys(found).length > 0 ? found : undefined;
}
