// Test fixture: a community to write members, delivery points and assets
// into, stored as an import would leave it (communities change by import
// only; this writes the row directly so that the entity tests and the sync
// simulation do not depend on the importer). Not exported from the domain.
import { allocateChangeSeqs } from '../../changes.js';
import type { ServiceContext } from '../../context.js';
import type { StoredArea, StoredTopologyNode } from '../rows.js';

export interface SeededCommunity {
  id: string;
  key: string;
  organisationId: string;
}

export const testAreas: Record<string, StoredArea> = { north: { name: 'North' }, south: { name: 'South', topology: ['feeder-1'] } };
export const testTopology: StoredTopologyNode[] = [
  { id: 'sub-1', type: 'substation', name: 'Main substation' },
  { id: 'feeder-1', type: 'feeder', parent: 'sub-1' },
  { id: 'cabinet-1', type: 'cabinet', parent: 'feeder-1' },
];

/** A live community of the organisation with two areas (north, south) and three topology nodes (sub-1, feeder-1, cabinet-1). */
export async function seedCommunity(
  ctx: ServiceContext,
  organisationId: string,
  key: string,
  options: { areas?: Record<string, StoredArea>; topology?: StoredTopologyNode[] } = {},
): Promise<SeededCommunity> {
  const id = ctx.ids.uuid();
  await ctx.db.transaction(async (tx) => {
    const seq = await allocateChangeSeqs(tx, organisationId);
    await tx.query(
      `INSERT INTO communities (id, organisation_id, key, name, areas, topology, created_at, updated_at, change_seq)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $7, $8)`,
      [
        id,
        organisationId,
        key,
        `Community ${key}`,
        JSON.stringify(options.areas ?? testAreas),
        JSON.stringify(options.topology ?? testTopology),
        ctx.clock.now(),
        seq,
      ],
    );
  });
  return { id, key, organisationId };
}
