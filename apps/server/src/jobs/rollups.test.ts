import { components, readings, sites, systemPrincipal } from '@helio/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serviceContext } from '../services.js';
import { describeEachEngine } from '../test-engines.js';
import { createTenant, createTestApp, manualClock, type TestApp } from '../testing.js';
import { startRollupJob, type RollupJob } from './rollups.js';
import type { JobLog, Timers } from './schedule.js';

describeEachEngine('rollups settled on a schedule', (engine) => {
  let t: TestApp;
  const clock = manualClock(new Date('2024-03-20T10:00:00Z'));
  const pending: (() => void)[] = [];
  const timers: Timers = { set: (fn) => pending.push(fn), clear: () => pending.splice(0) };
  const errors: object[] = [];
  const log: JobLog = { info: () => undefined, error: (obj) => errors.push(obj) };
  let job: RollupJob;
  let componentId: string;

  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
    const tenant = await createTenant(t.services);
    const ctx = serviceContext(t.services, systemPrincipal);
    const site = await sites.createSite(ctx, { organisationId: tenant.organisationId, siteName: 'Settled' });
    componentId = (await components.createComponent(ctx, { siteId: site.id, nodeId: 'ROLL-1', name: 'Meter', nodeType: 'METER' })).id;
    job = startRollupJob(t.services, { intervalSeconds: 30, log, timers });
  });
  afterAll(async () => {
    await job?.stop();
    await t?.close();
  });

  const rollups = async () =>
    (
      await t.db.query<{ level: number; field: number; bucket: Date; sum: number; count: number; min: number; max: number }>(
        'SELECT level, field, bucket, sum, count, min, max FROM reading_rollups WHERE component_id = $1 ORDER BY level, field, bucket',
        [componentId],
      )
    ).rows.map((r) => `${r.level} ${r.field} ${r.bucket.toISOString()} ${r.sum} ${r.count} ${r.min} ${r.max}`);
  const marks = async () =>
    (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reading_rollup_marks WHERE component_id = $1', [componentId])).rows[0]!
      .n;

  it('sums marked readings into their rollups, as they would have been summed on the way in', async () => {
    const ctx = serviceContext(t.services, systemPrincipal);
    const rows = Array.from({ length: 90 }, (_, i) => ({
      ts: new Date(Date.parse('2024-03-20T08:50:00Z') + i * 60_000).toISOString(),
      W: i % 17,
    }));
    await readings.ingestReadings(ctx, componentId, { readings: rows });
    const expected = await rollups();
    expect(expected.length).toBeGreaterThan(0);
    // The same readings as the MQTT gateway leaves them: stored, with a mark per 5-minute bucket and no rollups.
    await t.db.query('DELETE FROM reading_rollups WHERE component_id = $1', [componentId]);
    await t.db.query(
      `INSERT INTO reading_rollup_marks (component_id, field, bucket)
       SELECT DISTINCT component_id, field, date_bin(interval '5 minutes', ts, timestamptz 'epoch') FROM readings WHERE component_id = $1`,
      [componentId],
    );
    expect(await marks()).toBe(18);

    // The schedule is set; a run settles them all.
    expect(pending).toHaveLength(1);
    expect(await job.runNow()).toBe(18);
    expect(await marks()).toBe(0);
    expect(await rollups()).toEqual(expected);
    expect(await job.runNow()).toBe(0);
    expect(errors).toEqual([]);
  });
});
