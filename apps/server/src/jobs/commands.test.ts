import { organisations, plants, systemPrincipal } from '@helio/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serviceContext } from '../services.js';
import { describeEachEngine } from '../test-engines.js';
import { createTestApp, manualClock, type TestApp } from '../testing.js';
import { startCommandExpiryJob, type CommandExpiryJob } from './commands.js';
import type { JobLog, Timers } from './schedule.js';

describeEachEngine('command expiry on a schedule', (engine) => {
  let t: TestApp;
  const clock = manualClock(new Date('2031-02-01T08:00:00Z'));
  const pending: (() => void)[] = [];
  const timers: Timers = { set: (fn) => pending.push(fn), clear: () => pending.splice(0) };
  const logged: object[] = [];
  const log: JobLog = { info: (obj) => logged.push(obj), error: (obj) => logged.push(obj) };
  let job: CommandExpiryJob;
  let plantId: string;

  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
    const ctx = serviceContext(t.services, systemPrincipal);
    const org = await organisations.createOrganisation(ctx, { name: 'Expiry' });
    plantId = (
      await plants.createPlant(
        ctx,
        { name: 'Logger', serialNumber: `EXP-${engine}`, type: 'GATEWAY', authMethod: 'PASSWORD' },
        { organisationId: org.id },
      )
    ).id;
    job = startCommandExpiryJob(t.services, { intervalSeconds: 5, log, timers });
  });
  afterAll(async () => {
    await job?.stop();
    await t?.close();
  });

  it('expires queued commands past their time, once, and leaves the others', async () => {
    const ctx = serviceContext(t.services, systemPrincipal);
    const short = await plants.sendCommand(ctx, plantId, { command: 'SHORT' }, { ttlSeconds: 60 });
    const long = await plants.sendCommand(ctx, plantId, { command: 'LONG' }, { ttlSeconds: 3600 });
    expect(await job.runNow()).toBe(0);
    clock.advance(61);
    // The schedule fires: the short one expires.
    expect(pending).toHaveLength(1);
    pending.shift()!();
    await job.runNow();
    const states = async () => Object.fromEntries((await plants.listCommands(ctx, plantId, {})).data.map((c) => [c.cmdId, c.state]));
    expect(await states()).toEqual({ [short.command.cmdId]: 'expired', [long.command.cmdId]: 'queued' });
    expect(logged).toContainEqual({ expired: 1 });
    expect(await job.runNow()).toBe(0);
    clock.advance(3600);
    expect(await job.runNow()).toBe(1);
    expect(await states()).toEqual({ [short.command.cmdId]: 'expired', [long.command.cmdId]: 'expired' });
  });
});
