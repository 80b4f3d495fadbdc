// The field-clock trigger (migrations 0002 and 0006): server-made clocks of
// one field never repeat, even within one millisecond.
import { beforeEach, expect, it } from 'vitest';
import type { Db } from './types.js';
import { describeEachEngine } from './testing.js';

const ORG = '01900000-0000-7000-8000-000000000001';

describeEachEngine('field clocks', (getDb) => {
  let db: Db;
  beforeEach(async () => {
    db = getDb();
    await db.query(`INSERT INTO organisations (id, organisation_id, name, change_seq) VALUES ($1, $1, 'Clocks', 1)`, [ORG]);
  });

  const clockOfName = async () =>
    (await db.query<{ c: string }>(`SELECT field_clocks->>'name' AS c FROM organisations WHERE id = $1`, [ORG])).rows[0]!.c;
  // Set as a pulled row is applied: without the trigger.
  const setClock = (clock: string) =>
    db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE organisations SET field_clocks = jsonb_build_object('name', $2::text) WHERE id = $1`, [ORG, clock]);
    });
  const rename = (name: string) => db.query('UPDATE organisations SET name = $2 WHERE id = $1', [ORG, name]);

  it('gives each server write of a field a later clock than the one before, within one millisecond too', async () => {
    const stamped = [await clockOfName()];
    for (let i = 0; i < 20; i += 1) {
      await rename(`Name ${i}`);
      stamped.push(await clockOfName());
    }
    for (let i = 1; i < stamped.length; i += 1) expect(stamped[i]! > stamped[i - 1]!).toBe(true);
  });

  it('counts on from a clock ahead of the server, and moves to the next millisecond when the counter is spent', async () => {
    await setClock('9999999999990-0009-someclient');
    await rename('After a fast client');
    expect(await clockOfName()).toBe('9999999999990-000a-server');
    await setClock('9999999999990-zzzz-someclient');
    await rename('Counter spent');
    expect(await clockOfName()).toBe('9999999999991-0000-server');
  });

  it("keeps a client's clock as given", async () => {
    await setClock('9999999999990-0009-someclient');
    await db.transaction(async (tx) => {
      await tx.query("SELECT set_config('helio.hlc', '0000000000001-0000-older', true)");
      await tx.query('UPDATE organisations SET name = $2 WHERE id = $1', [ORG, 'From a client']);
    });
    expect(await clockOfName()).toBe('0000000000001-0000-older');
  });
});
