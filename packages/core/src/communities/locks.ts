// The registry's lock. Community keys and delivery point PODs are unique in
// the installation, sensor ids too, and members' and assets' keys in their
// community: plain indexes hold them (see migration 0010), so every write
// that creates or re-keys one checks under this lock, taken in the writing
// transaction and held to its end. Writes of the registry are few and short
// next to its reads; one lock for all of them keeps the checks simple.
//
// Every writer of the registry takes it first, before any row or change
// counter: an import holds rows and the counter under it, so a writer that
// took those first and the lock after could deadlock with it (on PostgreSQL;
// PGlite has one connection). A sync push whose batch writes the registry
// takes it before its first mutation, which may take the counter.
import type { Queryable } from '@helio/db';

/** An arbitrary constant naming the registry's advisory lock. */
const REGISTRY_LOCK = 7_311_020_112;

/** Takes the registry's lock until the transaction ends. Call it before the transaction's first lock of a row or counter. */
export async function lockRegistry(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [REGISTRY_LOCK]);
}
