// Test support: the real `helio` launcher (bin/helio.js) in a child process,
// and the same command line run by its dispatcher in this process, for tests
// of what a command does rather than of the process around it (a spawn costs
// most of a second of start-up and compiling).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';

export const helioBin = fileURLToPath(new URL('../../bin/helio.js', import.meta.url));

/** The parent's environment without Helio settings, so only what a test passes counts. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([k]) => !k.startsWith('HELIO_') && !['DATABASE_URL', 'HOST', 'PORT', 'LOG_LEVEL'].includes(k),
  );
  return { ...Object.fromEntries(inherited), ...extra };
}

export interface HelioRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `helio args...` to completion from `cwd`, feeding it `input` on stdin. */
export function helio(cwd: string, args: readonly string[], input?: string | Uint8Array): Promise<HelioRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [helioBin, ...args], { cwd, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/**
 * Runs `helio args...` as `helio()` does, but through `run` in this process:
 * the same environment, working directory, stdin and captured output, and the
 * status the launcher would exit with. Not for `serve`.
 */
export async function helioInProcess(cwd: string, args: readonly string[], input?: string): Promise<HelioRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    env: childEnv(),
    stdout: (text: string) => void (stdout += text),
    stderr: (text: string) => void (stderr += text),
    readStdin: () => Promise.resolve(input ?? ''),
  };
  // The configuration looks for ./helio.yaml: in the directory the command runs from.
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const status = await run(args, io);
    if (status === undefined) throw new Error(`helio ${args.join(' ')} kept running: spawn it with startHelio`);
    return { status, stdout, stderr };
  } finally {
    process.chdir(previous);
  }
}

/** Starts a long-running `helio args...` (serve); the caller stops it. */
export function startHelio(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [helioBin, ...args], { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}
