// Part 1 of bench/sync.ts: a fresh client's initial sync over HTTP, beside
// the same rows INSERTed into a fresh PGlite with batched multi-row INSERTs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUuidV7Generator, sync, systemClock, type AppRouter } from '@helio/core';
import { migrate, type Db } from '@helio/db';
import { openPglite } from '@helio/db/pglite';
import type { TRPCClient } from '@trpc/client';
import { httpTransport, type SwitchableTransport } from './sync-remote.js';

export interface LocalDb {
  db: Db;
  close(): Promise<void>;
}

/** A fresh, migrated PGlite in a temporary directory on disk, as the desktop app keeps its own. */
export async function freshLocalDb(): Promise<LocalDb> {
  const dir = mkdtempSync(join(tmpdir(), 'helio-bench-client-'));
  const db = await openPglite({ dataDir: dir });
  await migrate(db);
  return {
    db,
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const status = (text: string) => process.stdout.write(`\r\x1b[K${text}`);

export interface ClientRun {
  client: sync.SyncClient;
  local: LocalDb;
  transport: SwitchableTransport;
  rows: number;
  ms: number;
}

/** Opens a client on a fresh PGlite and times its pulls until caught up. The caller closes `local`. */
export async function initialSync(trpc: TRPCClient<AppRouter>, userId: string, expectedRows: number): Promise<ClientRun> {
  const local = await freshLocalDb();
  const transport = httpTransport(trpc);
  const client = await sync.SyncClient.open({ db: local.db, clock: systemClock, ids: createUuidV7Generator(), userId, transport });
  const began = performance.now();
  // As the desktop's sync loop does (SyncClient.sync, once nothing is left to push).
  await client.pullAll({
    onPage: () =>
      status(
        `  client: ${transport.changes}/${expectedRows} rows, ${((transport.changes * 1000) / (performance.now() - began)).toFixed(0)} rows/s`,
      ),
  });
  const ms = performance.now() - began;
  status('');
  return { client, local, transport, rows: transport.changes, ms };
}

type Row = Record<string, unknown>;

/** The rows a client is sent, as the pulled JSON gives them and the client stores them, per table in the order received. */
export async function pulledRows(trpc: TRPCClient<AppRouter>): Promise<Map<string, Row[]>> {
  const clientId = createUuidV7Generator().uuid();
  const byTable = new Map<string, Row[]>();
  let cursors: Record<string, number> = {};
  for (;;) {
    const response = await trpc.sync.pull.query({
      protocolVersion: sync.PROTOCOL_VERSION,
      schemaVersion: sync.SCHEMA_VERSION,
      clientId,
      cursors,
    });
    cursors = { ...cursors };
    for (const page of response.organisations) {
      cursors[page.organisationId] = page.cursor;
      for (const c of page.changes) {
        let rows = byTable.get(c.table);
        if (!rows) byTable.set(c.table, (rows = []));
        rows.push({ ...c.row, field_clocks: c.fieldClocks, change_seq: c.changeSeq });
      }
    }
    if (!response.organisations.some((p) => p.hasMore)) return byTable;
  }
}

const ROWS_PER_STATEMENT = 1_000;
const STATEMENTS_PER_TRANSACTION = 10;

/**
 * The peer: the same rows into a fresh PGlite, 1 000 rows per INSERT, 10
 * INSERTs per transaction, in replica mode as the client applies them (no
 * trigger restamping the field clocks, no foreign-key checks). Columns the
 * server keeps to itself get the client's placeholder. Returns milliseconds.
 */
export async function bareInsert(rowsByTable: Map<string, Row[]>, placeholders: Record<string, Row>): Promise<number> {
  const local = await freshLocalDb();
  try {
    const statements: { sql: string; params: unknown[] }[] = [];
    const began = performance.now();
    for (const [table, rows] of rowsByTable) {
      const columns = [...new Set([...Object.keys(placeholders[table] ?? {}), ...Object.keys(rows[0] ?? {})])];
      for (let at = 0; at < rows.length; at += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(at, at + ROWS_PER_STATEMENT);
        const params: unknown[] = [];
        const tuples = chunk.map((row) => {
          const full = { ...placeholders[table], ...row };
          const start = params.length;
          for (const c of columns) {
            const v = full[c];
            params.push(v !== null && typeof v === 'object' ? JSON.stringify(v) : v);
          }
          return `(${columns.map((_, i) => `$${start + i + 1}`).join(', ')})`;
        });
        statements.push({ sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, params });
      }
    }
    for (let at = 0; at < statements.length; at += STATEMENTS_PER_TRANSACTION) {
      await local.db.transaction(async (tx) => {
        await tx.query('SET LOCAL session_replication_role = replica');
        for (const s of statements.slice(at, at + STATEMENTS_PER_TRANSACTION)) await tx.query(s.sql, s.params);
      });
    }
    return performance.now() - began;
  } finally {
    await local.close();
  }
}
