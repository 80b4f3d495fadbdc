// `helio readings import` on each engine, through the dispatcher in this
// process (cli.test.ts spawns the real launcher for what concerns the process).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { components, organisations, sites } from '@helio/core';
import type { Engine } from '@helio/db';
import { beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import type { CliIo } from './output.js';
import { run } from './run.js';
import { helioInProcess } from './spawn-helio.js';
import { cliTarget } from './test-target.js';

const TIMEOUT = 90_000;

describeEachEngine('npx helio readings import', (engine: Engine) => {
  const target = cliTarget(engine, 'readings', TIMEOUT);
  let orgId: string;
  let otherOrgId: string;
  let meter: string;
  let twin: string;

  const readingsOf = (componentId: string) =>
    target.asSystem(async (ctx) => {
      const { rows } = await ctx.db.query<{ field: number; ts: Date; value: number }>(
        'SELECT field, ts, value FROM readings WHERE component_id = $1 ORDER BY field, ts',
        [componentId],
      );
      return rows.map((r) => `${r.field} ${r.ts.toISOString()} ${r.value}`);
    });

  /** A CSV file of `rows` minutes from 2024-01-01 (W and Wh), with a bad cell at `badRow` if given. */
  function csvFile(name: string, rows: number, badRow?: number): string {
    const lines = ['ts,W,Wh'];
    for (let i = 0; i < rows; i++) {
      const ts = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString();
      lines.push(i === badRow ? `${ts},oops,1` : `${ts},${i % 500},${(i % 7) / 2}`);
    }
    const file = join(target.work, name);
    writeFileSync(file, `${lines.join('\r\n')}\r\n`);
    return file;
  }

  beforeAll(async () => {
    await target.asSystem(async (ctx) => {
      orgId = (await organisations.createOrganisation(ctx, { name: 'Acme Solar' })).id;
      otherOrgId = (await organisations.createOrganisation(ctx, { name: 'Other Solar' })).id;
      const site = await sites.createSite(ctx, { siteName: 'Plant', organisationId: orgId });
      const otherSite = await sites.createSite(ctx, { siteName: 'Other plant', organisationId: otherOrgId });
      meter = (await components.createComponent(ctx, { siteId: site.id, nodeId: 'MTR-1', name: 'Main meter', nodeType: 'METER' })).id;
      await components.createComponent(ctx, { siteId: site.id, nodeId: 'SHARED', name: 'Shared A', nodeType: 'INVERTER' });
      twin = (await components.createComponent(ctx, { siteId: otherSite.id, nodeId: 'SHARED', name: 'Shared B', nodeType: 'INVERTER' })).id;
    });
  }, TIMEOUT);

  it(
    'imports a file in requests of at most 10,000 rows, by nodeId, and again without double counting',
    async () => {
      const file = csvFile('history.csv', 10_050);
      const first = await helioInProcess(target.work, ['readings', 'import', '--component', 'MTR-1', file, '--json', ...target.args]);
      expect(first.status, first.stderr).toBe(0);
      expect(first.stderr).toBe('');
      expect(JSON.parse(first.stdout)).toEqual({
        componentId: meter,
        nodeId: 'MTR-1',
        file,
        rows: 10_050,
        requests: 2,
        stored: 20_100,
        unchanged: 0,
        replaced: 0,
        from: '2024-01-01T00:00:00.000Z',
        to: new Date(Date.UTC(2024, 0, 1) + 10_049 * 60_000).toISOString(),
      });
      const again = await helioInProcess(target.work, ['readings', 'import', '--component', meter, file, ...target.args]);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toMatch(
        /^Imported 10,050 rows from .*history\.csv into component "Main meter" \(MTR-1\): 0 values stored, 20,100 unchanged, 0 replaced\n/,
      );
      const held = await readingsOf(meter);
      expect(held).toHaveLength(20_100);
      expect(held[10_050 + 3]).toBe(`2 ${new Date(Date.UTC(2024, 0, 1) + 3 * 60_000).toISOString()} 1.5`);
      const sums = await target.asSystem(async (ctx) => {
        const { rows } = await ctx.db.query<{ field: number; level: number; n: number; count: number; sum: number }>(
          'SELECT field, level, count(*)::int AS n, sum(count)::int AS count, sum(sum) AS sum FROM reading_rollups WHERE component_id = $1 GROUP BY field, level ORDER BY field, level',
          [meter],
        );
        return rows;
      });
      let wSum = 0;
      let whSum = 0;
      for (let i = 0; i < 10_050; i++) {
        wSum += i % 500;
        whSum += (i % 7) / 2;
      }
      for (const level of [1, 2, 3]) {
        expect(sums.find((r) => r.field === 1 && r.level === level)).toMatchObject({ count: 10_050, sum: wSum });
        expect(sums.find((r) => r.field === 2 && r.level === level)?.sum).toBeCloseTo(whSum, 6);
      }
    },
    TIMEOUT,
  );

  it(
    'stops before storing anything when a row anywhere in the file is bad, naming its line',
    async () => {
      const file = csvFile('bad.csv', 12_000, 11_500);
      const res = await helioInProcess(target.work, [
        'readings',
        'import',
        '--component',
        'SHARED',
        '--org',
        otherOrgId,
        file,
        '--json',
        ...target.args,
      ]);
      expect(res.status).toBe(1);
      expect(res.stdout).toBe('');
      const error = (JSON.parse(res.stderr) as { error: { code: string; details: { path: string; issue: string }[] } }).error;
      // The header is line 1, so row 11,500 (from 0) is line 11,502.
      expect(error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'line 11502, column W', issue: 'not_a_number' }] });
      expect(await readingsOf(twin)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'refuses a nodeId used in several organisations without --org, an unknown component and a missing file',
    async () => {
      const file = csvFile('small.csv', 3);
      const ambiguous = await helioInProcess(target.work, ['readings', 'import', '--component', 'SHARED', file, ...target.args]);
      expect(ambiguous.status).toBe(1);
      expect(ambiguous.stderr).toMatch(/^helio: VALIDATION_ERROR: nodeId SHARED names components in 2 organisations/);
      const unknown = await helioInProcess(target.work, ['readings', 'import', '--component', 'NOPE', file, ...target.args]);
      expect(unknown.stderr).toMatch(/^helio: NOT_FOUND: component NOPE not found/);
      const missing = await helioInProcess(target.work, [
        'readings',
        'import',
        '--component',
        'MTR-1',
        join(target.work, 'nope.csv'),
        ...target.args,
      ]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/cannot read .*nope\.csv/);
      const empty = join(target.work, 'empty.csv');
      writeFileSync(empty, '');
      const noHeader = await helioInProcess(target.work, ['readings', 'import', '--component', 'MTR-1', empty, '--json', ...target.args]);
      expect(JSON.parse(noHeader.stderr).error).toMatchObject({ details: [{ issue: 'missing_header' }] });
      const usage = await helioInProcess(target.work, ['readings', 'import', file, ...target.args]);
      expect(usage.status).toBe(2);
    },
    TIMEOUT,
  );

  it(
    'draws a progress bar of rows and percent on a terminal, and a summary line',
    async () => {
      const file = csvFile('tty.csv', 10_500);
      let stdout = '';
      let stderr = '';
      const io: CliIo = {
        env: {},
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stderr += t),
        readStdin: () => Promise.resolve(''),
        stderrIsTTY: true,
      };
      const status = await run(['readings', 'import', '--component', twin, file, ...target.args], io);
      expect(status, stderr).toBe(0);
      expect(stderr).toContain('importing [#############################.] 10000/10500 rows 95%');
      expect(stderr).toContain('10500/10500 rows 100%');
      expect(stderr.endsWith('\r\x1b[K')).toBe(true);
      expect(stdout).toMatch(
        /^Imported 10,500 rows from .*tty\.csv into component "Shared B" \(SHARED\): 21,000 values stored, 0 unchanged, 0 replaced\n/,
      );
    },
    TIMEOUT,
  );
});
