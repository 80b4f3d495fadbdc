// Writing an import plan in bulk: each kind's created, updated and removed
// rows go in chunks, one statement per chunk, the chunk's rows travelling as
// one array parameter per column and unnested in SQL (a statement per
// thousands of rows, never one per row). Every written row takes the next
// change sequence of the one block the caller allocated, in the order of
// writing: the community, members, delivery points, assets, then the
// removals; so a device pulling in sequence order meets a row's parents
// before it.
import type { Queryable } from '@helio/db';
import type { AssetRow, DeliveryPointRow, ImportPlan, KindPlan, MemberRow } from './diff.js';

/** Rows per statement: large enough that statements are few, small enough that one is a few MB at most. */
export const CHUNK_ROWS = 5000;

type ColumnType = 'uuid' | 'text' | 'bool' | 'jsonb';

interface TableSpec<R> {
  table: string;
  /** The row's columns besides id, organisation_id, community_id, the timestamps and change_seq. */
  columns: readonly (readonly [keyof R & string, ColumnType])[];
}

const memberSpec: TableSpec<MemberRow> = {
  table: 'community_members',
  columns: [
    ['key', 'text'],
    ['user_id', 'text'],
    ['name', 'text'],
    ['type', 'text'],
    ['role', 'text'],
    ['area', 'text'],
    ['status', 'text'],
  ],
};

const deliveryPointSpec: TableSpec<DeliveryPointRow> = {
  table: 'community_delivery_points',
  columns: [
    ['member_id', 'uuid'],
    ['pod', 'text'],
    ['type', 'text'],
    ['description', 'text'],
    ['address', 'text'],
    ['tariff', 'text'],
    ['active', 'bool'],
    ['topology_node', 'text'],
  ],
};

const assetSpec: TableSpec<AssetRow> = {
  table: 'community_assets',
  columns: [
    ['member_id', 'uuid'],
    ['key', 'text'],
    ['asset_type', 'text'],
    ['name', 'text'],
    ['sensor_id', 'text'],
    ['pod', 'text'],
    ['properties', 'jsonb'],
    ['device', 'jsonb'],
    ['relationships', 'jsonb'],
    ['site_id', 'uuid'],
    ['component_id', 'uuid'],
    ['plant_id', 'uuid'],
  ],
};

/** jsonb travels as text (one JSON document per element) and is cast per row in SQL. */
const arrayType = (type: ColumnType) => (type === 'jsonb' ? 'text' : type);
const cast = (type: ColumnType) => (type === 'jsonb' ? '::jsonb' : '');

/** The `unnest(...) WITH ORDINALITY AS u(...)` of the columns, their parameters numbered from `first`. */
function unnestOf(columns: readonly (readonly [string, ColumnType])[], first: number): string {
  const arrays = columns.map(([, type], i) => `$${first + i}::${arrayType(type)}[]`).join(', ');
  return `unnest(${arrays}) WITH ORDINALITY AS u(${columns.map(([name]) => name).join(', ')}, ord)`;
}

function columnArrays<R>(rows: R[], columns: readonly (readonly [keyof R & string, ColumnType])[]): unknown[][] {
  return columns.map(([name, type]) =>
    rows.map((row) => {
      const value = row[name];
      return type === 'jsonb' ? JSON.stringify(value) : value;
    }),
  );
}

export interface WriteContext {
  tx: Queryable;
  organisationId: string;
  communityId: string;
  now: Date;
  /** The next change sequence to hand out. */
  seq: number;
  done: number;
  total: number;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

async function inChunks<R>(w: WriteContext, rows: R[], write: (chunk: R[], firstSeq: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const chunk = rows.slice(start, start + CHUNK_ROWS);
    await write(chunk, w.seq);
    w.seq += chunk.length;
    w.done += chunk.length;
    w.onProgress?.({ phase: 'write', done: w.done, total: w.total });
  }
}

/**
 * The field clocks the stamping trigger (migrations 0002, 0006) would give a
 * new row of `table`: every column but the bookkeeping ones, all at one
 * server-made clock read from the database's clock. A bulk insert writes them
 * itself, and the table's INSERT trigger (migration 0010) only runs for rows
 * inserted without clocks: the trigger's per-row work was most of an
 * import's database time. The columns are read from the catalog, so a column
 * added later is stamped as the trigger would stamp it.
 */
async function newRowClocks(tx: Queryable, table: string): Promise<string> {
  const { rows } = await tx.query<{ clocks: unknown }>(
    `WITH now AS MATERIALIZED (SELECT lpad(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint::text, 13, '0') || '-0000-server' AS clock)
     SELECT jsonb_object_agg(c.column_name, now.clock) AS clocks
     FROM information_schema.columns c CROSS JOIN now
     WHERE c.table_schema = current_schema() AND c.table_name = $1
       AND c.column_name NOT IN ('field_clocks', 'change_seq', 'created_at', 'updated_at', 'id', 'organisation_id')`,
    [table],
  );
  return JSON.stringify(rows[0]!.clocks);
}

async function insertRows<R extends { id: string }>(w: WriteContext, spec: TableSpec<R>, rows: R[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = [['id', 'uuid'] as const, ...spec.columns];
  const clocks = await newRowClocks(w.tx, spec.table);
  const clocksParam = 5 + columns.length;
  const sql = `INSERT INTO ${spec.table} (organisation_id, community_id, created_at, updated_at, change_seq, ${columns.map(([c]) => c).join(', ')}, field_clocks)
    SELECT $1::uuid, $2::uuid, $3::timestamptz, $3::timestamptz, $4::int8 + u.ord - 1, ${columns.map(([c, t]) => `u.${c}${cast(t)}`).join(', ')}, $${clocksParam}::jsonb
    FROM ${unnestOf(columns, 5)}`;
  await inChunks(w, rows, (chunk, firstSeq) =>
    w.tx.query(sql, [w.organisationId, w.communityId, w.now, firstSeq, ...columnArrays(chunk, columns), clocks]).then(() => undefined),
  );
}

async function updateRows<R extends { id: string }>(w: WriteContext, spec: TableSpec<R>, rows: R[]): Promise<void> {
  const columns = [['id', 'uuid'] as const, ...spec.columns];
  const sql = `UPDATE ${spec.table} t SET ${spec.columns.map(([c, type]) => `${c} = u.${c}${cast(type)}`).join(', ')},
      updated_at = $1::timestamptz, change_seq = $2::int8 + u.ord - 1
    FROM ${unnestOf(columns, 3)} WHERE t.id = u.id`;
  await inChunks(w, rows, (chunk, firstSeq) => w.tx.query(sql, [w.now, firstSeq, ...columnArrays(chunk, columns)]).then(() => undefined));
}

/** Soft deletion: the row stays, with deleted_at and a new change sequence, so devices learn of it. */
async function removeRows(w: WriteContext, table: string, ids: string[]): Promise<void> {
  const sql = `UPDATE ${table} t SET deleted_at = $1::timestamptz, updated_at = $1::timestamptz, change_seq = $2::int8 + u.ord - 1
    FROM unnest($3::uuid[]) WITH ORDINALITY AS u(id, ord) WHERE t.id = u.id`;
  await inChunks(w, ids, (chunk, firstSeq) => w.tx.query(sql, [w.now, firstSeq, chunk]).then(() => undefined));
}

async function writeKind<R extends { id: string }>(w: WriteContext, spec: TableSpec<R>, plan: KindPlan<R>): Promise<void> {
  await insertRows(w, spec, plan.create);
  await updateRows(w, spec, plan.update);
}

async function writeCommunity(w: WriteContext, plan: ImportPlan): Promise<void> {
  const c = plan.communityValues;
  const values = [
    c.key,
    c.name,
    c.description,
    JSON.stringify(c.legal),
    JSON.stringify(c.links),
    JSON.stringify(c.contact),
    JSON.stringify(c.settings),
    JSON.stringify(c.operators),
    JSON.stringify(c.areas),
    JSON.stringify(c.topology),
    JSON.stringify(c.bundle),
  ];
  if (plan.community === 'create') {
    await w.tx.query(
      `INSERT INTO communities (id, organisation_id, created_at, updated_at, change_seq,
         key, name, description, legal, links, contact, settings, operators, areas, topology, bundle)
       VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11::jsonb, $12::jsonb, $13::jsonb, $14::jsonb, $15::jsonb)`,
      [plan.communityId, w.organisationId, w.now, w.seq, ...values],
    );
  } else {
    await w.tx.query(
      `UPDATE communities SET updated_at = $2, change_seq = $3, key = $4, name = $5, description = $6, legal = $7::jsonb,
         links = $8::jsonb, contact = $9::jsonb, settings = $10::jsonb, operators = $11::jsonb, areas = $12::jsonb,
         topology = $13::jsonb, bundle = $14::jsonb
       WHERE id = $1`,
      [plan.communityId, w.now, w.seq, ...values],
    );
  }
  w.seq++;
  w.done++;
}

/** How many rows the plan writes: each takes one change sequence. */
export function plannedWrites(plan: ImportPlan): number {
  const kinds = [plan.members, plan.deliveryPoints, plan.assets] as KindPlan<unknown>[];
  return (plan.community === 'unchanged' ? 0 : 1) + kinds.reduce((n, k) => n + k.create.length + k.update.length + k.remove.length, 0);
}

/** Writes the plan, handing out change sequences from `w.seq` on. */
export async function writePlan(w: WriteContext, plan: ImportPlan): Promise<void> {
  if (plan.community !== 'unchanged') await writeCommunity(w, plan);
  await writeKind(w, memberSpec, plan.members);
  await writeKind(w, deliveryPointSpec, plan.deliveryPoints);
  await writeKind(w, assetSpec, plan.assets);
  await removeRows(w, deliveryPointSpec.table, plan.deliveryPoints.remove);
  await removeRows(w, assetSpec.table, plan.assets.remove);
  await removeRows(w, memberSpec.table, plan.members.remove);
}
