import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE_NAME, lockDataDir, type LockRefusal } from './data-dir-lock.js';

/** A pid that was alive a moment ago and is not now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

describe('data directory lock', () => {
  let dir: string;
  let lockPath: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'helio-lock-'));
    lockPath = join(dir, LOCK_FILE_NAME);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const writeLock = (holder: object) => writeFileSync(lockPath, `${JSON.stringify(holder)}\n`);

  it('writes this process id into the lock file and removes it on release', () => {
    const lock = lockDataDir(dir);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
    lock.release(); // twice is harmless
  });

  it('refuses a directory another live process holds, naming that process', () => {
    const parent = process.ppid; // alive for as long as this test runs
    writeLock({ pid: parent, host: hostname(), since: '2026-01-01T00:00:00.000Z' });
    const err = (() => {
      try {
        lockDataDir(dir);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toContain(`in use by process ${parent}`);
    expect((err as Error).message).toContain(lockPath);
    expect(readFileSync(lockPath, 'utf8')).toContain(String(parent)); // left alone
  });

  it('refuses a second lock on the same directory from this process', () => {
    const lock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    lock.release();
    lockDataDir(dir).release();
  });

  it('takes over a lock left by a process that has died', () => {
    writeLock({ pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' });
    const lock = lockDataDir(dir);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock with its own pid left by an earlier process (a restarted container)', () => {
    writeLock({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' });
    lockDataDir(dir).release();
  });

  it('treats a lock from another host as held, since its process cannot be checked', () => {
    writeLock({ pid: deadPid(), host: `not-${hostname()}`, since: '2026-01-01T00:00:00.000Z' });
    expect(() => lockDataDir(dir)).toThrow(/on not-/);
  });

  it('takes over a dead process’s lock written under another host name when the directory is local only (a laptop renamed)', () => {
    writeLock({ pid: deadPid(), host: `not-${hostname()}`, since: '2026-01-01T00:00:00.000Z' });
    const lock = lockDataDir(dir, { localOnly: true });
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    lock.release();
  });

  it('still refuses a live process’s lock written under another host name when the directory is local only', () => {
    writeLock({ pid: process.ppid, host: `not-${hostname()}`, since: '2026-01-01T00:00:00.000Z' });
    expect(() => lockDataDir(dir, { localOnly: true })).toThrow(DataDirLockedError);
  });

  it("words the refusal as the caller's app asks, naming the holder", () => {
    const parent = process.ppid;
    writeLock({ pid: parent, host: hostname(), since: '2026-01-01T00:00:00.000Z' });
    let seen: LockRefusal | undefined;
    const message = (refusal: LockRefusal) => {
      seen = refusal;
      return `Helio is already open in ${refusal.who}`;
    };
    expect(() => lockDataDir(dir, { message })).toThrow(`Helio is already open in process ${parent} (since 2026-01-01T00:00:00.000Z)`);
    expect(seen).toMatchObject({ dataDir: dir, lockPath, holder: { pid: parent, host: hostname() } });
  });

  it('leaves a garbled lock alone while it is fresh and takes it over once old', () => {
    writeFileSync(lockPath, '');
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockPath, old, old);
    lockDataDir(dir).release();
  });

  it('creates the data directory it locks', () => {
    const nested = join(dir, 'not', 'yet');
    const lock = lockDataDir(nested);
    expect(existsSync(join(nested, LOCK_FILE_NAME))).toBe(true);
    lock.release();
  });
});
