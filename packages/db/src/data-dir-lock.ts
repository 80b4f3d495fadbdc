// PGlite has no lock of its own: two processes opening one data directory
// corrupt it. Every app that opens a PGlite directory (the server and its
// CLI, the desktop app and its web host) takes this lock first: a file
// created with O_EXCL, holding the owner's pid and host, so that the one
// refused can say who holds it, and a lock left by a crash is taken over.
// Not for core: choosing and guarding a data directory is the apps' business.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** One name for every app, so a server and a desktop pointed at one directory also keep off each other. */
export const LOCK_FILE_NAME = 'helio.lock';

/** A lock file still being written by its owner is left alone for this long. */
const UNREADABLE_GRACE_MS = 5_000;

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

export interface LockRefusal {
  dataDir: string;
  lockPath: string;
  /** Undefined when the lock file could not be read (being written, or garbled). */
  holder: LockHolder | undefined;
  /** The holder in words: `process 12 (since …)`, `process 12 on other-host (since …)` or `another process`. */
  who: string;
}

/** Each app tells its own users what to do about a refusal; this only has to name the holder. */
export type LockMessage = (refusal: LockRefusal) => string;

const defaultMessage: LockMessage = ({ dataDir, lockPath, who }) =>
  `the data directory ${dataDir} is in use by ${who}: PGlite allows one process per data directory. ` +
  `Stop that process first. If no Helio process is running, delete ${lockPath}.`;

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another process';
  return `process ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`} (since ${holder.since})`;
}

export class DataDirLockedError extends Error {
  readonly dataDir: string;
  readonly lockPath: string;
  readonly holder: LockHolder | undefined;

  constructor(dataDir: string, lockPath: string, holder: LockHolder | undefined, message: LockMessage = defaultMessage) {
    super(message({ dataDir, lockPath, holder, who: describeHolder(holder) }));
    this.name = 'DataDirLockedError';
    this.dataDir = dataDir;
    this.lockPath = lockPath;
    this.holder = holder;
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file (if it is still ours). Safe to call twice. */
  release(): void;
}

export interface LockDataDirOptions {
  /** The refusal's message; by default one that names the holder and the lock file. */
  message?: LockMessage;
  /**
   * The directory is only ever opened on this machine (a desktop's profile),
   * so a lock naming another host was written here under an earlier host name
   * (a laptop's name changes between networks): its pid is checked here like
   * any other. By default such a lock is held: a shared directory may be open
   * on another machine, whose pids cannot be checked from here.
   */
  localOnly?: boolean;
}

// Locks this process holds. A lock file naming our own pid that is not in
// here was left by an earlier process that had the same pid (a restarted
// container is pid 1 again), so it is stale. One that is in here is refused
// like any other: two opens in one process would be two PGlite instances on
// one directory as well.
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

function isStale(path: string, holder: LockHolder | undefined, localOnly: boolean): boolean {
  if (!holder) {
    // Empty or garbled: either a crash mid-write (stale) or an owner writing right now.
    try {
      return Date.now() - statSync(path).mtimeMs > UNREADABLE_GRACE_MS;
    } catch {
      return true;
    }
  }
  // A pid on another host cannot be checked from here: assume it is alive.
  if (holder.host !== hostname() && !localOnly) return false;
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
 * Takes the lock of a data directory (creating the directory), or throws
 * DataDirLockedError naming the process that holds it. A lock left by a dead
 * process, or garbled and older than a few seconds, is taken over.
 */
export function lockDataDir(directory: string, options: LockDataDirOptions = {}): DataDirLock {
  // Absolute, so one directory named two ways is still one lock in `heldHere`.
  const dataDir = resolve(directory);
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  const content = `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`;
  let holder: LockHolder | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      // Readable by others: a refused user's message names the holder. It holds nothing secret.
      fd = openSync(path, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const found = readHolder(path);
      if (!found) continue; // released between our open and read: try again
      holder = found.holder;
      if (!isStale(path, holder, options.localOnly ?? false)) throw new DataDirLockedError(dataDir, path, holder, options.message);
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
  throw new DataDirLockedError(dataDir, path, holder, options.message);
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
