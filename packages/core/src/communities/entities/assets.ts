// A member's assets (PV, storage, meters, EV chargers, heat pumps, loads),
// one at a time. An asset is checked whole against its type's bundle schema
// (its own fields in `properties`, the shared ones in columns), so a row
// written here is one an export writes and an import takes back. Other
// assets name an asset by key (relationships): a named asset keeps its key
// and stays until they stop naming it.
import type { Queryable } from '@helio/db';
import { allocateChangeSeqs } from '../../changes.js';
import type { ServiceContext } from '../../context.js';
import { notFound, validationError } from '../../errors.js';
import { parseId, parseInput, zodDetails } from '../../validation.js';
import { ASSET_COMMON_FIELDS, assetSchemas, type AssetType } from '../bundle/schema.js';
import { lockRegistry } from '../locks.js';
import { stampRows } from './cascade.js';
import {
  assetKeyProblem,
  assetPodProblem,
  assetsNaming,
  authorizeManage,
  communityForWrite,
  linkProblems,
  liveMember,
  relationshipProblems,
  sensorProblem,
  throwProblems,
  type Problem,
} from './checks.js';
import { COLUMNS_OF, findCommunity, findRow, toAssetRecord, withoutNulls, type AssetRow } from './rows.js';
import { createAssetInput, updateAssetInput, type CommunityAssetRecord, type UpdateAssetInput } from './schema.js';

const OBJECT_FIELDS = new Set(['properties', 'device', 'relationships']);
const COMMON: readonly string[] = ASSET_COMMON_FIELDS;

/** An asset's fields as its type's schema sees them. */
interface AssetShape {
  asset_type: AssetType;
  name: string;
  sensor_id: string | null;
  pod: string | null;
  properties: Record<string, unknown>;
  device: Record<string, unknown>;
  relationships: { measures?: string[]; paired_with?: string | null };
  site_id: string | null;
  component_id: string | null;
  plant_id: string | null;
}

type StoredObjects = Pick<CommunityAssetRecord, 'properties' | 'device' | 'relationships'>;

/** The asset checked against its type's bundle schema: its object columns as stored (without nulls), or VALIDATION_ERROR. */
function checkedAsset(a: AssetShape): StoredObjects {
  const problems: Problem[] = Object.keys(a.properties)
    .filter((k) => COMMON.includes(k))
    .map((k) => ({ path: `properties.${k}`, message: 'is a field of the asset itself, not a property', type: 'unrecognized_keys' }));
  const common = {
    name: a.name,
    sensor_id: a.sensor_id,
    pod: a.pod,
    device: a.device,
    relationships: a.relationships,
    site_id: a.site_id,
    component_id: a.component_id,
    plant_id: a.plant_id,
  };
  const parsed = assetSchemas[a.asset_type].safeParse({ ...a.properties, ...common });
  if (!parsed.success) {
    for (const d of zodDetails(parsed.error)) {
      const at = d.path ?? '';
      const path = COMMON.includes(at.split(/[.[]/)[0]!) ? at : at ? `properties.${at}` : 'properties';
      problems.push({ path, message: `${d.message} (of ${a.asset_type} assets)`, type: 'invalid_value' });
    }
  }
  throwProblems('asset', problems);
  const own = Object.fromEntries(Object.entries(parsed.data!).filter(([k]) => !COMMON.includes(k)));
  return {
    properties: withoutNulls(own),
    device: withoutNulls(a.device),
    relationships: withoutNulls(a.relationships) as StoredObjects['relationships'],
  };
}

/** The value a column is written with: object columns as JSON. */
const param = (field: string, value: unknown) => (OBJECT_FIELDS.has(field) ? JSON.stringify(value) : value);
const placeholder = (field: string, n: number) => (OBJECT_FIELDS.has(field) ? `$${n}::jsonb` : `$${n}`);

/** The same JSON value, whatever the order of object keys (jsonb gives them in its own). */
function sameJson(a: unknown, b: unknown): boolean {
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([x], [y]) => (x < y ? -1 : 1))
            .map(([k, x]) => [k, sorted(x)]),
        )
      : v;
  return JSON.stringify(sorted(a ?? null)) === JSON.stringify(sorted(b ?? null));
}

export async function createCommunityAsset(ctx: ServiceContext, input: unknown): Promise<CommunityAssetRecord> {
  const data = parseInput(createAssetInput, input);
  const id = data.id ?? ctx.ids.uuid();
  const asset: AssetShape = {
    asset_type: data.asset_type,
    name: data.name,
    sensor_id: data.sensor_id ?? null,
    pod: data.pod ?? null,
    properties: data.properties ?? {},
    device: data.device ?? {},
    relationships: data.relationships ?? {},
    site_id: data.site_id ?? null,
    component_id: data.component_id ?? null,
    plant_id: data.plant_id ?? null,
  };
  const objects = checkedAsset(asset);
  return ctx.db.transaction(async (tx) => {
    await lockRegistry(tx);
    const community = await communityForWrite(tx, ctx, data.community_id, data.organisation_id);
    await liveMember(tx, community.id, data.member_id);
    throwProblems('asset', [
      await assetKeyProblem(tx, community.id, data.key, id),
      asset.sensor_id ? await sensorProblem(tx, community.id, asset.sensor_id, id) : undefined,
      asset.pod ? await assetPodProblem(tx, community.id, asset.pod) : undefined,
      ...(await relationshipProblems(tx, community.id, asset.relationships, { id, key: data.key })),
      ...(await linkProblems(tx, community.organisation_id, asset)),
    ]);
    const seq = await allocateChangeSeqs(tx, community.organisation_id);
    const { rows } = await tx.query<AssetRow>(
      `INSERT INTO community_assets (id, organisation_id, community_id, member_id, key, asset_type, name, sensor_id, pod, properties, device,
         relationships, site_id, component_id, plant_id, created_at, updated_at, change_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13, $14, $15, $16, $16, $17) RETURNING ${COLUMNS_OF.community_assets}`,
      [
        id,
        community.organisation_id,
        community.id,
        data.member_id,
        data.key,
        asset.asset_type,
        asset.name,
        asset.sensor_id,
        asset.pod,
        JSON.stringify(objects.properties),
        JSON.stringify(objects.device),
        JSON.stringify(objects.relationships),
        asset.site_id,
        asset.component_id,
        asset.plant_id,
        ctx.clock.now(),
        seq,
      ],
    );
    return toAssetRecord(rows[0]!);
  });
}

async function assetForWrite(tx: Queryable, ctx: ServiceContext, id: string): Promise<AssetRow> {
  const current = await findRow<AssetRow>(tx, 'community_assets', id, true);
  if (!current || current.deleted_at) throw notFound('asset', id);
  authorizeManage(ctx.principal, current.organisation_id, 'asset', id);
  return current;
}

/** A problem when other assets name this one by its key: it may not change it, nor go. */
async function keyInUse(tx: Queryable, current: AssetRow): Promise<Problem | undefined> {
  const naming = await assetsNaming(tx, current.community_id, [current.key], { asset: current.id });
  if (naming.length === 0) return undefined;
  return { path: 'key', message: `assets name ${current.key} in their relationships: ${naming.join(', ')}`, type: 'in_use' };
}

export async function updateCommunityAsset(ctx: ServiceContext, rawId: string, input: unknown): Promise<CommunityAssetRecord> {
  const id = parseId(rawId);
  const patch = parseInput(updateAssetInput, input);
  const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
  return ctx.db.transaction(async (tx) => {
    // Even an edit that checks nothing against other rows: taken first, the lock
    // orders this writer behind an import that holds rows and the change counter.
    await lockRegistry(tx);
    const current = await assetForWrite(tx, ctx, id);
    if (patch.community_id !== undefined && patch.community_id !== current.community_id)
      throw validationError('community_id cannot change: an asset stays in its community', [
        { path: 'community_id', message: 'cannot change' },
      ]);
    const community = await findCommunity(tx, current.community_id);
    if (!community) throw notFound('asset', id);
    const merged = { ...current, ...Object.fromEntries(entries) } as AssetRow & AssetShape;
    const objects = checkedAsset(merged);
    const changes = (field: keyof UpdateAssetInput) => patch[field] !== undefined && !sameJson(patch[field], current[field]);
    if (changes('member_id')) await liveMember(tx, community.id, merged.member_id);
    const links = Object.fromEntries((['site_id', 'component_id', 'plant_id'] as const).filter(changes).map((f) => [f, merged[f]]));
    throwProblems('asset', [
      changes('key') ? await assetKeyProblem(tx, community.id, merged.key, id) : undefined,
      changes('key') ? await keyInUse(tx, current) : undefined,
      changes('sensor_id') && merged.sensor_id ? await sensorProblem(tx, community.id, merged.sensor_id, id) : undefined,
      changes('pod') && merged.pod ? await assetPodProblem(tx, community.id, merged.pod) : undefined,
      ...(changes('relationships') || changes('key')
        ? await relationshipProblems(tx, community.id, merged.relationships, { id, key: merged.key })
        : []),
      ...(await linkProblems(tx, current.organisation_id, links)),
    ]);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const stored = entries.map(([field, value]) => [field, field in objects ? objects[field as keyof StoredObjects] : value] as const);
    const sets = stored.map(([field], i) => `${field} = ${placeholder(field, i + 4)}`);
    const { rows } = await tx.query<AssetRow>(
      `UPDATE community_assets SET ${['updated_at = $2', 'change_seq = $3', ...sets].join(', ')} WHERE id = $1 RETURNING ${COLUMNS_OF.community_assets}`,
      [id, ctx.clock.now(), seq, ...stored.map(([field, value]) => param(field, value))],
    );
    return toAssetRecord(rows[0]!);
  });
}

/** Removes an asset; refused (CONFLICT) while other assets name it. */
export async function removeCommunityAsset(ctx: ServiceContext, rawId: string): Promise<CommunityAssetRecord> {
  const id = parseId(rawId);
  return ctx.db.transaction(async (tx) => {
    await lockRegistry(tx);
    const current = await assetForWrite(tx, ctx, id);
    throwProblems('asset', [await keyInUse(tx, current)]);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const [row] = await stampRows<AssetRow>(tx, 'community_assets', [id], ctx.clock.now(), seq, ctx.clock.now());
    return toAssetRecord(row!);
  });
}

/** Brings a removed asset back, if its member is live, its key and sensor id free and what it names still there. */
export async function restoreCommunityAsset(ctx: ServiceContext, rawId: string): Promise<CommunityAssetRecord> {
  const id = parseId(rawId);
  return ctx.db.transaction(async (tx) => {
    await lockRegistry(tx);
    const current = await findRow<AssetRow>(tx, 'community_assets', id, true);
    if (!current) throw notFound('asset', id);
    authorizeManage(ctx.principal, current.organisation_id, 'asset', id);
    if (!current.deleted_at) return toAssetRecord(current);
    const community = await communityForWrite(tx, ctx, current.community_id);
    await liveMember(tx, community.id, current.member_id);
    throwProblems('asset', [
      await assetKeyProblem(tx, community.id, current.key, id),
      current.sensor_id ? await sensorProblem(tx, community.id, current.sensor_id, id) : undefined,
      current.pod ? await assetPodProblem(tx, community.id, current.pod) : undefined,
      ...(await relationshipProblems(tx, community.id, current.relationships, { id, key: current.key })),
    ]);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const [row] = await stampRows<AssetRow>(tx, 'community_assets', [id], null, seq, ctx.clock.now());
    return toAssetRecord(row!);
  });
}
