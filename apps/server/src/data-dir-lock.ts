// PGlite has no lock of its own: two processes opening one data directory
// corrupt it. A lock file created with O_EXCL, holding the owner's pid, keeps
// a CLI command off a directory a running server (or another command) uses.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE_NAME = 'helio.lock';

/** A lock file still being written by its owner is left alone for this long. */
const UNREADABLE_GRACE_MS = 5_000;

interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

export class DataDirLockedError extends Error {
  readonly lockPath: string;
  readonly holder: LockHolder | undefined;

  constructor(dataDir: string, lockPath: string, holder: LockHolder | undefined) {
    const who = holder
      ? `process ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`} (since ${holder.since})`
      : 'another process';
    super(
      `the data directory ${dataDir} is in use by ${who}, probably a running Helio server: ` +
        'PGlite allows one process per data directory. Stop that process first, or run Helio on PostgreSQL ' +
        `(DATABASE_URL) to manage it while it serves. If no Helio process is running, delete ${lockPath}.`,
    );
    this.name = 'DataDirLockedError';
    this.lockPath = lockPath;
    this.holder = holder;
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file (if it is still ours). Safe to call twice. */
  release(): void;
}

// Locks this process holds. A lock file naming our own pid that is not in
// here was left by an earlier process that had the same pid (a restarted
// container is pid 1 again), so it is stale.
const heldHere = new Set<string>();

function readHolder(path: string): { holder: LockHolder | undefined; raw: string } | undefined {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0) {
      return { holder: { pid: parsed.pid, host: String(parsed.host ?? ''), since: String(parsed.since ?? '?') }, raw };
    }
  } catch {
    // fall through: unreadable
  }
  return { holder: undefined, raw };
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(path: string, holder: LockHolder | undefined): boolean {
  if (!holder) {
    // Empty or garbled: either a crash mid-write (stale) or an owner writing right now.
    try {
      return Date.now() - statSync(path).mtimeMs > UNREADABLE_GRACE_MS;
    } catch {
      return true;
    }
  }
  // A pid on another host cannot be checked from here: assume it is alive.
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return !heldHere.has(path);
  return !processIsAlive(holder.pid);
}

function unlinkIfUnchanged(path: string, raw: string): void {
  // Re-read just before removing, so a lock another process has just taken is not removed by mistake.
  const now = readHolder(path);
  if (now && now.raw === raw) {
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/**
 * Takes the lock of a data directory, or throws DataDirLockedError naming the
 * process that holds it. A lock left by a dead process is taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  const content = `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`;
  let holder: LockHolder | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const found = readHolder(path);
      if (!found) continue; // released between our open and read: try again
      holder = found.holder;
      if (!isStale(path, holder)) throw new DataDirLockedError(dataDir, path, holder);
      unlinkIfUnchanged(path, found.raw);
      continue;
    }
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    heldHere.add(path);
    return lockHandle(path, content);
  }
  throw new DataDirLockedError(dataDir, path, holder);
}

function lockHandle(path: string, content: string): DataDirLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    heldHere.delete(path);
    unlinkIfUnchanged(path, content);
  };
  // Also on process.exit() without a close; a crash leaves a stale lock, which the next process takes over.
  process.on('exit', release);
  return { path, release };
}
