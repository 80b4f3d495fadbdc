// sync.pull on the server: the rows each of the caller's organisations
// changed after the client's cursor, in change-sequence order, a page at a time.
import type { Queryable } from '@helio/db';
import type { ServiceContext } from '../context.js';
import { directoryEntries } from '../users/directory.js';
import { parseInput } from '../validation.js';
import { pullRequest, type MutationResult, type OrganisationPage, type PullResponse, type RowChange } from './protocol.js';
import { checkVersions, syncUser } from './session.js';
import { ORGANISATION_COLUMN, type SyncSchema } from './synced-table.js';
import { syncSchema } from './tables.js';

// One statement, so one snapshot: writers of an organisation take its change
// counter's row lock and so commit in sequence order; any snapshot therefore
// holds a gapless prefix of the organisation's sequence, and a cursor taken
// from it never skips a change committed later with a lower number.
//
// Each table gives at most a page of keys, read in order from its
// (organisation_id, change_seq) index, and only the rows of the page are
// turned into JSON: a plain UNION ordered and limited as a whole converted and
// sorted every row after the cursor on every page, so an initial sync of n
// rows cost O(n²) (seconds per page for 100 000 rows).
function pageSql(schema: SyncSchema): string {
  const org = ORGANISATION_COLUMN;
  return `
SELECT k.table_name, k.change_seq,
  CASE k.table_name
${schema.names.map((t) => `    WHEN '${t}' THEN (SELECT to_jsonb(x) FROM ${t} x WHERE x.id = k.id)`).join('\n')}
  END AS row
FROM (
  SELECT table_name, id, change_seq FROM (
${schema.names
  .map(
    (t) =>
      `    (SELECT '${t}'::text AS table_name, id, change_seq FROM ${t} WHERE ${org} = $1 AND change_seq > $2 ORDER BY change_seq LIMIT $3)`,
  )
  .join('\n    UNION ALL\n')}
  ) candidates
  ORDER BY change_seq
  LIMIT $3
) k
ORDER BY k.change_seq`;
}

const pageSqlOf = new WeakMap<SyncSchema, string>();

async function organisationPage(
  q: Queryable,
  schema: SyncSchema,
  organisationId: string,
  cursor: number,
  limit: number,
): Promise<OrganisationPage> {
  let sql = pageSqlOf.get(schema);
  if (!sql) pageSqlOf.set(schema, (sql = pageSql(schema)));
  const { rows } = await q.query<{ table_name: string; change_seq: number; row: Record<string, unknown> }>(sql, [
    organisationId,
    cursor,
    limit + 1,
  ]);
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  const userIds = new Set<string>();
  const changes: RowChange[] = page.map(({ table_name: table, change_seq: changeSeq, row }) => {
    const { field_clocks: fieldClocks, ...data } = row as { field_clocks: Record<string, string> } & Record<string, unknown>;
    const descriptor = schema.get(table);
    for (const column of descriptor?.serverOnlyColumns ?? []) delete data[column];
    for (const column of descriptor?.userColumns ?? []) if (typeof data[column] === 'string') userIds.add(data[column] as string);
    return { table, id: data['id'] as string, changeSeq, deletedAt: (data['deleted_at'] as string | null) ?? null, fieldClocks, row: data };
  });
  const users = await directoryEntries(q, [...userIds]);
  return { organisationId, changes, users, cursor: page.at(-1)?.change_seq ?? cursor, hasMore };
}

/**
 * The organisations served are the caller's memberships, never the client's
 * say; an organisation the client has a cursor for but the user no longer
 * belongs to is reported as revoked.
 */
export async function pull(ctx: ServiceContext, input: unknown, schema: SyncSchema = syncSchema): Promise<PullResponse> {
  await checkVersions(ctx, input, { park: false });
  const req = parseInput(pullRequest, input);
  const userId = syncUser(ctx);
  const memberships = ctx.principal.kind === 'user' ? [...ctx.principal.memberships.keys()].sort() : [];
  const revoked = Object.keys(req.cursors)
    .filter((org) => !memberships.includes(org))
    .sort();
  const organisations: OrganisationPage[] = [];
  for (const org of memberships) organisations.push(await organisationPage(ctx.db, schema, org, req.cursors[org] ?? 0, req.limit));
  const client = await ctx.db.query<{ user_id: string; last_seq: number }>(
    'SELECT user_id, last_seq FROM sync_clients WHERE client_id = $1',
    [req.clientId],
  );
  const own = client.rows[0]?.user_id === userId;
  const mutations = own
    ? (
        await ctx.db.query<{ result: MutationResult }>(
          'SELECT result FROM sync_mutations WHERE client_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000',
          [req.clientId, req.ackedSeq],
        )
      ).rows.map((r) => r.result)
    : [];
  return { organisations, revoked, lastAppliedSeq: own ? client.rows[0]!.last_seq : 0, mutations };
}
