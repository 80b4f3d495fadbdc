import { useMemo, useState, type FormEvent } from 'react';
import { api, type Portfolio, type Site } from '../client.js';
import { ErrorMessage } from '../components/error-message.js';
import { TimeZoneInput } from '../components/time-zone-input.js';
import { useAction, useLoad } from '../hooks.js';
import { timeZones } from '../labels.js';
import { useDataVersion } from '../sync-status.js';

type PortfolioFilter = 'all' | 'none' | string;

function matches(site: Site, portfolioName: string | undefined, query: string): boolean {
  if (!query) return true;
  const q = query.toLowerCase();
  return [site.siteName, site.address, site.siteManager, site.timezone, portfolioName].some((v) => v?.toLowerCase().includes(q));
}

export function SitesScreen({ organisationId }: { organisationId: string }) {
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
  const shown = orgSites.filter(
    (s) =>
      (filter === 'all' || (filter === 'none' ? s.portfolioId === null : s.portfolioId === filter)) &&
      matches(s, s.portfolioId ? portfolioNames.get(s.portfolioId) : undefined, query.trim()),
  );
  const countIn = (id: string | null) => orgSites.filter((s) => s.portfolioId === id).length;

  return (
    <div className="sites-layout">
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
        <NewPortfolioForm organisationId={organisationId} onCreated={portfolios.reload} />
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
                <th scope="col">Site</th>
                <th scope="col">Portfolio</th>
                <th scope="col">Capacity</th>
                <th scope="col">Time zone</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((s) => (
                <tr key={s.id}>
                  <td>
                    <a href={`#/sites/${s.id}`}>{s.siteName}</a>
                  </td>
                  <td>{s.portfolioId ? (portfolioNames.get(s.portfolioId) ?? '—') : '—'}</td>
                  <td>{s.capacity === null ? '—' : `${s.capacity} ${s.unit ?? ''}`}</td>
                  <td>{s.timezone}</td>
                  <td>{s.address ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <NewSiteForm organisationId={organisationId} portfolios={orgPortfolios} onCreated={sites.reload} />
      </section>
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
  const create = useAction(async () => {
    await api.sites.create.mutate({ organisationId: props.organisationId, siteName, portfolioId: portfolioId || null, timezone });
    setSiteName('');
    props.onCreated();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <form className="new-site" onSubmit={submit} aria-label="New site">
      <h3>New site</h3>
      <div className="fields">
        <div className="field">
          <label htmlFor="new-site-name">Site name</label>
          <input id="new-site-name" value={siteName} onChange={(e) => setSiteName(e.target.value)} required />
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
        </div>
      </div>
      <button type="submit" disabled={create.busy}>
        Create site
      </button>
      <ErrorMessage error={create.error} title="Could not create the site" />
    </form>
  );
}
