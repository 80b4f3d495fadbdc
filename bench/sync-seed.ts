// Seeding for bench/sync.ts: an organisation's sites and documents written
// with direct SQL in large batches (the services write one row per
// transaction, far too slow for 100 000 rows), the way those services store
// them: change sequences taken from the organisation's change counter in the
// writing transaction, field clocks stamped by the table's trigger.
import { allocateChangeSeqs, createUuidV7Generator } from '@helio/core';
import type { Db, Transaction } from '@helio/db';

const BATCH = 5_000;
const ids = createUuidV7Generator();

const SITES_SQL = `
INSERT INTO sites (id, organisation_id, site_name, address, capacity, unit, latitude, longitude, site_manager, timezone, created_at, updated_at, change_seq)
SELECT t.id, $2, $3 || ' solar park ' || (t.n + $4), (t.n + $4) || ' Sunny Road, ' || (1000 + (t.n + $4) % 9000) || ' Helio City',
  250 + (((t.n + $4) * 37) % 4000), (ARRAY['kW', 'kWp', 'MW', 'MWp'])[1 + (t.n + $4) % 4],
  -60 + (((t.n + $4) * 7.31) % 120), -170 + (((t.n + $4) * 13.7) % 340), 'Manager ' || ((t.n + $4) % 17),
  (ARRAY['Europe/Berlin', 'Europe/Madrid', 'America/Chicago', 'Australia/Sydney', 'UTC'])[1 + (t.n + $4) % 5],
  $5, $5, $6 + t.n - 1
FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`;

const DOCUMENTS_SQL = `
INSERT INTO documents (id, organisation_id, site_id, file_type, document_type, om_record_id, filename, mime_type, size_bytes, status,
  sha256, storage_key, uploaded_by, created_at, updated_at, change_seq)
SELECT t.id, $3, t.site_id, (ARRAY['documents', 'om-documents'])[1 + (t.n + $4) % 2], 'inspection report',
  CASE WHEN (t.n + $4) % 2 = 1 THEN 'OM-' || (t.n + $4) END, 'report-' || (t.n + $4) || '.pdf', 'application/pdf',
  10000 + (t.n + $4) * 13 % 5000000, 'uploaded', md5((t.n + $4)::text) || md5(t.id::text),
  'blobs/' || t.id, $5, $6, $6, $7 + t.n - 1
FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t(id, site_id, n)`;

/**
 * Writes `count` new rows in batches, each batch in its own transaction with
 * change sequences of its own: `write` gets the batch's new ids, the offset of
 * its first row and its first change sequence. Returns every id, in order.
 */
async function inBatches(
  db: Db,
  organisationId: string,
  count: number,
  write: (tx: Transaction, batch: string[], offset: number, firstSeq: number) => Promise<void>,
  progress: (done: number) => void,
): Promise<string[]> {
  const all: string[] = [];
  for (let offset = 0; offset < count; offset += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - offset) }, () => ids.uuid());
    await db.transaction(async (tx) => write(tx, batch, offset, await allocateChangeSeqs(tx, organisationId, batch.length)));
    all.push(...batch);
    progress(offset + batch.length);
  }
  return all;
}

/** `count` sites named `<label> solar park <n>`; returns their ids in change-sequence order. */
export function seedSites(
  db: Db,
  organisationId: string,
  label: string,
  count: number,
  progress: (done: number) => void = () => undefined,
): Promise<string[]> {
  return inBatches(
    db,
    organisationId,
    count,
    async (tx, batch, offset, firstSeq) => {
      await tx.query(SITES_SQL, [batch, organisationId, label, offset, new Date(), firstSeq]);
    },
    progress,
  );
}

/** `count` uploaded documents, spread over `siteIds` in turn, uploaded by `userId`. */
export async function seedDocuments(
  db: Db,
  organisationId: string,
  siteIds: readonly string[],
  userId: string,
  count: number,
  progress: (done: number) => void = () => undefined,
): Promise<void> {
  if (count > 0 && siteIds.length === 0) throw new Error('documents need at least one site');
  await inBatches(
    db,
    organisationId,
    count,
    async (tx, batch, offset, firstSeq) => {
      const sites = batch.map((_, i) => siteIds[(offset + i) % siteIds.length]!);
      await tx.query(DOCUMENTS_SQL, [batch, sites, organisationId, offset, userId, new Date(), firstSeq]);
    },
    progress,
  );
}
