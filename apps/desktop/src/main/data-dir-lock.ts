// PGlite does not lock its data directory, and two processes writing one
// directory corrupt it. Electron's single-instance lock covers two copies of
// the app started by one user; this lock also covers the web host, a second
// profile pointing at the same directory, and tests.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_NAME = 'desktop.lock';

export class DataDirInUseError extends Error {
  readonly pid: number | undefined;

  constructor(dataDir: string, pid: number | undefined) {
    super(
      `the Helio data directory ${dataDir} is already open in ${pid ? `process ${pid}` : 'another process'}; ` +
        'close the other Helio window (or web host) first',
    );
    this.name = 'DataDirInUseError';
    this.pid = pid;
  }
}

export interface DataDirLock {
  release(): void;
}

function ownerPid(lockPath: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(lockPath, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the directory for this process, or throws DataDirInUseError. A lock
 * whose process has exited (a crash) is taken over. A lock this very process
 * already holds is refused too: two opens in one process would also mean two
 * PGlite instances on one directory.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, LOCK_NAME);
  const body = JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = ownerPid(lockPath);
      // No readable pid: an owner is writing it right now, or it crashed mid-write. Refuse rather than guess.
      if (pid === undefined || pid === process.pid || isRunning(pid)) throw new DataDirInUseError(dataDir, pid);
      rmSync(lockPath, { force: true });
      continue;
    }
    try {
      writeSync(fd, body);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      if (ownerPid(lockPath) === process.pid) rmSync(lockPath, { force: true });
    };
    process.on('exit', release);
    return { release };
  }
  throw new DataDirInUseError(dataDir, ownerPid(lockPath));
}
