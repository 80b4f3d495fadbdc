// Commands: recorded through the API (roles, idempotency, validation), then
// the gateway's side (pending, sent, the plant's answers, expiry).
import type { Engine } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../ids.js';
import { seedOrganisation, type TestOrganisation } from '../testing.js';
import { expireCommands, listCommands, markSent, outgoingCommand, pendingCommands, recordAck, sendCommand } from './commands.js';
import { plantEvents } from './events.js';
import { createPlant, decommissionPlant } from './service.js';

const NOW = Date.parse('2024-06-15T12:00:00Z');
let clockMs = NOW;
const clock: Clock = { now: () => new Date(clockMs) };
const TTL = 3600;

for (const engine of testEngines) describeCommands(engine);

function describeCommands(engine: Engine): void {
  describe(`plant commands [${engine}]`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let other: TestOrganisation;
    let counter = 0;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Commands', clock);
      other = await seedOrganisation(db, 'Elsewhere', clock);
    });
    afterAll(() => db.dispose());

    async function plant(): Promise<string> {
      const n = ++counter;
      const p = await createPlant(org.as.technician, {
        name: `Cmd ${n}`,
        serialNumber: `SN-CMD-${n}`,
        type: 'ACTUATOR',
        authMethod: 'TOKEN',
      });
      return p.id;
    }

    /** The 'command' events emitted while `fn` runs. */
    async function events<T>(fn: () => Promise<T>): Promise<{ result: T; heard: [string, string][] }> {
      const heard: [string, string][] = [];
      const listener = (plantId: string, cmdId: string) => heard.push([plantId, cmdId]);
      plantEvents.on('command', listener);
      try {
        return { result: await fn(), heard };
      } finally {
        plantEvents.off('command', listener);
      }
    }

    it('records a command queued, with its expiry, and tells the gateway', async () => {
      clockMs = NOW;
      const id = await plant();
      const { result, heard } = await events(() =>
        sendCommand(org.as.technician, id, { command: 'set_power_limit', payload: { percent: 60 }, target: 'INV_2' }, { ttlSeconds: TTL }),
      );
      expect(result.created).toBe(true);
      expect(result.command).toMatchObject({
        plantId: id,
        command: 'set_power_limit',
        payload: { percent: 60 },
        target: 'INV_2',
        state: 'queued',
        createdAt: new Date(NOW).toISOString(),
        expiresAt: new Date(NOW + TTL * 1000).toISOString(),
        sentAt: null,
        ackedAt: null,
        completedAt: null,
        response: null,
        responseStatus: null,
      });
      expect(result.command.cmdId).toMatch(/^[0-9a-f-]{36}$/);
      expect(result.command.cmdId).not.toBe(result.command.id);
      expect(heard).toEqual([[id, result.command.cmdId]]);
      // No payload: an empty object.
      const bare = await sendCommand(org.as.admin, id, { command: 'reboot' }, { ttlSeconds: TTL });
      expect(bare.command).toMatchObject({ payload: {}, target: null });
    });

    it('creates one command for one Idempotency-Key, and tells the gateway once', async () => {
      const id = await plant();
      const send = () => sendCommand(org.as.technician, id, { command: 'restart' }, { ttlSeconds: TTL, idempotencyKey: 'key-1' });
      const first = await events(send);
      const again = await events(send);
      expect(first.result.created).toBe(true);
      expect(again.result).toEqual({ command: first.result.command, created: false });
      expect(again.heard).toEqual([]);
      const concurrent = await Promise.all(
        [1, 2, 3].map(() => sendCommand(org.as.technician, id, { command: 'restart' }, { ttlSeconds: TTL, idempotencyKey: 'key-2' })),
      );
      expect(concurrent.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(concurrent.map((r) => r.command.id)).size).toBe(1);
      // The key is the plant's: another plant may use it.
      const id2 = await plant();
      expect(
        (await sendCommand(org.as.technician, id2, { command: 'restart' }, { ttlSeconds: TTL, idempotencyKey: 'key-1' })).created,
      ).toBe(true);
      expect((await listCommands(org.as.viewer, id)).meta.total).toBe(2);
    });

    it('refuses an Idempotency-Key used before for a different command, payload or target; the same body is a replay', async () => {
      const id = await plant();
      const opts = { ttlSeconds: TTL, idempotencyKey: 'key-3' };
      const first = await sendCommand(
        org.as.technician,
        id,
        { command: 'set', payload: { a: 1, b: { c: [1, 2] } }, target: 'INV_1' },
        opts,
      );
      expect(first.created).toBe(true);
      // The same body (its keys in another order): the command recorded then.
      const replay = await sendCommand(
        org.as.technician,
        id,
        { command: 'set', target: 'INV_1', payload: { b: { c: [1, 2] }, a: 1 } },
        opts,
      );
      expect(replay).toEqual({ command: first.command, created: false });
      const different = [
        { command: 'reset', payload: { a: 1, b: { c: [1, 2] } }, target: 'INV_1' },
        { command: 'set', payload: { a: 2, b: { c: [1, 2] } }, target: 'INV_1' },
        { command: 'set', payload: { a: 1, b: { c: [2, 1] } }, target: 'INV_1' },
        { command: 'set', payload: { a: 1, b: { c: [1, 2] } }, target: 'INV_2' },
        { command: 'set', payload: { a: 1, b: { c: [1, 2] } } },
        { command: 'set', target: 'INV_1' },
      ];
      for (const body of different) {
        const err = await sendCommand(org.as.technician, id, body, opts).catch((e: unknown) => e);
        expect(err, JSON.stringify(body)).toMatchObject({
          code: 'VALIDATION_ERROR',
          message: 'Idempotency-Key was used for a different command',
          details: [{ path: 'Idempotency-Key' }],
        });
      }
      expect((await listCommands(org.as.viewer, id)).meta.total).toBe(1);
      // No payload and an empty one are the same request.
      const bare = await sendCommand(org.as.technician, id, { command: 'ping' }, { ttlSeconds: TTL, idempotencyKey: 'key-4' });
      expect(
        (await sendCommand(org.as.technician, id, { command: 'ping', payload: {} }, { ttlSeconds: TTL, idempotencyKey: 'key-4' })).created,
      ).toBe(false);
      expect(bare.created).toBe(true);
    });

    it("refuses viewers, another organisation's plant, a decommissioned one, bad ids and bad bodies", async () => {
      const id = await plant();
      const body = { command: 'restart' };
      await expect(sendCommand(org.as.viewer, id, body, { ttlSeconds: TTL })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(sendCommand(other.as.owner, id, body, { ttlSeconds: TTL })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(listCommands(other.as.owner, id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(sendCommand(org.as.admin, 'nope', body, { ttlSeconds: TTL })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [expect.objectContaining({ issue: 'invalid_uuid' })],
      });
      const bodies: unknown[] = [
        {},
        { command: '' },
        { command: 'x'.repeat(256) },
        { command: 'go', target: 'lower_case' },
        { command: 'go', target: 'X'.repeat(33) },
        { command: 'go', payload: [1] },
        { command: 'go', payload: 'text' },
        { command: 'go', extra: true },
      ];
      for (const b of bodies) {
        await expect(sendCommand(org.as.admin, id, b, { ttlSeconds: TTL }), JSON.stringify(b)).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
        });
      }
      expect((await listCommands(org.as.viewer, id)).data).toEqual([]);
      await decommissionPlant(org.as.admin, id);
      await expect(sendCommand(org.as.admin, id, body, { ttlSeconds: TTL })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('lists a plant\u2019s commands newest first, a page at a time', async () => {
      const id = await plant();
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) {
        clockMs = NOW + i * 1000;
        sent.push((await sendCommand(org.as.technician, id, { command: `c${i}` }, { ttlSeconds: TTL })).command.command);
      }
      clockMs = NOW;
      const page1 = await listCommands(org.as.viewer, id, { page: '1', limit: '2' });
      expect(page1.data.map((c) => c.command)).toEqual(['c4', 'c3']);
      expect(page1.meta).toEqual({ limit: 2, page: 1, total: 5, totalPages: 3 });
      const page3 = await listCommands(org.as.viewer, id, { page: 3, limit: 2 });
      expect(page3.data.map((c) => c.command)).toEqual(['c0']);
      expect((await listCommands(org.as.viewer, id)).meta).toEqual({ limit: 20, page: 1, total: 5, totalPages: 1 });
      await expect(listCommands(org.as.viewer, id, { limit: 101 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(listCommands(org.as.viewer, id, { page: 0 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    });

    it('hands the gateway the queued commands oldest first, then records sent, acked and the final answer', async () => {
      const id = await plant();
      clockMs = NOW;
      const a = (await sendCommand(org.as.technician, id, { command: 'a', payload: { n: 1 } }, { ttlSeconds: TTL })).command;
      clockMs = NOW + 1000;
      const b = (await sendCommand(org.as.technician, id, { command: 'b', target: 'SUB-1' }, { ttlSeconds: TTL })).command;
      clockMs = NOW;
      const t = new Date(NOW + 2000);
      expect(await pendingCommands(db, id, t)).toEqual([
        { cmdId: a.cmdId, command: 'a', payload: { n: 1 }, issuedAt: a.createdAt, expiresAt: a.expiresAt },
        { cmdId: b.cmdId, command: 'b', payload: {}, target: 'SUB-1', issuedAt: b.createdAt, expiresAt: b.expiresAt },
      ]);
      expect(await outgoingCommand(db, a.cmdId, t)).toMatchObject({ cmdId: a.cmdId });

      expect(await markSent(db, a.cmdId, new Date(NOW + 3000))).toBe(true);
      expect(await markSent(db, a.cmdId, new Date(NOW + 3500))).toBe(false);
      expect((await pendingCommands(db, id, t)).map((c) => c.cmdId)).toEqual([b.cmdId]);
      expect(await outgoingCommand(db, a.cmdId, t)).toBeNull();

      const ack = (cmdId: string, status: string, response?: unknown) =>
        JSON.stringify({ cmdId, status, ...(response === undefined ? {} : { response }) });
      expect(await recordAck(db, id, ack(a.cmdId, 'acked'), new Date(NOW + 4000))).toEqual({ ok: true, state: 'acked', changed: true });
      expect(await recordAck(db, id, ack(a.cmdId, 'acked'), new Date(NOW + 4500))).toEqual({ ok: true, state: 'acked', changed: false });
      expect(await recordAck(db, id, ack(a.cmdId, 'done', { applied: 60 }), new Date(NOW + 5000))).toEqual({
        ok: true,
        state: 'done',
        changed: true,
      });
      // A redelivered answer changes nothing; a different final answer is refused.
      expect(await recordAck(db, id, ack(a.cmdId, 'done', { applied: 60 }), new Date(NOW + 6000))).toEqual({
        ok: true,
        state: 'done',
        changed: false,
      });
      expect(await recordAck(db, id, ack(a.cmdId, 'failed'), new Date(NOW + 6000))).toMatchObject({
        ok: false,
        reason: expect.stringContaining('already answered done'),
      });
      // A final answer without an ack before it (and before the PUBACK was seen) implies both.
      expect(await recordAck(db, id, ack(b.cmdId, 'declined', { why: 'busy' }), new Date(NOW + 7000))).toMatchObject({
        ok: true,
        state: 'declined',
      });

      const listed = await listCommands(org.as.viewer, id);
      expect(listed.data.find((c) => c.cmdId === a.cmdId)).toMatchObject({
        state: 'done',
        sentAt: new Date(NOW + 3000).toISOString(),
        ackedAt: new Date(NOW + 4000).toISOString(),
        completedAt: new Date(NOW + 5000).toISOString(),
        response: { applied: 60 },
        responseStatus: 'done',
      });
      expect(listed.data.find((c) => c.cmdId === b.cmdId)).toMatchObject({
        state: 'declined',
        sentAt: new Date(NOW + 7000).toISOString(),
        ackedAt: new Date(NOW + 7000).toISOString(),
        response: { why: 'busy' },
        responseStatus: 'declined',
      });
    });

    it("refuses an answer to an unknown command, to another plant's, and one that is not an answer", async () => {
      const id = await plant();
      const id2 = await plant();
      const c = (await sendCommand(org.as.technician, id, { command: 'x' }, { ttlSeconds: TTL })).command;
      const t = new Date(NOW);
      expect(await recordAck(db, id2, JSON.stringify({ cmdId: c.cmdId, status: 'done' }), t)).toMatchObject({
        ok: false,
        reason: expect.stringContaining('unknown command'),
      });
      expect(await recordAck(db, id, JSON.stringify({ cmdId: 'nope', status: 'done' }), t)).toMatchObject({ ok: false });
      expect(await recordAck(db, id, '{"cmdId"', t)).toEqual({ ok: false, reason: 'malformed JSON' });
      expect(await recordAck(db, id, JSON.stringify({ cmdId: c.cmdId, status: 'finished' }), t)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^bad ack: status/),
      });
      expect((await listCommands(org.as.viewer, id)).data[0]).toMatchObject({ state: 'queued', ackedAt: null });
    });

    it('refuses an answer whose cmdId or response the database cannot store, recording nothing', async () => {
      const id = await plant();
      const c = (await sendCommand(org.as.technician, id, { command: 'x' }, { ttlSeconds: TTL })).command;
      const t = new Date(NOW);
      // 20 000 levels: jsonb input runs out of stack (PostgreSQL's default max_stack_depth).
      const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
      const cases: [string | object, RegExp][] = [
        [{ cmdId: `${c.cmdId}\u0000`, status: 'done' }, /^bad ack: cmdId must not contain the NUL character \(U\+0000\)/],
        [{ cmdId: 'x\ud800', status: 'done' }, /^bad ack: cmdId must not contain a lone UTF-16 surrogate/],
        [{ cmdId: c.cmdId, status: 'done', response: 'a\u0000' }, /^bad ack: response must not contain the NUL character \(U\+0000\)/],
        [
          { cmdId: c.cmdId, status: 'done', response: { ok: { 'k\u0000': 1 } } },
          /^bad ack: response ok key k. must not contain the NUL character \(U\+0000\)/,
        ],
        [{ cmdId: c.cmdId, status: 'done', response: { log: ['fine', 'bad\udc00'] } }, /^bad ack: response log\.1 must not contain a lone/],
        [`{"cmdId": "${c.cmdId}", "status": "done", "response": ${deep}}`, /^bad ack: response (\d+\.)+0 is nested deeper than 32 levels/],
      ];
      for (const [message, reason] of cases) {
        const r = await recordAck(db, id, typeof message === 'string' ? message : JSON.stringify(message), t);
        expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
      }
      expect((await listCommands(org.as.viewer, id)).data[0]).toMatchObject({ state: 'queued', ackedAt: null, response: null });
      // What the database can store is taken: a surrogate pair, and nesting within the limit.
      let nested: unknown = '😀';
      for (let i = 0; i < 31; i++) nested = { n: nested };
      expect(await recordAck(db, id, JSON.stringify({ cmdId: c.cmdId, status: 'done', response: nested }), t)).toMatchObject({ ok: true });
      expect((await listCommands(org.as.viewer, id)).data[0]).toMatchObject({ state: 'done', response: nested });
    });

    it('never shows a command sent after the plant answered it, whichever of the PUBACK and the answer is written first', async () => {
      const id = await plant();
      const send = async (command: string) => (await sendCommand(org.as.technician, id, { command }, { ttlSeconds: TTL })).command;
      const at = (ms: number) => new Date(NOW + ms);
      const answer = (cmdId: string, status: string) => JSON.stringify({ cmdId, status });
      const shown = async (cmdId: string) => (await listCommands(org.as.viewer, id)).data.find((c) => c.cmdId === cmdId)!;

      // The PUBACK, timed after the answer arrived, is written first.
      const done = await send('done-first');
      expect(await markSent(db, done.cmdId, at(2000))).toBe(true);
      expect(await recordAck(db, id, answer(done.cmdId, 'done'), at(1000))).toMatchObject({ ok: true, state: 'done' });
      expect(await shown(done.cmdId)).toMatchObject({ state: 'done', sentAt: at(1000).toISOString(), ackedAt: at(1000).toISOString() });

      const acked = await send('acked-first');
      expect(await markSent(db, acked.cmdId, at(2000))).toBe(true);
      expect(await recordAck(db, id, answer(acked.cmdId, 'acked'), at(1000))).toMatchObject({ ok: true, state: 'acked' });
      expect(await recordAck(db, id, answer(acked.cmdId, 'done'), at(3000))).toMatchObject({ ok: true, state: 'done' });
      expect(await shown(acked.cmdId)).toMatchObject({
        sentAt: at(1000).toISOString(),
        ackedAt: at(1000).toISOString(),
        completedAt: at(3000).toISOString(),
      });

      // The answer is written first: the later PUBACK changes nothing.
      const answered = await send('answered-first');
      await recordAck(db, id, answer(answered.cmdId, 'done'), at(1000));
      expect(await markSent(db, answered.cmdId, at(2000))).toBe(false);
      expect(await shown(answered.cmdId)).toMatchObject({ sentAt: at(1000).toISOString(), ackedAt: at(1000).toISOString() });

      // A PUBACK for a command recorded acked without a sentAt (an older row) takes the earlier time.
      const older = await send('older');
      await db.query(`UPDATE plant_commands SET state = 'acked', acked_at = $2 WHERE cmd_id = $1`, [older.cmdId, at(1000)]);
      expect(await markSent(db, older.cmdId, at(2000))).toBe(true);
      expect(await shown(older.cmdId)).toMatchObject({ state: 'acked', sentAt: at(1000).toISOString(), ackedAt: at(1000).toISOString() });
    });

    it('expires only commands not delivered in time; a delivered one stays sent, and a late answer is still recorded', async () => {
      const id = await plant();
      clockMs = NOW;
      const queued = (await sendCommand(org.as.technician, id, { command: 'q' }, { ttlSeconds: 60 })).command;
      const sent = (await sendCommand(org.as.technician, id, { command: 's' }, { ttlSeconds: 60 })).command;
      const answered = (await sendCommand(org.as.technician, id, { command: 'a' }, { ttlSeconds: 60 })).command;
      const lasting = (await sendCommand(org.as.technician, id, { command: 'l' }, { ttlSeconds: 3600 })).command;
      await markSent(db, sent.cmdId, new Date(NOW + 1000));
      await recordAck(db, id, JSON.stringify({ cmdId: answered.cmdId, status: 'acked' }), new Date(NOW + 1000));
      // Not yet.
      expect(await expireCommands(db, new Date(NOW + 59_000))).toBe(0);
      expect((await pendingCommands(db, id, new Date(NOW + 59_000))).map((c) => c.cmdId)).toEqual([queued.cmdId, lasting.cmdId]);
      // An expired queued command is no longer handed over, even before the job marks it.
      expect((await pendingCommands(db, id, new Date(NOW + 61_000))).map((c) => c.cmdId)).toEqual([lasting.cmdId]);
      expect(await expireCommands(db, new Date(NOW + 61_000))).toBe(1);
      const states = Object.fromEntries((await listCommands(org.as.viewer, id)).data.map((c) => [c.command, c.state]));
      expect(states).toEqual({ q: 'expired', s: 'sent', a: 'acked', l: 'queued' });
      expect((await listCommands(org.as.viewer, id)).data.find((c) => c.command === 's')!.sentAt).toBe(new Date(NOW + 1000).toISOString());
      // The expired one was in flight after all: the plant's PUBACK records it delivered (sent, with when).
      expect(await markSent(db, queued.cmdId, new Date(NOW + 62_000))).toBe(true);
      expect(await markSent(db, queued.cmdId, new Date(NOW + 63_000))).toBe(false);
      expect((await listCommands(org.as.viewer, id)).data.find((c) => c.command === 'q')).toMatchObject({
        state: 'sent',
        sentAt: new Date(NOW + 62_000).toISOString(),
      });
      // Never expired again, nor handed over again.
      expect(await expireCommands(db, new Date(NOW + 120_000))).toBe(0);
      expect((await pendingCommands(db, id, new Date(NOW + 62_000))).map((c) => c.cmdId)).toEqual([lasting.cmdId]);
      // A PUBACK after the plant's answer records sentAt (if missing) and leaves the answer's state.
      expect(await markSent(db, answered.cmdId, new Date(NOW + 64_000))).toBe(false);
      expect((await listCommands(org.as.viewer, id)).data.find((c) => c.command === 'a')).toMatchObject({ state: 'acked' });
      // The plant did it after all: its word is recorded.
      expect(await recordAck(db, id, JSON.stringify({ cmdId: sent.cmdId, status: 'done' }), new Date(NOW + 70_000))).toMatchObject({
        ok: true,
        state: 'done',
      });
    });
  });
}
