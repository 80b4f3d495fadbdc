// Connection state and status messages: faults a plant reports open and
// close Device Fault alerts on its component.
import type { Engine } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.js';
import type { Clock } from '../ids.js';
import { createSite } from '../sites/service.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { PLANT_COLUMNS, type PlantRow } from './rows.js';
import { createPlant } from './service.js';
import { markOfflineUnlessVia } from './gateway-reads.js';
import { recordStatus, setConnection } from './status.js';

const NOW = Date.parse('2024-06-15T12:00:00Z');
const clock: Clock = { now: () => new Date(NOW) };

for (const engine of testEngines) describeStatus(engine);

function describeStatus(engine: Engine): void {
  describe(`plant status [${engine}]`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let siteId: string;
    let counter = 0;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Status', clock);
      siteId = (await createSite(org.as.admin, { siteName: 'Field' })).id;
    });
    afterAll(() => db.dispose());

    const system = () => contextFor(db, systemPrincipal, clock);

    async function plant(withSite = true): Promise<PlantRow> {
      const n = ++counter;
      const created = await createPlant(org.as.technician, {
        name: `Status ${n}`,
        serialNumber: `SN-STATUS-${n}`,
        type: 'CONTROLLER',
        authMethod: 'PASSWORD',
        ...(withSite ? { siteId } : {}),
      });
      return row(created.id);
    }

    async function row(id: string): Promise<PlantRow> {
      const { rows } = await db.query<PlantRow>(`SELECT ${PLANT_COLUMNS} FROM plants WHERE id = $1`, [id]);
      return rows[0]!;
    }

    async function faultAlerts(componentId: string) {
      const { rows } = await db.query<{
        condition_key: string;
        priority: string;
        started_at: Date;
        ended_at: Date | null;
        description_short: string | null;
      }>(
        `SELECT condition_key, priority, started_at, ended_at, description_short FROM alerts
         WHERE component_id = $1 AND alert_type = 'Device Fault' ORDER BY condition_key, started_at`,
        [componentId],
      );
      return rows;
    }

    it('marks a plant online and offline as the gateway sees it, with when it was last seen', async () => {
      const p = await plant();
      expect(p.status).toBe('OFFLINE');
      await setConnection(db, p.id, true, new Date(NOW));
      expect(await row(p.id)).toMatchObject({ status: 'ONLINE', last_seen_at: new Date(NOW) });
      await setConnection(db, p.id, false, new Date(NOW + 5000));
      expect(await row(p.id)).toMatchObject({ status: 'OFFLINE', last_seen_at: new Date(NOW + 5000) });
      // A late event never moves last seen backwards.
      await setConnection(db, p.id, true, new Date(NOW - 60_000));
      expect(await row(p.id)).toMatchObject({ status: 'ONLINE', last_seen_at: new Date(NOW + 5000) });
    });

    it('records a plant’s connection, and ends it only while the row still names that connection', async () => {
      const p = await plant();
      const recorded = async () =>
        (
          await db.query<{ status: string; connected_via: string | null; connection_id: string | null; last_seen_at: Date }>(
            'SELECT status, connected_via, connection_id, last_seen_at FROM plants WHERE id = $1',
            [p.id],
          )
        ).rows[0]!;
      const onA = { via: 'server-a', id: 'a-1', since: new Date(NOW) };
      const onB = { via: 'server-b', id: 'b-1', since: new Date(NOW + 1000) };
      await setConnection(db, p.id, true, new Date(NOW), onA);
      expect(await recorded()).toMatchObject({ status: 'ONLINE', connected_via: 'server-a', connection_id: 'a-1' });
      // Connected again through B; A's late reports of its older connection change nothing.
      await setConnection(db, p.id, true, new Date(NOW + 1000), onB);
      await setConnection(db, p.id, true, new Date(NOW + 2000), onA);
      await setConnection(db, p.id, false, new Date(NOW + 2000), onA);
      expect(await recorded()).toMatchObject({
        status: 'ONLINE',
        connected_via: 'server-b',
        connection_id: 'b-1',
        last_seen_at: new Date(NOW + 1000),
      });
      // A will of A's connection, handled after: the same; nor does a dead A's will, which names only A.
      const lost = JSON.stringify({ status: 'OFFLINE' });
      for (const through of [onA, { via: 'server-a' }]) {
        const result = await recordStatus(system(), await row(p.id), lost, new Date(NOW + 3000), { connection: 'lost', through });
        expect(result).toMatchObject({ ok: true });
        expect((await recorded()).status).toBe('ONLINE');
      }
      // B's connection ending ends it (the row keeps it as the last connection).
      await setConnection(db, p.id, false, new Date(NOW + 4000), onB);
      expect(await recorded()).toMatchObject({ status: 'OFFLINE', connection_id: 'b-1', last_seen_at: new Date(NOW + 4000) });
      // Offline, any connection's report counts: A reports its own end after it.
      await setConnection(db, p.id, true, new Date(NOW + 5000), onA);
      expect(await recorded()).toMatchObject({ status: 'ONLINE', connection_id: 'a-1' });
      await setConnection(db, p.id, false, new Date(NOW + 5000), onA);
      expect((await recorded()).status).toBe('OFFLINE');
    });

    it('lets a dead server’s will end its connection without moving last seen', async () => {
      const p = await plant();
      await setConnection(db, p.id, true, new Date(NOW), { via: 'server-c', id: 'c-1', since: new Date(NOW) });
      const lost = JSON.stringify({ status: 'OFFLINE' });
      const result = await recordStatus(system(), await row(p.id), lost, new Date(NOW + 400_000), {
        connection: 'lost',
        through: { via: 'server-c' },
      });
      expect(result).toMatchObject({ ok: true });
      expect(await row(p.id)).toMatchObject({ status: 'OFFLINE', last_seen_at: new Date(NOW) });
    });

    it('marks OFFLINE the plants connected through servers no longer running, and only those', async () => {
      const [onLive, onGone, offline, unrecorded] = [await plant(), await plant(), await plant(), await plant()];
      await setConnection(db, onLive.id, true, new Date(NOW), { via: 'server-live', id: 'l-1', since: new Date(NOW) });
      await setConnection(db, onGone.id, true, new Date(NOW), { via: 'server-gone', id: 'g-1', since: new Date(NOW) });
      // ONLINE through no recorded gateway: left so before connections were recorded.
      await setConnection(db, unrecorded.id, true, new Date(NOW));
      const marked = await markOfflineUnlessVia(db, ['server-live', 'server-other']);
      expect(marked).toContain(onGone.id);
      expect(marked).toContain(unrecorded.id);
      expect(marked).not.toContain(onLive.id);
      expect(marked).not.toContain(offline.id);
      expect((await row(onGone.id)).status).toBe('OFFLINE');
      expect((await row(onLive.id)).status).toBe('ONLINE');
      // Last seen is when the plant was last seen, not when its server was found gone; its last connection stays on the row.
      expect(await row(onGone.id)).toMatchObject({ last_seen_at: new Date(NOW), connected_via: 'server-gone', connection_id: 'g-1' });
    });

    it('opens a Device Fault alert for an active fault and closes it when the plant reports it cleared', async () => {
      const p = await plant();
      const opened = await recordStatus(
        system(),
        p,
        JSON.stringify({
          status: 'FAULT',
          ts: '2024-06-15T11:00:00Z',
          faults: [
            { code: 'GRID_OVERVOLTAGE', message: 'Grid voltage above 253 V', active: true, priority: 'high' },
            { code: 'FAN', message: 'x'.repeat(300), active: true },
          ],
        }),
        new Date(NOW),
      );
      expect(opened).toEqual({ ok: true, status: 'FAULT', faults: 2, opened: 2, updated: 0, closed: 0 });
      expect(await row(p.id)).toMatchObject({ status: 'ONLINE', last_seen_at: new Date(NOW) });
      const open = await faultAlerts(p.component_id!);
      expect(open).toMatchObject([
        { condition_key: 'FAN', priority: 'Medium', ended_at: null },
        {
          condition_key: 'GRID_OVERVOLTAGE',
          priority: 'High',
          started_at: new Date('2024-06-15T11:00:00Z'),
          ended_at: null,
          description_short: 'Grid voltage above 253 V',
        },
      ]);
      expect(open[0]!.description_short).toHaveLength(200);

      const cleared = await recordStatus(
        system(),
        p,
        JSON.stringify({ status: 'ONLINE', ts: '2024-06-15T11:30:00Z', faults: [{ code: 'GRID_OVERVOLTAGE', active: false }] }),
        new Date(NOW),
      );
      expect(cleared).toMatchObject({ ok: true, closed: 1 });
      const after = await faultAlerts(p.component_id!);
      expect(after.find((a) => a.condition_key === 'GRID_OVERVOLTAGE')!.ended_at).toEqual(new Date('2024-06-15T11:30:00Z'));
      expect(after.find((a) => a.condition_key === 'FAN')!.ended_at).toBeNull();
    });

    it('marks the plant offline on an OFFLINE status (its will message)', async () => {
      const p = await plant();
      await setConnection(db, p.id, true, new Date(NOW - 1000));
      expect(await recordStatus(system(), p, JSON.stringify({ status: 'OFFLINE' }), new Date(NOW))).toMatchObject({
        ok: true,
        status: 'OFFLINE',
        faults: 0,
      });
      expect(await row(p.id)).toMatchObject({ status: 'OFFLINE', last_seen_at: new Date(NOW) });
    });

    it('refuses what is not a status message, changing nothing', async () => {
      const p = await plant();
      const bad: [string, RegExp][] = [
        ['{"status":', /^malformed JSON/],
        [JSON.stringify({ faults: [] }), /^bad status: status/],
        [JSON.stringify({ status: 'ONLINE', extra: 1 }), /^bad status/],
        [JSON.stringify({ status: 'ONLINE', faults: [{ code: 'X' }] }), /^bad status: faults.0.active/],
        [JSON.stringify({ status: 'ONLINE', ts: 'yesterday' }), /^bad status: ts/],
        [JSON.stringify({ status: 'FAULT', ts: '2024-06-15T18:00:00Z', faults: [{ code: 'X', active: true }] }), /^bad faults: .*ahead/],
      ];
      for (const [payload, reason] of bad) {
        const r = await recordStatus(system(), p, payload, new Date(NOW));
        expect(r.ok, payload).toBe(false);
        if (!r.ok) expect(r.reason, payload).toMatch(reason);
      }
      expect(await row(p.id)).toMatchObject({ status: 'OFFLINE', last_seen_at: null });
      expect(await faultAlerts(p.component_id!)).toEqual([]);
    });

    it('applies the status of a plant without a site and ignores only its faults, saying so', async () => {
      const lonely = await plant(false);
      expect(
        await recordStatus(system(), lonely, JSON.stringify({ status: 'FAULT', faults: [{ code: 'X', active: true }] }), new Date(NOW)),
      ).toEqual({ ok: true, status: 'FAULT', faults: 1, opened: 0, updated: 0, closed: 0, faultsIgnored: 'no-site' });
      expect(await row(lonely.id)).toMatchObject({ status: 'ONLINE', last_seen_at: new Date(NOW) });
      expect(
        await recordStatus(
          system(),
          lonely,
          JSON.stringify({ status: 'OFFLINE', faults: [{ code: 'X', active: false }] }),
          new Date(NOW + 1000),
        ),
      ).toMatchObject({ ok: true, status: 'OFFLINE', faultsIgnored: 'no-site' });
      expect(await row(lonely.id)).toMatchObject({ status: 'OFFLINE', last_seen_at: new Date(NOW + 1000) });
      // Without faults there is nothing to ignore.
      expect(await recordStatus(system(), lonely, JSON.stringify({ status: 'ONLINE' }), new Date(NOW + 2000))).toEqual({
        ok: true,
        status: 'ONLINE',
        faults: 0,
        opened: 0,
        updated: 0,
        closed: 0,
      });
    });
  });
}
