import { useMemo, useState, type FormEvent } from 'react';
import { api, type Portfolio, type Site } from '../client.js';
import { ErrorMessage } from '../components/error-message.js';
import { TimeZoneInput } from '../components/time-zone-input.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { describeCounts } from '../components/local-work.js';
import { useAction, useLoad, useStoredState } from '../hooks.js';
import { timeZones } from '../labels.js';
import { displayNumber, userLocale } from '../numbers.js';
import { useCanWrite, useRole } from '../session.js';
import { checkSiteField } from '../site-fields.js';
import { useDataVersion, useSyncStatus } from '../sync-status.js';
import './sites.css';

type PortfolioFilter = 'all' | 'none' | string;

function matches(site: Site, portfolioName: string | undefined, query: string): boolean {
  if (!query) return true;
  const q = query.toLowerCase();
  return [site.siteName, site.address, site.siteManager, site.timezone, portfolioName].some((v) => v?.toLowerCase().includes(q));
}

type SortKey = 'siteName' | 'portfolio' | 'capacity' | 'timezone' | 'address';

const unitScale: Record<string, number> = { W: 1, Wp: 1, kW: 1e3, kWp: 1e3, kWh: 1e3, MW: 1e6, MWp: 1e6, MWh: 1e6, GW: 1e9, GWp: 1e9 };

/** Capacities compare in base units (W, Wp, Wh); a site without one sorts last. */
const capacityOf = (site: Site) => (site.capacity === null ? null : site.capacity * (unitScale[site.unit ?? 'W'] ?? 1));

function compareSites(
  key: SortKey,
  portfolioName: (s: Site) => string | undefined,
  locale: string,
): (a: Site, b: Site, direction: 1 | -1) => number {
  const collator = new Intl.Collator(locale, { numeric: true, sensitivity: 'base' });
  const text = (s: Site): string | undefined =>
    key === 'portfolio' ? portfolioName(s) : key === 'capacity' ? undefined : (s[key] ?? undefined);
  // A site without the value sorts last in either direction.
  return (a, b, direction) => {
    if (key === 'capacity') {
      const [x, y] = [capacityOf(a), capacityOf(b)];
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return direction * (x - y);
    }
    const [x, y] = [text(a), text(b)];
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    return direction * collator.compare(x, y);
  };
}

const columns: { key: SortKey; label: string }[] = [
  { key: 'siteName', label: 'Site' },
  { key: 'portfolio', label: 'Portfolio' },
  { key: 'capacity', label: 'Capacity' },
  { key: 'timezone', label: 'Time zone' },
  { key: 'address', label: 'Address' },
];

export function SitesScreen({ organisationId }: { organisationId: string }) {
  const locale = userLocale();
  const canWrite = useCanWrite(organisationId);
  const role = useRole(organisationId);
  const [sortBy, setSortBy] = useStoredState('helio.sites.sort', 'siteName:asc');
  const [sortKey, sortDirection] = sortBy.split(':') as [SortKey, 'asc' | 'desc'];
  const sortOn = (key: SortKey) => setSortBy(`${key}:${key === sortKey && sortDirection === 'asc' ? 'desc' : 'asc'}`);
  const dataVersion = useDataVersion();
  const portfolios = useLoad(() => api.portfolios.list.query(), [dataVersion]);
  const sites = useLoad(() => api.sites.list.query(), [dataVersion]);
  const [filter, setFilter] = useState<PortfolioFilter>('all');
  const [query, setQuery] = useState('');

  // Lists come back for every organisation of the session; the switcher picks one.
  const orgPortfolios = useMemo(
    () => (portfolios.data ?? []).filter((p) => p.organisationId === organisationId),
    [portfolios.data, organisationId],
  );
  const portfolioNames = useMemo(() => new Map(orgPortfolios.map((p) => [p.id, p.name])), [orgPortfolios]);
  const orgSites = (sites.data ?? []).filter((s) => s.organisationId === organisationId);
  const portfolioOf = (s: Site) => (s.portfolioId ? portfolioNames.get(s.portfolioId) : undefined);
  const ascending = compareSites(columns.some((c) => c.key === sortKey) ? sortKey : 'siteName', portfolioOf, locale);
  const shown = orgSites
    .filter(
      (s) =>
        (filter === 'all' || (filter === 'none' ? s.portfolioId === null : s.portfolioId === filter)) &&
        matches(s, portfolioOf(s), query.trim()),
    )
    .sort((a, b) => ascending(a, b, sortDirection === 'desc' ? -1 : 1));
  const selected = orgPortfolios.find((p) => p.id === filter);
  const countIn = (id: string | null) => orgSites.filter((s) => s.portfolioId === id).length;

  return (
    <div className="sites-layout">
      <SetAsideNotice />
      <section className="panel portfolios" aria-labelledby="portfolios-heading">
        <h2 id="portfolios-heading">Portfolios</h2>
        <ErrorMessage error={portfolios.error} title="Could not load portfolios" />
        <ul className="portfolio-list">
          <li>
            <button type="button" aria-pressed={filter === 'all'} onClick={() => setFilter('all')}>
              All sites <span className="count">{orgSites.length}</span>
            </button>
          </li>
          {orgPortfolios.map((p) => (
            <li key={p.id}>
              <button type="button" aria-pressed={filter === p.id} onClick={() => setFilter(p.id)}>
                {p.name} <span className="count">{countIn(p.id)}</span>
              </button>
            </li>
          ))}
          <li>
            <button type="button" aria-pressed={filter === 'none'} onClick={() => setFilter('none')}>
              Not in a portfolio <span className="count">{countIn(null)}</span>
            </button>
          </li>
        </ul>
        {selected && canWrite && (
          <PortfolioActions
            key={selected.id}
            portfolio={selected}
            sites={countIn(selected.id)}
            onChanged={portfolios.reload}
            onDeleted={() => setFilter('all')}
          />
        )}
        {canWrite ? (
          <NewPortfolioForm organisationId={organisationId} onCreated={portfolios.reload} />
        ) : (
          role && (
            <p className="hint" role="note">
              You are {role === 'viewer' ? 'a viewer' : `“${role}”`} in this organisation: you can read its sites, not change them.
            </p>
          )
        )}
      </section>

      <section className="panel sites" aria-labelledby="sites-heading">
        <div className="panel-header">
          <h2 id="sites-heading">Sites</h2>
          <label className="search">
            <span className="visually-hidden">Search sites</span>
            <input type="search" placeholder="Search sites" value={query} onChange={(e) => setQuery(e.target.value)} />
          </label>
        </div>
        <ErrorMessage error={sites.error} title="Could not load sites" />
        {shown.length === 0 ? (
          <p className="empty">{orgSites.length === 0 ? 'No sites yet: add the first one below.' : 'No site matches.'}</p>
        ) : (
          <table className="site-table">
            <thead>
              <tr>
                {columns.map((c) => (
                  <th
                    key={c.key}
                    scope="col"
                    aria-sort={c.key === sortKey ? (sortDirection === 'asc' ? 'ascending' : 'descending') : undefined}
                  >
                    <button type="button" className="sortable" onClick={() => sortOn(c.key)}>
                      {c.label}
                      <span aria-hidden="true">{c.key === sortKey ? (sortDirection === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((s) => (
                <tr key={s.id}>
                  <td className="site-name-cell">
                    <a href={`#/sites/${s.id}`}>{s.siteName}</a>
                  </td>
                  <td data-label="Portfolio">{s.portfolioId ? (portfolioNames.get(s.portfolioId) ?? '—') : '—'}</td>
                  <td data-label="Capacity">{s.capacity === null ? '—' : `${displayNumber(s.capacity, locale)} ${s.unit ?? ''}`}</td>
                  <td data-label="Time zone">{s.timezone}</td>
                  <td data-label="Address">{s.address ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {canWrite && <NewSiteForm organisationId={organisationId} portfolios={orgPortfolios} onCreated={sites.reload} />}
      </section>
    </div>
  );
}

/** Work made before the first sign-in is not in any organisation shown here: say where it is. */
function SetAsideNotice() {
  const setAside = useSyncStatus().status?.setAside;
  if (!setAside) return null;
  return (
    <p className="notice-warn set-aside-notice" role="status" aria-label="Work set aside">
      Work made on this device before you signed in ({describeCounts(setAside)}) is {setAside.decision === 'kept' ? 'kept' : 'set aside'} on
      this device: it is not in this list and is not sent. <a href="#/sync">Bring it into an organisation, or discard it</a>.
    </p>
  );
}

/** Renaming and deleting the portfolio picked in the list. */
function PortfolioActions(props: { portfolio: Portfolio; sites: number; onChanged(): void; onDeleted(): void }) {
  const { portfolio } = props;
  const [name, setName] = useState(portfolio.name);
  const [renaming, setRenaming] = useState(false);
  const rename = useAction(async () => {
    await api.portfolios.update.mutate({ id: portfolio.id, name: name.trim() });
    setRenaming(false);
    props.onChanged();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void rename.run();
  };
  const tooLong = name.trim().length > 200;
  return (
    <div className="portfolio-actions" aria-label={`Portfolio ${portfolio.name}`} role="group">
      {renaming ? (
        <form className="inline-form" onSubmit={submit} aria-label="Rename portfolio">
          <label htmlFor="rename-portfolio">New name for {portfolio.name}</label>
          <div className="row">
            <input
              id="rename-portfolio"
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={name.trim() === '' || tooLong ? true : undefined}
            />
            <button type="submit" disabled={rename.busy || name.trim() === '' || tooLong}>
              Rename
            </button>
            <button type="button" className="secondary" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </div>
          {name.trim() === '' && <p className="field-error">Give the portfolio a name.</p>}
          {tooLong && <p className="field-error">Keep the name under 200 characters.</p>}
          <ErrorMessage error={rename.error} title="Could not rename the portfolio" />
        </form>
      ) : (
        <button type="button" className="secondary" onClick={() => setRenaming(true)}>
          Rename “{portfolio.name}”
        </button>
      )}
      <ConfirmButton
        label={`Delete “${portfolio.name}”`}
        question={`Delete the portfolio “${portfolio.name}”? ${
          props.sites === 0
            ? 'It holds no sites.'
            : `Its ${props.sites === 1 ? 'site stays' : `${props.sites} sites stay`}, outside any portfolio.`
        } Everyone in this organisation sees it gone once Helio syncs.`}
        confirmLabel="Delete this portfolio"
        onConfirm={async () => {
          await api.portfolios.delete.mutate({ id: portfolio.id });
          props.onDeleted();
          props.onChanged();
        }}
        errorTitle="Could not delete the portfolio"
      />
    </div>
  );
}

function NewPortfolioForm({ organisationId, onCreated }: { organisationId: string; onCreated(): void }) {
  const [name, setName] = useState('');
  const create = useAction(async () => {
    await api.portfolios.create.mutate([{ organisationId, name }]);
    setName('');
    onCreated();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="New portfolio">
      <label htmlFor="new-portfolio-name">Portfolio name</label>
      <div className="row">
        <input id="new-portfolio-name" value={name} onChange={(e) => setName(e.target.value)} required />
        <button type="submit" disabled={create.busy}>
          Create portfolio
        </button>
      </div>
      <ErrorMessage error={create.error} title="Could not create the portfolio" />
    </form>
  );
}

function NewSiteForm(props: { organisationId: string; portfolios: Portfolio[]; onCreated(): void }) {
  const [siteName, setSiteName] = useState('');
  const [portfolioId, setPortfolioId] = useState('');
  const [timezone, setTimezone] = useState(timeZones[0] ?? 'UTC');
  const [errors, setErrors] = useState<{ siteName?: string; timezone?: string }>({});
  const create = useAction(async () => {
    const found = {
      siteName: checkSiteField('siteName', siteName, userLocale()),
      timezone: checkSiteField('timezone', timezone, userLocale()),
    };
    setErrors(found);
    if (found.siteName || found.timezone) return;
    await api.sites.create.mutate({
      organisationId: props.organisationId,
      siteName: siteName.trim(),
      portfolioId: portfolioId || null,
      timezone,
    });
    setSiteName('');
    props.onCreated();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <form className="new-site" onSubmit={submit} aria-label="New site" noValidate>
      <h3>New site</h3>
      <div className="fields">
        <div className="field">
          <label htmlFor="new-site-name">Site name</label>
          <input
            id="new-site-name"
            value={siteName}
            onChange={(e) => setSiteName(e.target.value)}
            required
            aria-invalid={errors.siteName ? true : undefined}
            aria-describedby={errors.siteName ? 'new-site-name-error' : undefined}
          />
          {errors.siteName && (
            <p className="field-error" id="new-site-name-error">
              {errors.siteName}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="new-site-portfolio">Portfolio</label>
          <select id="new-site-portfolio" value={portfolioId} onChange={(e) => setPortfolioId(e.target.value)}>
            <option value="">None</option>
            {props.portfolios.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <TimeZoneInput id="new-site-timezone" label="Time zone" value={timezone} onChange={setTimezone} />
          {errors.timezone && (
            <p className="field-error" id="new-site-timezone-error">
              {errors.timezone}
            </p>
          )}
        </div>
      </div>
      <button type="submit" disabled={create.busy}>
        Create site
      </button>
      <ErrorMessage error={create.error} title="Could not create the site" />
    </form>
  );
}
