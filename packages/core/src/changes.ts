import type { Queryable } from '@helio/db';

/**
 * Hands out `count` consecutive change sequence numbers of one organisation,
 * inside the caller's transaction. The counter row stays locked until that
 * transaction ends, so writers of one organisation commit in sequence order and
 * a reader can never see seq N+1 without N.
 */
export async function allocateChangeSeqs(tx: Queryable, organisationId: string, count = 1): Promise<number> {
  const { rows } = await tx.query<{ last_seq: number }>(
    'UPDATE organisation_change_counters SET last_seq = last_seq + $2 WHERE organisation_id = $1 RETURNING last_seq',
    [organisationId, count],
  );
  const last = rows[0]?.last_seq;
  if (last === undefined) throw new Error(`no change counter for organisation ${organisationId}`);
  return last - count + 1;
}
