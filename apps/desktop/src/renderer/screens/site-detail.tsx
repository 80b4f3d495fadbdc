import { useEffect, useState, type FormEvent } from 'react';
import { api, type Inputs, type Site } from '../client.js';
import { ErrorMessage } from '../components/error-message.js';
import { TimeZoneInput } from '../components/time-zone-input.js';
import { useAction, useLoad } from '../hooks.js';
import { capacityUnitLabels, entries, type CapacityUnit } from '../labels.js';
import { useDataVersion } from '../sync-status.js';
import { DocumentsPanel } from './documents-panel.js';

type SitePatch = Inputs['sites']['update']['patch'];

/** The form keeps every field as text, as typed; `toPatch` turns it into the update. */
interface SiteForm {
  siteName: string;
  address: string;
  capacity: string;
  unit: string;
  latitude: string;
  longitude: string;
  portfolioId: string;
  siteManager: string;
  coverImageUrl: string;
  timezone: string;
}

const text = (v: string | number | null) => (v === null ? '' : String(v));

function toForm(site: Site): SiteForm {
  return {
    siteName: site.siteName,
    address: text(site.address),
    capacity: text(site.capacity),
    unit: text(site.unit),
    latitude: text(site.latitude),
    longitude: text(site.longitude),
    portfolioId: text(site.portfolioId),
    siteManager: text(site.siteManager),
    coverImageUrl: text(site.coverImageUrl),
    timezone: site.timezone,
  };
}

const orNull = (v: string) => (v.trim() === '' ? null : v.trim());
const numberOrNull = (v: string) => (v.trim() === '' ? null : Number(v));

function allFields(form: SiteForm): Required<SitePatch> {
  return {
    siteName: form.siteName,
    address: orNull(form.address),
    capacity: numberOrNull(form.capacity),
    unit: orNull(form.unit) as CapacityUnit | null,
    latitude: numberOrNull(form.latitude),
    longitude: numberOrNull(form.longitude),
    portfolioId: orNull(form.portfolioId),
    siteManager: orNull(form.siteManager),
    coverImageUrl: orNull(form.coverImageUrl),
    timezone: form.timezone,
  };
}

/**
 * Only the fields the user changed: each one saved becomes a synced change
 * that wins or conflicts field by field, so an untouched field must not
 * overwrite what someone else changed meanwhile.
 */
function toPatch(form: SiteForm, loaded: SiteForm): SitePatch {
  const all = allFields(form);
  return Object.fromEntries((Object.keys(all) as (keyof SiteForm)[]).filter((k) => form[k] !== loaded[k]).map((k) => [k, all[k]]));
}

const sameForm = (a: SiteForm, b: SiteForm) => (Object.keys(a) as (keyof SiteForm)[]).every((k) => a[k] === b[k]);

/**
 * The form as typed, and the site as last loaded. A reload (sync pulled a
 * change) replaces the form only while it holds no unsaved edit; otherwise
 * the edits stay and the user is told the site changed meanwhile.
 */
interface Editing {
  form: SiteForm;
  loaded: SiteForm;
  changedElsewhere: boolean;
}

export function SiteDetail({ siteId, onClose }: { siteId: string; onClose(): void }) {
  const dataVersion = useDataVersion();
  const site = useLoad(() => api.sites.get.query({ id: siteId }), [siteId, dataVersion]);
  const portfolios = useLoad(() => api.portfolios.list.query(), [dataVersion]);
  const [editing, setEditing] = useState<Editing>();
  const [saved, setSaved] = useState<string>();
  const save = useAction(async (patch: SitePatch) => {
    if (Object.keys(patch).length === 0) {
      setSaved('No changes to save');
      return;
    }
    const updated = await api.sites.update.mutate({ id: siteId, patch });
    const loaded = toForm(updated);
    setEditing({ form: loaded, loaded, changedElsewhere: false });
    setSaved(`Saved at ${new Date(updated.updatedAt).toLocaleTimeString()}`);
  });

  useEffect(() => {
    if (!site.data) return;
    const loaded = toForm(site.data);
    setEditing((e) =>
      !e || sameForm(e.form, e.loaded)
        ? { form: loaded, loaded, changedElsewhere: false }
        : { form: e.form, loaded, changedElsewhere: e.changedElsewhere || !sameForm(e.loaded, loaded) },
    );
  }, [site.data]);

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

  const orgPortfolios = (portfolios.data ?? []).filter((p) => p.organisationId === site.data!.organisationId);
  const set = (field: keyof SiteForm) => (value: string) => {
    setEditing({ ...editing, form: { ...form, [field]: value } });
    setSaved(undefined);
  };
  const discardEdits = () => setEditing({ form: editing.loaded, loaded: editing.loaded, changedElsewhere: false });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run(toPatch(form, editing.loaded));
  };

  const field = (key: keyof SiteForm, label: string, props: { type?: string; step?: string; inputMode?: 'decimal' } = {}) => (
    <div className="field">
      <label htmlFor={`site-${key}`}>{label}</label>
      <input id={`site-${key}`} value={form[key]} onChange={(e) => set(key)(e.target.value)} {...props} />
    </div>
  );

  return (
    <div className="site-detail">
      <p>
        <a href="#/sites">← All sites</a>
      </p>
      <section className="panel" aria-labelledby="site-heading">
        <h2 id="site-heading">{site.data.siteName}</h2>
        <ErrorMessage error={site.error} title="Could not reload the site" />
        {editing.changedElsewhere && (
          <div className="notice-warn" role="status">
            <p>
              This site was changed elsewhere while you were editing it. Your unsaved edits are kept: saving them replaces those fields.
            </p>
            <button type="button" className="secondary" onClick={discardEdits}>
              Discard my edits
            </button>
          </div>
        )}
        <form onSubmit={submit} aria-label="Site details">
          <div className="fields two-columns">
            {field('siteName', 'Site name')}
            {field('address', 'Address')}
            <div className="field">
              <label htmlFor="site-capacity">Capacity</label>
              <div className="row">
                <input id="site-capacity" value={form.capacity} inputMode="decimal" onChange={(e) => set('capacity')(e.target.value)} />
                <label htmlFor="site-unit" className="visually-hidden">
                  Unit
                </label>
                <select id="site-unit" value={form.unit} onChange={(e) => set('unit')(e.target.value)}>
                  <option value="">No unit</option>
                  {entries(capacityUnitLabels).map(([unit, label]) => (
                    <option key={unit} value={unit}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <div className="field">
              <label htmlFor="site-portfolioId">Portfolio</label>
              <select id="site-portfolioId" value={form.portfolioId} onChange={(e) => set('portfolioId')(e.target.value)}>
                <option value="">None</option>
                {orgPortfolios.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </div>
            {field('latitude', 'Latitude', { inputMode: 'decimal' })}
            {field('longitude', 'Longitude', { inputMode: 'decimal' })}
            {field('siteManager', 'Site manager')}
            {field('coverImageUrl', 'Cover image URL', { type: 'url' })}
            <div className="field">
              <TimeZoneInput id="site-timezone" label="Time zone" value={form.timezone} onChange={set('timezone')} />
            </div>
          </div>
          <div className="form-actions">
            <button type="submit" disabled={save.busy}>
              Save changes
            </button>
            <span role="status" className="saved">
              {saved}
            </span>
          </div>
          <ErrorMessage error={save.error} title="Could not save the site" />
        </form>
        <p className="meta">
          Created {new Date(site.data.createdAt).toLocaleString()} · last changed {new Date(site.data.updatedAt).toLocaleString()}
        </p>
      </section>
      <DocumentsPanel siteId={siteId} />
    </div>
  );
}
