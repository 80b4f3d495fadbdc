import type { Organisation } from '../client.js';

export function OrganisationSwitcher(props: { organisations: Organisation[]; value: string | undefined; onChange(id: string): void }) {
  return (
    <label className="org-switcher">
      <span>Organisation</span>
      <select value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value)} disabled={props.organisations.length === 0}>
        {props.organisations.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  );
}
