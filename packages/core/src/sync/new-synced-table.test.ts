// What it takes to sync a new table: a migration, a domain service and one
// descriptor. This test declares a table Helio does not have (site notes),
// with nothing else, and syncs it between two clients and the server through
// the real engine: push, pull, the client store, conflicts and a purge.
import type { Db, Queryable } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize, targetOrganisation } from '../auth/principal.js';
import { allocateChangeSeqs } from '../changes.js';
import type { ServiceContext } from '../context.js';
import { notFound } from '../errors.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { addMember, membershipsOf, removeMember } from '../users/service.js';
import { parseInput } from '../validation.js';
import { z } from 'zod';
import { SyncClient } from './client.js';
import { formatHlc } from './hlc.js';
import { SCHEMA_VERSION } from './protocol.js';
import { directTransport } from './testing.js';
import { push } from './push.js';
import { defineSyncedTable, SyncSchema } from './synced-table.js';
import { syncSchema } from './tables.js';

// 1. The migration: the shape every synced table shares (see 0001 and 0002).
const migration = `
CREATE TABLE site_notes (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  title text NOT NULL,
  body text,
  pinned boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  field_clocks jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX site_notes_seq_idx ON site_notes (organisation_id, change_seq);
CREATE TRIGGER site_notes_field_clocks BEFORE INSERT OR UPDATE ON site_notes FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
`;

// 2. The service: validates with zod, authorizes, writes in one transaction under a change sequence.
const noteFields = { title: z.string().min(1).max(200), body: z.string().max(10_000).nullable(), pinned: z.boolean() };
const createNote = z.strictObject({
  id: z.uuid().optional(),
  organisationId: z.uuid().optional(),
  ...noteFields,
  body: noteFields.body.optional(),
  pinned: noteFields.pinned.default(false),
});
const updateNote = z.strictObject(noteFields).partial();

const noteColumns = { title: 'title', body: 'body', pinned: 'pinned' } as const;

async function lockNote(tx: Queryable, ctx: ServiceContext, id: string): Promise<{ organisation_id: string; deleted_at: Date | null }> {
  const { rows } = await tx.query<{ organisation_id: string; deleted_at: Date | null }>(
    'SELECT organisation_id, deleted_at FROM site_notes WHERE id = $1 FOR UPDATE',
    [id],
  );
  const row = rows[0];
  if (!row) throw notFound('note', id);
  authorize(ctx.principal, row.organisation_id, 'write', 'note', id);
  return row;
}

const notes = {
  async create(ctx: ServiceContext, input: unknown): Promise<void> {
    const data = parseInput(createNote, input);
    const org = targetOrganisation(ctx.principal, data.organisationId);
    await ctx.db.transaction(async (tx) => {
      const seq = await allocateChangeSeqs(tx, org);
      await tx.query(
        'INSERT INTO site_notes (id, organisation_id, title, body, pinned, created_at, updated_at, change_seq) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)',
        [data.id ?? ctx.ids.uuid(), org, data.title, data.body ?? null, data.pinned, ctx.clock.now(), seq],
      );
    });
  },
  async update(ctx: ServiceContext, id: string, input: unknown): Promise<void> {
    const patch = Object.entries(parseInput(updateNote, input)).filter(([, v]) => v !== undefined) as [keyof typeof noteColumns, unknown][];
    await ctx.db.transaction(async (tx) => {
      const row = await lockNote(tx, ctx, id);
      if (row.deleted_at) throw notFound('note', id);
      const seq = await allocateChangeSeqs(tx, row.organisation_id);
      const sets = patch.map(([field], i) => `${noteColumns[field]} = $${i + 4}`);
      await tx.query(`UPDATE site_notes SET ${['updated_at = $2', 'change_seq = $3', ...sets].join(', ')} WHERE id = $1`, [
        id,
        ctx.clock.now(),
        seq,
        ...patch.map(([, v]) => v),
      ]);
    });
  },
  async setDeleted(ctx: ServiceContext, id: string, deleted: boolean): Promise<void> {
    await ctx.db.transaction(async (tx) => {
      const row = await lockNote(tx, ctx, id);
      const seq = await allocateChangeSeqs(tx, row.organisation_id);
      await tx.query('UPDATE site_notes SET deleted_at = $2, updated_at = $3, change_seq = $4 WHERE id = $1', [
        id,
        deleted ? ctx.clock.now() : null,
        ctx.clock.now(),
        seq,
      ]);
    });
  },
};

// 3. The descriptor.
const siteNotesSync = defineSyncedTable({
  table: 'site_notes',
  refersTo: ['organisations'],
  writes: {
    entity: 'note',
    columns: noteColumns,
    labelColumn: 'title',
    defaults: { pinned: false },
    create: (ctx, id, organisationId, fields) => notes.create(ctx, { ...fields, id, organisationId }),
    update: (ctx, id, fields) => notes.update(ctx, id, fields),
    remove: (ctx, id) => notes.setDeleted(ctx, id, true),
    restore: (ctx, id) => notes.setDeleted(ctx, id, false),
  },
});

const schema = new SyncSchema([...syncSchema.tables, siteNotesSync]);

const transportFor = (server: Db, userId: string) => directTransport(server, userId, { schema });

const userOf = (org: TestOrganisation, role: 'technician' | 'admin') => (org.as[role].principal as { userId: string }).userId;

async function notesOf(db: Db, organisationId: string) {
  const { rows } = await db.query<{ id: string; title: string; body: string | null; pinned: boolean; deleted: boolean }>(
    'SELECT id, title, body, pinned, deleted_at IS NOT NULL AS deleted FROM site_notes WHERE organisation_id = $1 ORDER BY title',
    [organisationId],
  );
  return rows;
}

for (const engine of testEngines) {
  describe(`a new synced table, declared by a descriptor only, on ${engine}`, () => {
    const dbs: TestDb[] = [];
    afterEach(async () => {
      for (const db of dbs.splice(0)) await db.dispose();
    });
    const fresh = async (e: typeof engine) => {
      const db = await freshTestDb(e);
      await db.exec(migration);
      dbs.push(db);
      return db;
    };
    const openClient = async (server: Db, userId: string) => {
      const local = await fresh('pglite');
      const client = await SyncClient.open({
        db: local,
        clock: { now: () => new Date() },
        ids: contextFor(local).ids,
        userId,
        transport: transportFor(server, userId),
        tables: schema,
      });
      await client.sync();
      return { local, client };
    };

    it('syncs rows written on one client to the server and another client, and a delete back', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Notes Co');
      const a = await openClient(server, userOf(org, 'technician'));
      const b = await openClient(server, userOf(org, 'admin'));

      const { id } = await a.client.write({
        table: 'site_notes',
        op: 'create',
        organisationId: org.id,
        fields: { title: 'Inverter 3 fan' },
      });
      // Read locally at once, with the descriptor's default for the column the create left out.
      expect(await notesOf(a.local, org.id)).toEqual([{ id, title: 'Inverter 3 fan', body: null, pinned: false, deleted: false }]);
      await a.client.write({
        table: 'site_notes',
        op: 'update',
        id,
        organisationId: org.id,
        fields: { body: 'noisy bearing', pinned: true },
      });
      await a.client.sync();
      await b.client.sync();

      const expected = [{ id, title: 'Inverter 3 fan', body: 'noisy bearing', pinned: true, deleted: false }];
      expect(await notesOf(server, org.id)).toEqual(expected);
      expect(await notesOf(b.local, org.id)).toEqual(expected);
      expect((await a.client.status()).pending).toBe(0);

      await b.client.write({ table: 'site_notes', op: 'delete', id, organisationId: org.id });
      await b.client.sync();
      await a.client.sync();
      expect((await notesOf(a.local, org.id)).map((n) => n.deleted)).toEqual([true]);
    });

    it('records a conflict on the new table, labelled by its label column, and restores the lost value', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Notes Co');
      const a = await openClient(server, userOf(org, 'technician'));
      const b = await openClient(server, userOf(org, 'admin'));
      const { id } = await a.client.write({ table: 'site_notes', op: 'create', organisationId: org.id, fields: { title: 'Fence' } });
      await a.client.sync();
      await b.client.sync();

      await a.client.write({ table: 'site_notes', op: 'update', id, organisationId: org.id, fields: { body: 'gate broken' } });
      await b.client.write({ table: 'site_notes', op: 'update', id, organisationId: org.id, fields: { body: 'gate fixed' } });
      await a.client.sync();
      await b.client.sync();
      await a.client.sync();

      const [conflict] = await a.client.openConflicts();
      expect(conflict).toMatchObject({
        table: 'site_notes',
        rowId: id,
        rowLabel: 'Fence',
        field: 'body',
        kept: 'gate fixed',
        lost: 'gate broken',
      });
      await a.client.resolveConflict(conflict!.id, 'restored');
      await a.client.sync();
      await b.client.sync();
      expect((await notesOf(server, org.id))[0]?.body).toBe('gate broken');
      expect((await notesOf(b.local, org.id))[0]?.body).toBe('gate broken');
      expect(await b.client.openConflicts()).toEqual([]);
    });

    it('purges the new table with the rest of an organisation when access is revoked', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Notes Co');
      const other = await seedOrganisation(server, 'Elsewhere');
      const technician = userOf(org, 'technician');
      await addMember(contextFor(server), { organisationId: other.id, userId: technician, role: 'technician' });
      await notes.create(contextFor(server), { organisationId: other.id, title: 'Roof access' });
      const a = await openClient(server, technician);
      expect((await notesOf(a.local, other.id)).map((n) => n.title)).toEqual(['Roof access']);

      await removeMember(contextFor(server), { organisationId: other.id, userId: technician });
      await a.client.sync();
      expect(await notesOf(a.local, other.id)).toEqual([]);
    });

    it('refuses rows of the table on a client that does not know it, keeping its cursor, so nothing is skipped', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Notes Co');
      const userId = userOf(org, 'technician');
      await notes.create(contextFor(server), { organisationId: org.id, title: 'Cable tray' });
      const local = await fresh('pglite');
      // An older client: Helio's own tables only, while its server sends site_notes.
      const older = await SyncClient.open({
        db: local,
        clock: { now: () => new Date() },
        ids: contextFor(local).ids,
        userId,
        transport: transportFor(server, userId),
      });
      await expect(older.sync()).rejects.toThrow(/site_notes, a table this version of Helio does not sync/);
      expect((await local.query('SELECT cursor FROM sync_cursors')).rows).toEqual([]);
      expect(await notesOf(local, org.id)).toEqual([]);
    });

    it('refuses a push that writes the table to a server whose schema does not sync it, and writes nothing', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Notes Co');
      const userId = userOf(org, 'technician');
      const ctx = contextFor(server, { kind: 'user', userId, memberships: await membershipsOf({ db: server }, userId) });
      const mutation = {
        seq: 1,
        table: 'site_notes',
        op: 'create',
        id: contextFor(server).ids.uuid(),
        organisationId: org.id,
        fields: { title: 'x' },
        hlc: formatHlc({ millis: Date.now(), counter: 0, node: 'a'.repeat(32) }),
      };
      const request = { protocolVersion: 1, schemaVersion: SCHEMA_VERSION, clientId: contextFor(server).ids.uuid(), mutations: [mutation] };
      await expect(push(ctx, request)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(await notesOf(server, org.id)).toEqual([]);
    });
  });
}
