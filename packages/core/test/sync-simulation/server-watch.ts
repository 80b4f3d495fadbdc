// What the simulation checks as each message reaches the server: that a pull
// answer holds only the caller's organisations (invariant 6), that a push
// answer is in seq order (3) and that re-delivering a (clientId, seq) has no
// second effect and gets the same answer (2). And, through a trigger the
// simulation adds to the server's database, that no two transactions write
// one field with the same clock: a base clock names the version a client
// saw, so a reused clock would let a client overwrite, silently, a write it
// never saw (and a missed conflict is a lost update). Versions within one
// transaction are never seen by anyone, so sharing a clock there is harmless.
import type { ServiceContext } from '../../src/context.js';
import type { PullResponse, PushRequest, PushResponse } from '../../src/sync/protocol.js';
import type { SimClient, World } from './world.js';

/** The tables devices write in the schedules. */
const AUDITED = ['sites', 'portfolios', 'components', 'community_members', 'community_delivery_points', 'community_assets'];

const CLOCK_AUDIT = `
CREATE TABLE IF NOT EXISTS sim_clock_writes (table_name text, row_id uuid, field text, clock text, tx bigint);
CREATE INDEX IF NOT EXISTS sim_clock_writes_idx ON sim_clock_writes (row_id, field, clock);
CREATE TABLE IF NOT EXISTS sim_clock_reuse (table_name text, row_id uuid, field text, clock text);
CREATE OR REPLACE FUNCTION sim_audit_clocks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A clock another transaction already wrote to this field: two visible versions share it.
  INSERT INTO sim_clock_reuse
  SELECT TG_TABLE_NAME, NEW.id, n.key, NEW.field_clocks ->> n.key
  FROM jsonb_each(to_jsonb(NEW) - 'field_clocks' - 'change_seq' - 'created_at' - 'updated_at' - 'id' - 'organisation_id') n
  WHERE (TG_OP = 'INSERT' OR n.value IS DISTINCT FROM to_jsonb(OLD) -> n.key)
    AND EXISTS (SELECT 1 FROM sim_clock_writes w
                WHERE w.row_id = NEW.id AND w.field = n.key AND w.clock = NEW.field_clocks ->> n.key AND w.tx <> txid_current());
  INSERT INTO sim_clock_writes
  SELECT TG_TABLE_NAME, NEW.id, n.key, NEW.field_clocks ->> n.key, txid_current()
  FROM jsonb_each(to_jsonb(NEW) - 'field_clocks' - 'change_seq' - 'created_at' - 'updated_at' - 'id' - 'organisation_id') n
  WHERE TG_OP = 'INSERT' OR n.value IS DISTINCT FROM to_jsonb(OLD) -> n.key;
  RETURN NULL;
END
$$;
${AUDITED.map(
  (t) => `DROP TRIGGER IF EXISTS sim_${t}_clocks ON ${t};
CREATE TRIGGER sim_${t}_clocks AFTER INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION sim_audit_clocks();`,
).join('\n')}
`;

/** JSON with keys sorted: a result read back from jsonb has its keys in another order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

interface BeforePush {
  lastSeq: number;
  changes: number;
  conflicts: number;
}

export class ServerWatch {
  /** Every answer given for a (clientId, seq). */
  private readonly answers = new Map<string, string>();
  pulls = 0;
  pushes = 0;

  constructor(private readonly world: World) {}

  /** Adds the clock audit to the server's database (once per database; it survives the resets). */
  async install(): Promise<void> {
    const db = this.world.dbs.server;
    const { rows } = await db.query<{ present: boolean }>("SELECT to_regclass('sim_clock_writes') IS NOT NULL AS present");
    if (!rows[0]?.present) await db.exec(CLOCK_AUDIT);
  }

  pulled(client: SimClient, ctx: ServiceContext, response: PullResponse): void {
    this.pulls++;
    const allowed = ctx.principal.kind === 'user' ? ctx.principal.memberships : new Map();
    for (const page of response.organisations) {
      if (!allowed.has(page.organisationId))
        this.world.violation(`client ${client.index} was sent organisation ${page.organisationId}, which its user does not belong to`);
      const referenced = new Set<string>();
      for (const change of page.changes) {
        if (change.row['organisation_id'] !== page.organisationId) {
          this.world.violation(
            `client ${client.index} was sent a ${change.table} row of organisation ${String(change.row['organisation_id'])} in the page of ${page.organisationId}`,
          );
        }
        for (const column of ['user_id', 'uploaded_by', 'lost_by', 'resolved_by']) {
          if (typeof change.row[column] === 'string') referenced.add(change.row[column]);
        }
      }
      for (const u of page.users)
        if (!referenced.has(u.id)) this.world.violation(`client ${client.index} was sent user ${u.id}, whom no row of its page names`);
    }
    for (const org of response.revoked) if (allowed.has(org)) this.world.violation(`organisation ${org} was reported revoked to a member`);
  }

  async beforePush(request: PushRequest): Promise<BeforePush> {
    return this.probe(request.clientId);
  }

  private async probe(clientId: string): Promise<BeforePush> {
    const { rows } = await this.world.dbs.server.query<BeforePush>(
      `SELECT COALESCE((SELECT last_seq FROM sync_clients WHERE client_id = $1), 0)::int AS "lastSeq",
              (SELECT COALESCE(sum(last_seq), 0) FROM organisation_change_counters)::int AS changes,
              (SELECT count(*) FROM sync_conflicts)::int AS conflicts`,
      [clientId],
    );
    return rows[0]!;
  }

  async pushed(request: PushRequest, response: PushResponse, before: BeforePush): Promise<void> {
    this.pushes++;
    const v = (text: string) => this.world.violation(`push from ${request.clientId}: ${text}`);
    const seqs = response.results.map((r) => r.seq);
    if (seqs.some((s, i) => i > 0 && s <= seqs[i - 1]!)) v(`results out of seq order: ${seqs.join(',')}`);
    if (response.lastAppliedSeq < before.lastSeq) v(`last applied seq went back from ${before.lastSeq} to ${response.lastAppliedSeq}`);
    for (const r of response.results) {
      if (r.status === 'gap') {
        if (r.seq <= response.lastAppliedSeq) v(`seq ${r.seq} answered as a gap although ${response.lastAppliedSeq} is applied`);
        continue;
      }
      const key = `${request.clientId}:${r.seq}`;
      const answer = canonical(r);
      const earlier = this.answers.get(key);
      if (earlier === undefined) this.answers.set(key, answer);
      else if (earlier !== answer) v(`seq ${r.seq} answered differently on re-delivery: ${earlier} then ${answer}`);
    }
    const applied = new Set(response.results.filter((r) => r.status !== 'gap').map((r) => r.seq));
    for (let s = before.lastSeq + 1; s <= response.lastAppliedSeq; s++) if (!applied.has(s)) v(`seq ${s} was applied without an answer`);
    if (request.mutations.every((m) => m.seq <= before.lastSeq)) {
      const after = await this.probe(request.clientId);
      if (after.changes !== before.changes || after.conflicts !== before.conflicts) {
        v(
          `a re-delivery of seqs ${request.mutations.map((m) => m.seq).join(',')} changed the server (change counters ${before.changes} → ${after.changes}, conflicts ${before.conflicts} → ${after.conflicts})`,
        );
      }
    }
  }

  /** Fields two transactions wrote with the same clock. */
  async clockReuse(): Promise<string[]> {
    const { rows } = await this.world.dbs.server.query<{ table_name: string; row_id: string; field: string; clock: string }>(
      'SELECT * FROM sim_clock_reuse',
    );
    return rows.map((r) => `${r.table_name} ${r.row_id}: two transactions wrote ${r.field} with the same clock ${r.clock}`);
  }
}
