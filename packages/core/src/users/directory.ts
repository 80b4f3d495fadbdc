// The user directory a synced device keeps: the id, name and email of the
// people its organisations' rows name (members, uploaders, conflict authors),
// sent beside each pulled page. Nothing else of a user leaves the server.
import type { Queryable } from '@helio/db';
import type { DirectoryUser } from '../sync/protocol.js';

/** The directory entries of these users, by id. */
export async function directoryEntries(q: Queryable, ids: readonly string[]): Promise<DirectoryUser[]> {
  if (ids.length === 0) return [];
  const { rows } = await q.query<DirectoryUser>('SELECT id, email, name FROM users WHERE id = ANY($1::uuid[]) ORDER BY id', [ids]);
  return rows;
}

/** Stores directory entries on a device, replacing what it knew of those users. */
export async function storeDirectoryEntries(q: Queryable, users: readonly DirectoryUser[]): Promise<void> {
  if (users.length === 0) return;
  await q.query(
    `INSERT INTO users (id, email, name) SELECT id, email, name FROM jsonb_to_recordset($1::jsonb) AS u(id uuid, email text, name text)
     ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name`,
    [JSON.stringify(users)],
  );
}
