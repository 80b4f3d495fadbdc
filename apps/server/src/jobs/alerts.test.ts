import { components, sites, systemPrincipal } from '@helio/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceContext } from '../services.js';
import { createTenant, createTestApp, manualClock, type TestApp } from '../testing.js';
import { startAlertJob } from './alerts.js';
import type { JobLog, Timers } from './schedule.js';

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending: { fn: () => void; ms: number; handle: number }[] = [];
  let next = 0;
  const timers: Timers = {
    set: (fn, ms) => {
      pending.push({ fn, ms, handle: ++next });
      return next;
    },
    clear: (handle) => {
      const i = pending.findIndex((p) => p.handle === handle);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  return { timers, pending, fire: () => pending.shift()!.fn() };
}

function recordingLog() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const log: JobLog = {
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
  return { log, lines };
}

describe('the scheduled alert job', () => {
  let t: TestApp;
  const clock = manualClock(new Date('2024-03-20T10:00:00Z'));
  let componentId: string;
  beforeAll(async () => {
    t = await createTestApp('pglite', { clock });
    const tenant = await createTenant(t.services);
    const ctx = serviceContext(t.services, systemPrincipal);
    const site = await sites.createSite(ctx, { organisationId: tenant.organisationId, siteName: 'Scheduled' });
    componentId = (await components.createComponent(ctx, { siteId: site.id, nodeId: 'JOB-1', name: 'Meter', nodeType: 'METER' })).id;
    // Last heard from at 10:00.
    await t.db.query('INSERT INTO component_status (component_id, organisation_id, last_received_at) VALUES ($1, $2, $3)', [
      componentId,
      tenant.organisationId,
      clock.now(),
    ]);
  });
  afterAll(() => t.close());

  const openAlerts = async () =>
    (await t.db.query<{ alert_type: string }>('SELECT alert_type FROM alerts WHERE component_id = $1 AND ended_at IS NULL', [componentId]))
      .rows;

  it('evaluates every interval, each run timed from the end of the last, and stops cleanly', async () => {
    const { timers, pending, fire } = manualTimers();
    const { log, lines } = recordingLog();
    const job = startAlertJob(t.services, { intervalSeconds: 30, log, timers })!;
    expect(pending.map((p) => p.ms)).toEqual([30_000]);

    // At 10:30 nothing is due yet.
    clock.advance(30 * 60);
    fire();
    await job.runNow();
    expect(await openAlerts()).toEqual([]);
    expect(pending.map((p) => p.ms)).toEqual([30_000]);

    // At 11:05 the meter has been silent for over an hour: the next run raises System Disconnect, and logs it.
    clock.advance(35 * 60);
    fire();
    await job.runNow();
    expect(await openAlerts()).toEqual([{ alert_type: 'System Disconnect' }]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        msg: 'alert rules evaluated',
        obj: expect.objectContaining({ alerts: expect.objectContaining({ opened: 1 }) }),
      }),
    );

    await job.stop();
    expect(pending).toEqual([]);
  });

  it('logs a failed run and keeps to its schedule', async () => {
    const { timers, pending, fire } = manualTimers();
    const { log, lines } = recordingLog();
    const broken = { ...t.services, db: { ...t.services.db, query: () => Promise.reject(new Error('database unreachable')) } };
    const job = startAlertJob(broken, { intervalSeconds: 5, log, timers })!;
    fire();
    expect(await job.runNow()).toBeUndefined();
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'alert rules failed; they run again at the next interval',
      'alert rules failed; they run again at the next interval',
    ]);
    expect(pending.map((p) => p.ms)).toEqual([5000]);
    await job.stop();
  });

  it('is off with an interval of 0', () => {
    const { timers, pending } = manualTimers();
    expect(startAlertJob(t.services, { intervalSeconds: 0, log: recordingLog().log, timers })).toBeUndefined();
    expect(pending).toEqual([]);
  });
});
