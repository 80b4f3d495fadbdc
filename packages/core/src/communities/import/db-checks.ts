// The checks of a bundle that need the database, each one statement over the
// whole bundle, all run before anything is written so that every problem is
// reported at once:
// - a POD or a sensor id held by a live row of another community (of any
//   organisation: both are unique in the installation) is "taken", and
//   nothing else is said of who holds it (the holder's key is read only to
//   follow a dry run of several documents, below);
// - a link to a site, component or plant must name a live one of the
//   community's organisation; another organisation's looks like a missing one.
import type { Queryable } from '@helio/db';
import type { BundleProblem } from '../bundle/parse.js';
import type { DesiredRegistry, Loc } from './desired.js';
import type { LinkField } from './diff.js';

type Claimed = 'pod' | 'sensor_id';

/**
 * What the documents before this one in a dry run of a YAML body would have
 * left in the registry: each passing document's community then holds exactly
 * its bundle's PODs and sensor ids. A dry run writes nothing, so without this
 * a POD moving from one community to another within one body would look
 * taken by the community it leaves.
 */
export class DryRunClaims {
  private readonly claimant: Record<Claimed, Map<string, string>> = { pod: new Map(), sensor_id: new Map() };
  private readonly held = new Map<string, Record<Claimed, string[]>>();

  /** The community `key` now holds these PODs and sensor ids, and only these. */
  record(key: string, desired: DesiredRegistry): void {
    const before = this.held.get(key);
    for (const kind of ['pod', 'sensor_id'] as const) for (const value of before?.[kind] ?? []) this.claimant[kind].delete(value);
    const now = {
      pod: desired.deliveryPoints.map((dp) => dp.pod),
      sensor_id: desired.assets.flatMap((a) => (a.sensor_id === null ? [] : [a.sensor_id])),
    };
    for (const kind of ['pod', 'sensor_id'] as const) for (const value of now[kind]) this.claimant[kind].set(value, key);
    this.held.set(key, now);
  }

  /** Whether `key` may take the value, given the communities (by key) the database says hold it. */
  takes(kind: Claimed, value: string, key: string, storedHolders: readonly string[]): boolean {
    const claimed = this.claimant[kind].get(value);
    if (claimed !== undefined) return claimed === key;
    // A holder replaced by an earlier document holds only what that document claimed.
    return storedHolders.every((holder) => this.held.has(holder));
  }
}

const takenSql: Record<Claimed, string> = {
  pod: `SELECT DISTINCT d.pod AS value, c.key AS holder FROM unnest($1::text[]) AS u(pod)
    JOIN community_delivery_points d ON d.pod = u.pod AND d.deleted_at IS NULL
    JOIN communities c ON c.id = d.community_id
    WHERE d.community_id IS DISTINCT FROM $2::uuid`,
  sensor_id: `SELECT DISTINCT a.sensor_id AS value, c.key AS holder FROM unnest($1::text[]) AS u(sensor_id)
    JOIN community_assets a ON a.sensor_id = u.sensor_id AND a.deleted_at IS NULL AND a.sensor_id IS NOT NULL
    JOIN communities c ON c.id = a.community_id
    WHERE a.community_id IS DISTINCT FROM $2::uuid`,
};

/** The values among `wanted` that live rows of other communities hold, with those communities' keys. */
async function storedHolders(q: Queryable, kind: Claimed, communityId: string | null, wanted: string[]): Promise<Map<string, string[]>> {
  const holders = new Map<string, string[]>();
  if (wanted.length === 0) return holders;
  const { rows } = await q.query<{ value: string; holder: string }>(takenSql[kind], [wanted, communityId]);
  for (const { value, holder } of rows) {
    const list = holders.get(value);
    if (list) list.push(holder);
    else holders.set(value, [holder]);
  }
  return holders;
}

/**
 * PODs and sensor ids of the bundle that live rows of other communities
 * hold (or, in a dry run of several documents, would hold after the earlier
 * documents: `claims`).
 */
export async function takenProblems(
  q: Queryable,
  community: { id: string | null; key: string },
  desired: DesiredRegistry,
  claims?: DryRunClaims,
): Promise<BundleProblem[]> {
  const problems: BundleProblem[] = [];
  const isTaken = (kind: Claimed, value: string, holders: Map<string, string[]>): boolean => {
    const stored = holders.get(value) ?? [];
    return claims ? !claims.takes(kind, value, community.key, stored) : stored.length > 0;
  };
  const pods = await storedHolders(
    q,
    'pod',
    community.id,
    desired.deliveryPoints.map((dp) => dp.pod),
  );
  for (const dp of desired.deliveryPoints) {
    if (isTaken('pod', dp.pod, pods)) {
      problems.push({ loc: [...dp.loc, 'id'], msg: `delivery point ${dp.pod} is taken by another community`, type: 'taken' });
    }
  }
  const withSensor = desired.assets.filter((a): a is typeof a & { sensor_id: string } => a.sensor_id !== null);
  const sensors = await storedHolders(
    q,
    'sensor_id',
    community.id,
    withSensor.map((a) => a.sensor_id),
  );
  for (const a of withSensor) {
    if (isTaken('sensor_id', a.sensor_id, sensors)) {
      problems.push({ loc: [...a.loc, 'sensor_id'], msg: `sensor_id ${a.sensor_id} is taken by another community`, type: 'taken' });
    }
  }
  return problems;
}

/** The live objects of the organisation among the ids, per kind of link. A component of a removed site is gone with it. */
const liveLinkSql: Record<LinkField, string> = {
  site_id: 'SELECT id FROM sites WHERE id = ANY($1::uuid[]) AND organisation_id = $2 AND deleted_at IS NULL',
  component_id: `SELECT c.id FROM components c WHERE c.id = ANY($1::uuid[]) AND c.organisation_id = $2 AND c.deleted_at IS NULL
    AND EXISTS (SELECT 1 FROM sites s WHERE s.id = c.site_id AND s.deleted_at IS NULL)`,
  // Plants are never deleted; a decommissioned one is retired for good.
  plant_id: "SELECT id FROM plants WHERE id = ANY($1::uuid[]) AND organisation_id = $2 AND lifecycle_status <> 'DECOMMISSIONED'",
};

const linkNoun: Record<LinkField, string> = { site_id: 'site', component_id: 'component', plant_id: 'plant' };

/** Links that name no live site, component or plant of the organisation. */
export async function danglingLinkProblems(
  q: Queryable,
  organisationId: string,
  links: Record<LinkField, Map<string, Loc[]>>,
): Promise<BundleProblem[]> {
  const problems: BundleProblem[] = [];
  for (const field of Object.keys(liveLinkSql) as LinkField[]) {
    const wanted = links[field];
    if (wanted.size === 0) continue;
    const { rows } = await q.query<{ id: string }>(liveLinkSql[field], [[...wanted.keys()], organisationId]);
    const live = new Set(rows.map((r) => r.id));
    for (const [id, locs] of wanted) {
      if (live.has(id)) continue;
      for (const loc of locs) {
        problems.push({ loc, msg: `no ${linkNoun[field]} ${id} in the community's organisation`, type: 'dangling_reference' });
      }
    }
  }
  return problems;
}
