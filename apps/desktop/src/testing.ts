// Test support: desktop data directories that start from one migrated PGlite
// database, made once per test process and copied in. PGlite's first start
// (initdb) and the migrations take seconds on a busy machine, a copy a
// fraction of that. Only the schema is shared: each desktop still makes its
// own session, local organisation and sync client id when it opens.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '@helio/db';
import { openPglite } from '@helio/db/pglite';

let template: Promise<string> | undefined;

function migratedDatabase(): Promise<string> {
  template ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'helio-desktop-template-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const db = await openPglite({ dataDir: join(dir, 'pglite') });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    return dir;
  })();
  return template;
}

/** Puts a migrated, empty database into a new data directory, as if the app had started there once before signing anything in. */
export async function seedDataDir(dataDir: string): Promise<void> {
  cpSync(join(await migratedDatabase(), 'pglite'), join(dataDir, 'pglite'), { recursive: true });
}
