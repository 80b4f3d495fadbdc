// Runs the README's walkthroughs (bootstrap and Alentis, monitoring, plants,
// energy communities), command for command, against one freshly started
// `helio serve`, so the README stays true.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const launcher = join(root, 'apps/server/bin/helio.js');

/** The shell blocks between a walkthrough's markers, in order. */
function walkthroughScript(
  name: 'walkthrough' | 'monitoring-walkthrough' | 'plants-walkthrough' | 'communities-walkthrough',
  atLeast: number,
): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = new RegExp(`<!-- ${name}:begin -->([\\s\\S]*?)<!-- ${name}:end -->`).exec(readme)?.[1];
  if (!section) throw new Error(`README has no ${name} section`);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(atLeast);
  return blocks.join('\n');
}

/**
 * A README line that shows an error (`curl -s ...   # 404`) becomes a check
 * that the call answers that status; every other curl must succeed.
 */
function withErrorChecks(script: string): string {
  return script
    .split('\n')
    .map((line) => {
      const expected = /^curl -s (.*?)\s+#\s*(4\d\d)\b/.exec(line);
      if (!expected) return line;
      const [, args, status] = expected;
      return `test "$(command curl -s -o /dev/null -w '%{http_code}' ${args})" = ${status} || { echo "expected ${status}: ${args!.replaceAll('"', '')}" >&2; exit 1; }`;
    })
    .join('\n');
}

interface Server {
  child: ChildProcess;
  url: string;
}

function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [launcher, 'serve', '--port', '0'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output) ?? /listening on (http:\/\/\S+)/i.exec(output);
      if (match) {
        child.stdout?.off('data', onData);
        resolvePromise({ child, url: match[1]!.replace(/[).,]+$/, '') });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

function runScript(script: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

async function stop(server: Server | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

describe('README walkthrough', () => {
  let server: Server | undefined;
  let dataDir: string | undefined;
  let db: TestDb | undefined;
  afterEach(async () => {
    await stop(server);
    server = undefined;
    await db?.dispose();
    db = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    for (const f of [
      'ppa_agreement.pdf',
      'mcs_certificate.pdf',
      'downloaded.pdf',
      'readings.csv',
      'plant.json',
      'plant.json.new',
      'simulator.log',
      'solar-commons.export.yaml',
      'solar-commons.changed.yaml',
      'solar-commons.broken.yaml',
    ]) {
      rmSync(join(root, f), { force: true });
    }
  });

  for (const engine of testEngines) {
    it(`works as written against npm start on ${engine}`, async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'helio-readme-'));
      // The MQTT gateway on free ports: 1884 and 8884 may be taken by another server on the machine.
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        HELIO_DATA_DIR: dataDir,
        HELIO_LOG_LEVEL: 'info',
        CI: 'true',
        HELIO_MQTT_PORT: '0',
        HELIO_MQTTS_PORT: '0',
      };
      delete env['DATABASE_URL'];
      if (engine === 'postgres') {
        db = await freshTestDb('postgres', { migrated: false });
        env['DATABASE_URL'] = db.connectionString;
      }
      server = await startServer(env);
      const script = walkthroughScript('walkthrough', 7).replaceAll('http://127.0.0.1:3000', server.url);
      // The walkthrough runs from the repository root, as a reader would.
      // Any HTTP error status fails the walkthrough, though the README's own curls do not say --fail.
      const strictCurl = 'curl() { command curl --fail-with-body "$@"; }\n';
      const result = await runScript(`${strictCurl}${script}\necho "SITE=$SITE"\necho "KEY=$KEY"`, env, root);
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('downloaded the same bytes');

      const site = /SITE=(\S+)/.exec(result.stdout)?.[1];
      const key = /KEY=(\S+)/.exec(result.stdout)?.[1];
      const headers = { 'x-api-key': key! };
      const [after] = (await (await fetch(`${server.url}/api/sites?siteId=${site}`, { headers })).json()) as {
        portfolioId: string | null;
        siteName: string;
      }[];
      expect(after).toMatchObject({ siteName: 'Solar Farm Alpha', portfolioId: null });
      const docs = (await (await fetch(`${server.url}/api/sites/${site}/documents`, { headers })).json()) as {
        status: string;
        documentType: string;
      }[];
      expect(docs.map((d) => [d.documentType, d.status])).toEqual([
        ['ppa', 'uploaded'],
        ['mcs_certificate', 'uploaded'],
      ]);

      // The monitoring walkthrough, on the same server.
      const monitoring = withErrorChecks(walkthroughScript('monitoring-walkthrough', 7).replaceAll('http://127.0.0.1:3000', server.url));
      const run = await runScript(
        `${strictCurl}${monitoring}\necho "SITE=$SITE"\necho "AUTH=$AUTH"\necho "ROOF_ID=$ROOF_ID"\necho "KEY=$KEY"\necho "DAY=$DAY"`,
        env,
        root,
      );
      expect(run.code, run.stderr).toBe(0);
      const value = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(run.stdout)?.[1] ?? '';
      const auth = { authorization: value('AUTH').replace(/^Authorization: /, '') };
      // Yesterday in the simulated week, in the site's zone: energy by day, none at night, and power at noon.
      const day = value('DAY');
      const daily = (await (
        await fetch(
          `${server.url}/v3/sites/${value('SITE')}/data?fields=Wh_sum&start=${day}T00:00:00&end=${day}T23:00:00&tz=America/Los_Angeles&gran=hourly`,
          {
            headers: auth,
          },
        )
      ).json()) as { statusCode: number; data: { ts: string; Wh_sum?: number }[] };
      expect(daily.statusCode).toBe(200);
      const energyAt = (hour: string) => daily.data.find((d) => d.ts.slice(11, 13) === hour)?.Wh_sum ?? 0;
      expect(energyAt('02')).toBe(0);
      expect(energyAt('12')).toBeGreaterThan(0);
      // The hand-sent readings were stored once each, though the CSV import came after the JSON ones.
      const roof = (await (
        await fetch(`${server.url}/api/components/${value('ROOF_ID')}`, { headers: { 'x-api-key': value('KEY') } })
      ).json()) as { locusId: number };
      const roofData = (await (
        await fetch(
          `${server.url}/v3/components/${roof.locusId}/data?fields=Wh_sum&start=2026-06-01T00:00:00&end=2026-06-02T00:00:00&tz=US/Pacific&gran=daily`,
          {
            headers: auth,
          },
        )
      ).json()) as { data: { Wh_sum?: number }[] };
      expect(roofData.data).toEqual([{ id: roof.locusId, ts: '2026-06-01T00:00:00-07:00', Wh_sum: 350 + 342 + 333 + 325 }]);

      // The energy communities walkthrough, on the same server: the sample imported, paged, looked up, exported and imported again.
      const communitiesScript = withErrorChecks(
        walkthroughScript('communities-walkthrough', 6).replaceAll('http://127.0.0.1:3000', server.url),
      );
      const communitiesRun = await runScript(`${strictCurl}${communitiesScript}\necho "COMMUNITY_KEY=$KEY"`, env, root);
      expect(communitiesRun.code, `${communitiesRun.stdout}\n${communitiesRun.stderr}`).toBe(0);
      const said = communitiesRun.stdout;
      // Three pages of members (3, 3 and 1), each member once, in key order.
      const paged = said
        .split('\n')
        .filter((line) => line.startsWith('[{"key":"m-'))
        .flatMap((line) => (JSON.parse(line) as { key: string }[]).map((m) => m.key));
      expect(paged).toEqual(['m-001', 'm-002', 'm-003', 'm-004', 'm-005', 'm-006', 'm-007']);
      expect(said).toMatch(/\[\{"key":"(mt-rossi|mt-charging-hub)","owner_key":"m-00[26]"\},\{"key":"(mt-rossi|mt-charging-hub)"/);
      expect(said).toContain('the CLI and the API export the same bytes');
      expect(said).toContain('m-006 kept its id, now active');
      expect(said).toContain('export, import, export: the same bytes');
      const registry = { 'x-api-key': /^COMMUNITY_KEY=(.*)$/m.exec(said)?.[1] ?? '' };
      const member = (await (await fetch(`${server.url}/admin/communities/solar-commons/members/m-001`, { headers: registry })).json()) as {
        area: string;
      };
      expect(member.area).toBe('old-town');
      // The refused bundle: every wrong area, each by document, path, line and column.
      const refused = await fetch(`${server.url}/admin/import/yaml`, {
        method: 'POST',
        headers: { ...registry, 'content-type': 'application/yaml' },
        body: readFileSync(join(root, 'solar-commons.broken.yaml')),
      });
      expect(refused.status).toBe(422);
      const { detail } = (await refused.json()) as { detail: { loc: string[]; doc: number; line: number; column: number }[] };
      expect(detail.map((d) => [d.loc.join('.'), d.doc, d.column])).toEqual(
        ['m-001', 'm-002', 'm-003', 'm-007'].map((m) => [`body.members.${m}.area`, 0, 11]),
      );
      expect(detail.every((d) => d.line > 1)).toBe(true);

      // The plants walkthrough, on the same server: a plant provisioned, run by the simulator, commanded, rotated, suspended, revoked.
      const plantsScript = withErrorChecks(walkthroughScript('plants-walkthrough', 7).replaceAll('http://127.0.0.1:3000', server.url));
      const plantsRun = await runScript(
        `${strictCurl}${plantsScript}\necho "PLANT=$PLANT"\necho "PLANT_KEY=$KEY"\necho "TOKEN=$TOKEN"\necho "NODE=$NODE"`,
        env,
        root,
      );
      expect(plantsRun.code, `${plantsRun.stdout}\n${plantsRun.stderr}`).toBe(0);
      const out = plantsRun.stdout;
      const plantValue = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(out)?.[1] ?? '';
      const plantHeaders = { 'x-api-key': plantValue('PLANT_KEY') };
      const plantUrl = `${server.url}/api/v1/plants/${plantValue('PLANT')}`;
      // The suspended plant was refused, the reactivated one sent its three readings, the revoked one was refused.
      expect(out).toContain('the simulator stopped: the gateway refuses the suspended plant');
      expect(out).toMatch(/telemetry: +3 made, 3 acknowledged/);
      expect(out).toContain('refused: the plant is revoked');
      expect(plantsRun.stderr).toMatch(/helio: UNAUTHORIZED: the gateway refused plant/);
      const simulatorLog = readFileSync(join(root, 'simulator.log'), 'utf8');
      expect(simulatorLog).toContain('Signing with the new HMAC secret from the package');
      expect(simulatorLog).toMatch(/giving up after 1 refusal in a row/);

      const plant = (await (await fetch(plantUrl, { headers: plantHeaders })).json()) as Record<string, unknown>;
      expect(plant).toMatchObject({ lifecycleStatus: 'REVOKED', status: 'OFFLINE', droppedMessageCount: 0 });
      expect(plant['activatedAt']).not.toBeNull();
      const history = (await (await fetch(`${plantUrl}/commands`, { headers: plantHeaders })).json()) as {
        data: {
          command: string;
          state: string;
          responseStatus: string | null;
          response: unknown;
          sentAt: string | null;
          ackedAt: string | null;
        }[];
      };
      // One set_power_limit despite the repeated Idempotency-Key; each answered by the simulated plant.
      expect(history.data.map((c) => [c.command, c.state, c.responseStatus]).sort()).toEqual([
        ['open_pod_bay_doors', 'declined', 'declined'],
        ['ping', 'done', 'done'],
        ['set_power_limit', 'done', 'done'],
      ]);
      expect(history.data.find((c) => c.command === 'set_power_limit')!.response).toEqual({ powerLimitW: 2500 });
      for (const c of history.data) expect(c.sentAt !== null && c.ackedAt !== null).toBe(true);
      const energy = (await (await fetch(`${plantUrl}/energy/today`, { headers: plantHeaders })).json()) as { produced: number };
      expect(energy.produced).toBeGreaterThan(0);
      const latest = (await (
        await fetch(`${server.url}/v3/components/${plantValue('NODE')}/data?fields=W_avg,Wh_sum&gran=latest`, {
          headers: { authorization: `Bearer ${plantValue('TOKEN')}` },
        })
      ).json()) as { statusCode: number; data: { W_avg?: number }[] };
      expect(latest.statusCode).toBe(200);
      expect(latest.data[0]!.W_avg).toBeGreaterThan(0);
      // The simulated inverter's rating is 5 kW.
      expect(latest.data[0]!.W_avg).toBeLessThanOrEqual(5000);
    }, 600_000);
  }
});
