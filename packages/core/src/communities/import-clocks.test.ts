// A bulk import stamps the field clocks of the rows it inserts itself (the
// INSERT trigger skips rows that come with clocks): every new row must carry
// exactly the clocks the trigger would have given it — every column but the
// bookkeeping ones, at one server-made clock — and an update afterwards is
// stamped by the trigger as before.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganisation, type TestOrganisation } from '../testing.js';
import { importBundle } from './import.js';
import { sampleBundle } from './import/testing.js';

const SERVER_CLOCK = /^\d{13}-0000-server$/;
const TABLES = ['community_members', 'community_delivery_points', 'community_assets'] as const;

for (const engine of testEngines) {
  describe(`field clocks of imported rows [${engine}]`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Clocks');
    });
    afterAll(() => db.dispose());

    /** The columns the trigger stamps, from the catalog. */
    async function stampedColumns(table: string): Promise<string[]> {
      const { rows } = await db.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
           AND column_name NOT IN ('field_clocks', 'change_seq', 'created_at', 'updated_at', 'id', 'organisation_id')`,
        [table],
      );
      return rows.map((r) => r.column_name).sort();
    }

    it('gives every inserted row one server clock on every column the trigger stamps', async () => {
      const before = Date.now();
      await importBundle(org.as.admin, sampleBundle('clocks'));
      for (const table of TABLES) {
        const { rows } = await db.query<{ field_clocks: Record<string, string> }>(`SELECT field_clocks FROM ${table}`);
        expect(rows.length).toBeGreaterThan(0);
        const columns = await stampedColumns(table);
        for (const { field_clocks: clocks } of rows) {
          expect(Object.keys(clocks).sort()).toEqual(columns);
          const values = new Set(Object.values(clocks));
          expect(values.size).toBe(1);
          const [clock] = [...values] as [string];
          expect(clock).toMatch(SERVER_CLOCK);
          expect(Number(clock.slice(0, 13))).toBeGreaterThanOrEqual(before - 60_000);
        }
      }
    });

    it('stamps a row inserted without clocks, and an update, through the trigger as before', async () => {
      const { rows: members } = await db.query<{ id: string; field_clocks: Record<string, string> }>(
        'SELECT id, field_clocks FROM community_members ORDER BY key LIMIT 1',
      );
      const member = members[0]!;
      const bundle = sampleBundle('clocks');
      const [firstKey] = Object.keys(bundle.members ?? {}).sort();
      bundle.members![firstKey!]!.name = 'Renamed by a second import';
      await importBundle(org.as.admin, bundle);
      const { rows } = await db.query<{ field_clocks: Record<string, string> }>(
        'SELECT field_clocks FROM community_members WHERE id = $1',
        [member.id],
      );
      const after = rows[0]!.field_clocks;
      expect(after['name']).not.toBe(member.field_clocks['name']);
      expect(after['name']! > member.field_clocks['name']!).toBe(true);
      expect(after['role']).toBe(member.field_clocks['role']);
    });
  });
}
