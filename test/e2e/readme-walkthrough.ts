// Runs the README's walkthroughs command for command against a freshly
// started `helio serve` (`npm start`), on each engine, so the README stays
// true. Two test files share them out (readme-*.test.ts): each walkthrough
// writes its own files in the repository root, so the files run side by side.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterEach, describe, expect, it } from 'vitest';

export const root = resolve(import.meta.dirname, '../..');
const launcher = join(root, 'apps/server/bin/helio.js');

/** The shell blocks between a walkthrough's markers, in order. */
export function walkthroughScript(
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
export function withErrorChecks(script: string): string {
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

export interface Server {
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

export function runScript(
  script: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

/** Any HTTP error status fails a walkthrough, though the README's own curls do not say --fail. */
export const strictCurl = 'curl() { command curl --fail-with-body "$@"; }\n';

/**
 * Declares, on each engine, a test that starts `helio serve` as `npm start`
 * does (a fresh data directory, or a fresh PostgreSQL database) and runs
 * `walk` against it; the `files` the walkthroughs write in the repository
 * root are removed afterwards.
 */
export function describeWalkthroughs(
  title: string,
  files: readonly string[],
  walk: (server: Server, env: NodeJS.ProcessEnv) => Promise<void>,
): void {
  describe(title, () => {
    let server: Server | undefined;
    let dataDir: string | undefined;
    let db: TestDb | undefined;
    afterEach(async () => {
      await stop(server);
      server = undefined;
      await db?.dispose();
      db = undefined;
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      for (const f of files) rmSync(join(root, f), { force: true });
    });

    for (const engine of testEngines) {
      it(`work as written against npm start on ${engine}`, async () => {
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
        await walk(server, env);
      }, 600_000);
    }
  });
}
