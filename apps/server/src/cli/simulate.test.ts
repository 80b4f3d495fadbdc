// `helio simulate` through the dispatcher in this process, on each engine:
// a day of demo data for a bare site, read back from the database and the
// data service; the summary in text and JSON; the progress bar on a
// terminal; --live stopped by Ctrl-C; and refusals.
import { components, organisations, sites } from '@helio/core';
import type { Engine } from '@helio/db';
import { beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import type { CliIo } from './output.js';
import { run } from './run.js';
import { helioInProcess } from './spawn-helio.js';
import { cliTarget } from './test-target.js';

const TIMEOUT = 180_000;

describeEachEngine('npx helio simulate', (engine: Engine) => {
  const target = cliTarget(engine, 'simulate');
  let orgId: string;

  const newSite = (siteName: string, fields: Record<string, unknown> = {}) =>
    target.asSystem((ctx) => sites.createSite(ctx, { organisationId: orgId, siteName, ...fields }));

  /** The dispatcher with an io of the test's making: a terminal, an interrupt key. */
  async function runWith(argv: string[], extra: Partial<CliIo>, onStderr?: (text: string) => void) {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      env: {},
      stdout: (t) => void (stdout += t),
      stderr: (t) => {
        stderr += t;
        onStderr?.(t);
      },
      readStdin: () => Promise.resolve(''),
      ...extra,
    };
    const status = await run([...argv, ...target.args], io);
    return { status, stdout, stderr };
  }

  beforeAll(async () => {
    orgId = (await target.asSystem((ctx) => organisations.createOrganisation(ctx, { name: 'Demo Solar' }))).id;
  });

  it(
    'writes a day of demo data for a site named by its Locus id, read back from the database as sensible energy',
    async () => {
      const site = await newSite('Demo park', { latitude: 37.39, longitude: -5.98, timezone: 'Europe/Madrid' });
      const r = await helioInProcess(target.work, [
        'simulate',
        '--site',
        String(site.locusId),
        '--days',
        '1',
        '--seed',
        '17',
        '--json',
        ...target.args,
      ]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const summary = JSON.parse(r.stdout) as {
        siteId: string;
        componentsCreated: number;
        componentsSimulated: number;
        from: string;
        to: string;
        rows: number;
        stored: number;
        siteUpdates: Record<string, unknown>;
        seed: number;
      };
      expect(summary).toMatchObject({
        siteId: site.id,
        componentsCreated: 11,
        componentsSimulated: 11,
        seed: 17,
        siteUpdates: { sizeKw: 50 },
      });

      await target.asSystem(async (ctx) => {
        const tree = await components.listComponents(ctx, { siteId: site.id });
        expect(tree.map((c) => c.nodeType).sort()).toEqual([
          'INVERTER',
          'INVERTER',
          'INVERTER',
          'METER',
          ...Array(6).fill('STRING'),
          'WEATHERSTATION',
        ]);
        const meter = tree.find((c) => c.nodeType === 'METER')!;
        const { rows } = await ctx.db.query<{ n: number; wh: number }>(
          `SELECT count(*)::int AS n, sum(value) AS wh FROM readings WHERE component_id = $1 AND field = 2`,
          [meter.id],
        );
        const intervals = (Date.parse(summary.to) - Date.parse(summary.from)) / 300_000;
        expect(rows[0]!.n).toBe(intervals);
        // Yesterday in Madrid (the run starts at its local midnight): between an overcast winter day and a clear summer one, per kW.
        const { rows: day } = await ctx.db.query<{ wh: number }>(
          `SELECT sum(value) AS wh FROM readings WHERE component_id = $1 AND field = 2 AND ts >= $2 AND ts < $2::timestamptz + interval '1 day'`,
          [meter.id, new Date(summary.from)],
        );
        const kWhPerKw = Number(day[0]!.wh) / 1000 / 50;
        expect(kWhPerKw).toBeGreaterThan(0.2);
        expect(kWhPerKw).toBeLessThan(8.5);
      });

      // Again, in text: the tree stands, and values already held are unchanged.
      const again = await helioInProcess(target.work, ['simulate', '--site', site.id, '--days', '1', '--seed', '17', ...target.args]);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toMatch(
        new RegExp(
          `^Simulated site "Demo park" \\(Locus id ${site.locusId}\\): created 0 components, wrote \\d+ readings \\(\\d+ values: \\d+ new, [1-9]\\d* unchanged, 0 replaced\\) for 11 components\\n`,
        ),
      );
      expect(again.stdout).toContain(`site:`);
      expect(again.stdout).toContain('(5-minute readings)');
    },
    TIMEOUT,
  );

  it(
    'draws a progress bar on a terminal, and with --live writes until Ctrl-C, then prints its summary and exits 0',
    async () => {
      const site = await newSite('Live park');
      const tty = await runWith(['simulate', '--site', site.id, '--days', '0'], { stderrIsTTY: true });
      expect(tty.status, tty.stderr).toBe(0);
      expect(tty.stderr).toMatch(/\rsimulate \[[#.]{30}\] 1\/1 days/);
      expect(tty.stderr.endsWith('\r\x1b[K')).toBe(true);

      let interrupt: (() => void) | undefined;
      let released = false;
      const live = await runWith(
        ['simulate', '--site', site.id, '--days', '0', '--live'],
        {
          onInterrupt: (handler) => {
            interrupt = handler;
            return () => void (released = true);
          },
        },
        // Ctrl-C as soon as it says it writes live: the wait for the next interval ends at once.
        (text) => {
          if (text.includes('Ctrl-C to stop')) setImmediate(() => interrupt?.());
        },
      );
      expect(live.status, live.stderr).toBe(0);
      expect(live.stderr).toBe('Writing live readings as each interval ends; Ctrl-C to stop.\n');
      expect(live.stdout).toMatch(
        /^Simulated site "Live park" \(Locus id \d+\): created 0 components, wrote \d+ readings \(\d+ values: \d+ new, [1-9]\d* unchanged, 0 replaced\) for 11 components\n/,
      );
      expect(released).toBe(true);
    },
    TIMEOUT,
  );

  it('refuses bad options, unknown sites, and --live where nobody can press Ctrl-C, writing nothing', async () => {
    const site = await newSite('Refusals');
    const json = (text: string) => (JSON.parse(text) as { error: { code: string; message: string; details: { path?: string }[] } }).error;

    const days = await helioInProcess(target.work, ['simulate', '--site', site.id, '--days', 'many', '--json', ...target.args]);
    expect(days.status).toBe(1);
    expect(json(days.stderr)).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'days' }] });

    const interval = await helioInProcess(target.work, ['simulate', '--site', site.id, '--interval', '15', '--json', ...target.args]);
    expect(json(interval.stderr)).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'interval' }] });

    const missing = await helioInProcess(target.work, ['simulate', '--json', ...target.args]);
    expect(missing.status).toBe(2);
    expect(json(missing.stderr)).toMatchObject({ code: 'USAGE_ERROR', message: 'missing required option --site <id|locusId>' });

    const unknown = await helioInProcess(target.work, ['simulate', '--site', '987654321', '--json', ...target.args]);
    expect(json(unknown.stderr)).toMatchObject({ code: 'NOT_FOUND' });

    // As a server runs it for the CLI: no Ctrl-C reaches it.
    const forwarded = await runWith(['simulate', '--site', site.id, '--live', '--json'], {});
    expect(forwarded.status).toBe(1);
    expect(json(forwarded.stderr)).toMatchObject({ code: 'DATA_DIR_LOCKED' });

    await target.asSystem(async (ctx) => {
      expect(await components.listComponents(ctx, { siteId: site.id })).toEqual([]);
      expect((await sites.getSite(ctx, site.id)).sizeKw).toBeNull();
    });
  });
});
