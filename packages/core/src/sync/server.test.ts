import { randomUUID } from 'node:crypto';
import { describeEachEngine } from '@helio/db/testing';
import { expect, it } from 'vitest';
import type { ServiceContext } from '../context.js';
import type { Clock } from '../ids.js';
import { createSite, getSite, updateSite } from '../sites/service.js';
import { contextFor, seedOrganisation } from '../testing.js';
import { addMember } from '../users/service.js';
import { membershipsOf } from '../users/service.js';
import { systemPrincipal } from '../auth/principal.js';
import { HybridClock } from './hlc.js';
import { PROTOCOL_VERSION, SCHEMA_VERSION, type Mutation, type PullResponse } from './protocol.js';
import { pull } from './pull.js';
import { push } from './push.js';

const v = { protocolVersion: PROTOCOL_VERSION, schemaVersion: SCHEMA_VERSION };

/** A client speaking the protocol; `node` names its clocks (`undefined`: its id, as SyncClient does). */
function clientOf(ctx: ServiceContext, node: string | undefined, wall: Clock = ctx.clock) {
  const clientId = randomUUID();
  const clock = new HybridClock(node ?? clientId.replaceAll('-', ''), wall);
  let seq = 0;
  return {
    clientId,
    next: (m: Omit<Mutation, 'seq' | 'hlc'>): Mutation => ({ ...m, seq: ++seq, hlc: clock.now() }) as Mutation,
    push: (mutations: Mutation[]) => push(ctx, { ...v, clientId, mutations }),
    pull: (cursors: Record<string, number> = {}, limit?: number) => pull(ctx, { ...v, clientId, cursors, ...(limit ? { limit } : {}) }),
  };
}

function changesOf(res: PullResponse, table: string) {
  return res.organisations.flatMap((o) => o.changes.filter((c) => c.table === table));
}

describeEachEngine('sync push and pull', (getDb) => {
  it('applies a mutation exactly once and answers a re-delivery with the stored result', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const c = clientOf(a.as.technician, 'laptop1');
    const id = randomUUID();
    const create = c.next({
      table: 'sites',
      op: 'create',
      id,
      organisationId: a.id,
      fields: { siteName: 'Offline site', timezone: 'Europe/Berlin' },
    });
    const first = await c.push([create]);
    expect(first.results).toEqual([expect.objectContaining({ seq: 1, status: 'applied', organisationId: a.id })]);
    const again = await c.push([create]);
    expect(again.results).toEqual(first.results);
    expect(again.lastAppliedSeq).toBe(1);
    const pulled = await c.pull();
    expect(changesOf(pulled, 'sites').map((ch) => ch.row['site_name'])).toEqual(['Offline site']);
    expect(pulled.mutations.map((m) => m.seq)).toEqual([1]);
  });

  it('refuses a batch in which an applied seq comes back as another mutation, and applies nothing of it', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const c = clientOf(a.as.technician, undefined);
    const first = c.next({ table: 'portfolios', op: 'create', id: randomUUID(), organisationId: a.id, fields: { name: 'Original' } });
    await c.push([first]);
    // A copy of the device's data made the same seq for another write, and one more after it.
    const copied = {
      ...c.next({ table: 'portfolios', op: 'create', id: randomUUID(), organisationId: a.id, fields: { name: 'Copy' } }),
      seq: 1,
    } as Mutation;
    const after = {
      ...c.next({ table: 'portfolios', op: 'create', id: randomUUID(), organisationId: a.id, fields: { name: 'After' } }),
      seq: 2,
    } as Mutation;
    await expect(c.push([copied, after])).rejects.toMatchObject({
      code: 'SYNC_IDENTITY_IN_USE',
      message: expect.stringMatching(/another copy/),
    });
    const { rows } = await getDb().query<{ name: string }>('SELECT name FROM portfolios WHERE organisation_id = $1 ORDER BY name', [a.id]);
    expect(rows.map((r) => r.name)).toEqual(['Original']);
    // The same mutation sent again is a retry, answered from the stored result, with its clock.
    expect((await c.push([first])).results).toEqual([expect.objectContaining({ seq: 1, status: 'applied', hlc: first.hlc })]);
  });

  it('refuses a gap and applies nothing after it', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const c = clientOf(a.as.technician, 'laptop1');
    const m1 = c.next({ table: 'portfolios', op: 'create', id: randomUUID(), organisationId: a.id, fields: { name: 'One' } });
    const m2 = c.next({ table: 'portfolios', op: 'create', id: randomUUID(), organisationId: a.id, fields: { name: 'Two' } });
    const res = await c.push([m2]);
    expect(res.results).toEqual([expect.objectContaining({ seq: 2, status: 'gap' })]);
    expect(res.lastAppliedSeq).toBe(0);
    expect((await c.push([m1, m2])).results.map((r) => r.status)).toEqual(['applied', 'applied']);
  });

  it('rejects an invalid or forbidden mutation with a reason and keeps draining the queue', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const b = await seedOrganisation(getDb(), 'B');
    const c = clientOf(a.as.technician, 'laptop1');
    const res = await c.push([
      c.next({ table: 'sites', op: 'create', id: randomUUID(), organisationId: a.id, fields: { siteName: '' } }),
      c.next({ table: 'sites', op: 'create', id: randomUUID(), organisationId: b.id, fields: { siteName: 'Not mine' } }),
      c.next({ table: 'sites', op: 'create', id: randomUUID(), organisationId: a.id, fields: { siteName: 'Fine', bogus: 1 } }),
      c.next({ table: 'sites', op: 'create', id: randomUUID(), organisationId: a.id, fields: { siteName: 'Fine' } }),
    ]);
    expect(res.results.map((r) => [r.status, r.code])).toEqual([
      ['rejected', 'VALIDATION_ERROR'],
      ['rejected', 'NOT_FOUND'],
      ['rejected', 'VALIDATION_ERROR'],
      ['applied', null],
    ]);
    expect(res.lastAppliedSeq).toBe(4);
    const viewer = clientOf(a.as.viewer, 'tablet');
    const denied = await viewer.push([
      viewer.next({ table: 'sites', op: 'create', id: randomUUID(), organisationId: a.id, fields: { siteName: 'x' } }),
    ]);
    expect(denied.results[0]).toMatchObject({ status: 'rejected', code: 'FORBIDDEN' });
  });

  it('keeps the later clock on a concurrent edit of one field and writes one conflict record', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const site = await createSite(a.as.admin, { siteName: 'Shared' });
    const c1 = clientOf(a.as.technician, 'laptop1');
    const c2 = clientOf(a.as.admin, 'laptop2');
    const seen = changesOf(await c1.pull(), 'sites')[0]!.fieldClocks['site_name']!;
    const early = c1.next({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: a.id,
      fields: { siteName: 'From laptop 1' },
      base: { siteName: seen },
    });
    const late = c2.next({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: a.id,
      fields: { siteName: 'From laptop 2' },
      base: { siteName: seen },
    });
    expect((await c2.push([late])).results[0]!.status).toBe('applied');
    expect((await c1.push([early])).results[0]!.status).toBe('conflict');
    expect((await getSite(a.as.viewer, site.id)).siteName).toBe('From laptop 2');
    const conflicts = changesOf(await c2.pull(), 'sync_conflicts');
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]!.row).toMatchObject({
      field: 'siteName',
      kind: 'field',
      kept: 'From laptop 2',
      lost: 'From laptop 1',
      table_name: 'sites',
    });
    // Every member of the organisation receives it, both authors included.
    expect(changesOf(await clientOf(a.as.viewer, 'x').pull(), 'sync_conflicts')).toHaveLength(1);
  });

  it('names the author of the value that lost when the incoming edit wins, from its clock', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const site = await createSite(a.as.admin, { siteName: 'Shared' });
    const first = clientOf(a.as.technician, undefined);
    const second = clientOf(a.as.admin, undefined);
    const seen = changesOf(await first.pull(), 'sites')[0]!.fieldClocks['site_name']!;
    const early = first.next({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: a.id,
      fields: { siteName: 'Early' },
      base: { siteName: seen },
    });
    await new Promise((r) => setTimeout(r, 5));
    const late = second.next({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: a.id,
      fields: { siteName: 'Late' },
      base: { siteName: seen },
    });
    expect((await first.push([early])).results[0]!.status).toBe('applied');
    expect((await second.push([late])).results[0]!.status).toBe('conflict');
    const [record] = changesOf(await second.pull(), 'sync_conflicts');
    const technician = (a.as.technician.principal as { userId: string }).userId;
    expect(record!.row).toMatchObject({ kept: 'Late', lost: 'Early', lost_by: technician });
    // A value written on the server itself (REST) has no client author.
    const third = clientOf(a.as.admin, undefined);
    const now = changesOf(await third.pull(), 'sites')[0]!.fieldClocks['site_name']!;
    await updateSite(a.as.admin, site.id, { siteName: 'Via REST' });
    await new Promise((r) => setTimeout(r, 5));
    const edit = third.next({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: a.id,
      fields: { siteName: 'Offline edit' },
      base: { siteName: now },
    });
    expect((await third.push([edit])).results[0]!.status).toBe('conflict');
    const records = changesOf(await third.pull(), 'sync_conflicts').map((c) => c.row);
    expect(records.find((r) => r['lost'] === 'Via REST')).toMatchObject({ kept: 'Offline edit', lost_by: null });
  });

  it('lets a delete win over a concurrent update, restorably', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const site = await createSite(a.as.admin, { siteName: 'Doomed', capacity: 10 });
    const c = clientOf(a.as.technician, 'laptop1');
    const seen = changesOf(await c.pull(), 'sites')[0]!.fieldClocks;
    await updateSite(a.as.admin, site.id, { capacity: 20 });
    const del = c.next({
      table: 'sites',
      op: 'delete',
      id: site.id,
      organisationId: a.id,
      base: { siteName: seen['site_name']!, capacity: seen['capacity']! },
    });
    expect((await c.push([del])).results[0]!.status).toBe('conflict');
    await expect(getSite(a.as.viewer, site.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const [conflict] = changesOf(await c.pull(), 'sync_conflicts');
    expect(conflict!.row).toMatchObject({ kind: 'delete', lost: expect.objectContaining({ capacity: 20 }) });
    const resolve = c.next({
      table: 'sync_conflicts',
      op: 'resolve',
      id: conflict!.id,
      organisationId: a.id,
      fields: { resolution: 'restored' },
    } as Omit<Mutation, 'seq' | 'hlc'>);
    expect((await c.push([resolve])).results[0]!.status).toBe('applied');
    expect(await getSite(a.as.viewer, site.id)).toMatchObject({ siteName: 'Doomed', capacity: 20 });
  });

  it('pages by change sequence and resumes from the cursor without skipping or repeating', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    for (let i = 0; i < 7; i++) await createSite(a.as.admin, { siteName: `S${i}` });
    const c = clientOf(a.as.viewer, 'laptop1');
    const seen: string[] = [];
    let cursor = 0;
    for (;;) {
      const res = await c.pull({ [a.id]: cursor }, 3);
      const page = res.organisations.find((o) => o.organisationId === a.id)!;
      seen.push(...page.changes.filter((ch) => ch.table === 'sites').map((ch) => ch.row['site_name'] as string));
      expect(page.changes.length).toBeLessThanOrEqual(3);
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    expect(seen).toEqual(['S0', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6']);
  });

  it("never sends another organisation's rows, and reports a revoked organisation", async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const b = await seedOrganisation(getDb(), 'B');
    await createSite(b.as.admin, { siteName: 'B only' });
    const res = await clientOf(a.as.owner, 'laptop1').pull({ [b.id]: 0 });
    expect(res.organisations.map((o) => o.organisationId)).toEqual([a.id]);
    expect(JSON.stringify(res)).not.toContain('B only');
    expect(res.revoked).toEqual([b.id]);
  });

  it('refuses an unsupported protocol version clearly, keeping the pushed mutations', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const clientId = randomUUID();
    const old = { protocolVersion: 0, schemaVersion: 1, clientId, mutations: [{ seq: 1, anything: 'old shape' }] };
    await expect(push(a.as.technician, old)).rejects.toMatchObject({
      code: 'UNSUPPORTED_VERSION',
      message: expect.stringMatching(/update the app/),
    });
    const { rows } = await getDb().query<{ payload: unknown }>('SELECT payload FROM sync_parked_pushes WHERE client_id = $1', [clientId]);
    expect(rows[0]?.payload).toEqual(old);
    await expect(pull(a.as.technician, { protocolVersion: 99, schemaVersion: SCHEMA_VERSION, clientId })).rejects.toMatchObject({
      code: 'UNSUPPORTED_VERSION',
    });
  });

  it('refuses a client id that another user synced with', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const c = clientOf(a.as.technician, 'laptop1');
    await c.push([c.next({ table: 'portfolios', op: 'create', id: randomUUID(), organisationId: a.id, fields: { name: 'P' } })]);
    await expect(push(a.as.admin, { ...v, clientId: c.clientId, mutations: [] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('delivers a new member the organisation on the next pull', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const b = await seedOrganisation(getDb(), 'B');
    const userId = (a.as.viewer.principal as { userId: string }).userId;
    await addMember(contextFor(getDb(), systemPrincipal), { organisationId: b.id, userId, role: 'viewer' });
    const ctx = contextFor(getDb(), { kind: 'user', userId, memberships: await membershipsOf(a.as.viewer, userId) });
    const res = await clientOf(ctx, 'laptop1').pull();
    expect(res.organisations.map((o) => o.organisationId).sort()).toEqual([a.id, b.id].sort());
  });

  it("keeps a client's later edit over its own earlier one when the client's clock runs ahead of the clamp", async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const site = await createSite(a.as.admin, { siteName: 'Roof' });
    // A laptop whose clock is ten minutes ahead: the server clamps its clocks to five.
    const ahead = { now: () => new Date(Date.now() + 10 * 60_000) };
    const c = clientOf(a.as.technician, 'laptop1', ahead);
    const seen = changesOf(await c.pull(), 'sites')[0]!.fieldClocks['site_name']!;
    const first = c.next({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: a.id,
      fields: { siteName: 'First' },
      base: { siteName: seen },
    });
    const second = c.next({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: a.id,
      fields: { siteName: 'Second' },
      base: { siteName: first.hlc },
    });
    const del = c.next({ table: 'sites', op: 'delete', id: site.id, organisationId: a.id, base: { siteName: second.hlc } });
    expect((await c.push([first, second])).results.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect((await getSite(a.as.viewer, site.id)).siteName).toBe('Second');
    expect((await c.push([del])).results.map((r) => r.status)).toEqual(['applied']);
    expect(changesOf(await c.pull(), 'sync_conflicts')).toEqual([]);
  });
});
