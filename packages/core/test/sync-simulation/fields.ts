// The values schedules write: small pools, so that two writers often pick
// the same field (a conflict) and sometimes the same value (no conflict),
// all already in canonical form (what a read returns is what was written);
// and the invalid values the services must refuse.
import type { FieldPicks, Table } from './schedule.js';

const sitePools: Record<string, readonly unknown[]> = {
  siteName: ['North roof', 'South field', 'Barn', 'Depot'],
  portfolioId: [null, 'portfolio', 'portfolio'],
  capacity: [null, 5, 12.5, 250],
  address: [null, '1 Main Street', 'Hill Farm'],
  unit: [null, 'kW', 'MWp'],
  latitude: [null, 51.5, -33.9],
  longitude: [null, -0.12, 151.2],
  siteManager: [null, 'Ana', 'Bo'],
  coverImageUrl: [null, 'https://img.example.com/a.png'],
  timezone: ['UTC', 'Europe/Berlin', 'America/New_York'],
};

const portfolioPools: Record<string, readonly unknown[]> = {
  name: ['Rooftops', 'Fields', 'Depots', 'North'],
};

/** Values every service refuses, one per kind of mistake. */
const invalidSite: readonly Record<string, unknown>[] = [
  { siteName: '' },
  { latitude: 200 },
  { timezone: 'Mars/Olympus' },
  { coverImageUrl: 'javascript:alert(1)' },
  { capacity: -1 },
  { bogus: 1 },
  { portfolioId: 'foreign' },
  { siteName: 'x'.repeat(201) },
];
const invalidPortfolio: readonly Record<string, unknown>[] = [{ name: '' }, { name: ' ' }, { bogus: true }, { name: 'y'.repeat(201) }];

export interface FieldContext {
  /** A live-or-not portfolio of the row's organisation, chosen by index, or undefined if it has none. */
  portfolio(pick: number): string | undefined;
  /** A portfolio of another organisation (or an id that exists nowhere). */
  foreignPortfolio(pick: number): string;
}

/** The fields a write sets, by API name; a create always names its required field. */
export function fieldsFor(
  table: Table,
  picks: FieldPicks,
  create: boolean,
  context: FieldContext,
  invalid: number | null,
): Record<string, unknown> {
  const pools = table === 'sites' ? sitePools : portfolioPools;
  const names = Object.keys(pools);
  const fields: Record<string, unknown> = {};
  if (create) {
    const first = names[0]!;
    fields[first] = pools[first]![(picks[0]?.[1] ?? 0) % pools[first]!.length];
  }
  for (const [f, v] of picks) {
    const name = names[f % names.length]!;
    const pool = pools[name]!;
    let value = pool[v % pool.length];
    if (value === 'portfolio') value = context.portfolio(v) ?? null;
    fields[name] = value;
  }
  if (invalid !== null) {
    const bad = table === 'sites' ? invalidSite : invalidPortfolio;
    const chosen = bad[invalid % bad.length]!;
    for (const [name, value] of Object.entries(chosen)) fields[name] = value === 'foreign' ? context.foreignPortfolio(invalid) : value;
  }
  return fields;
}
