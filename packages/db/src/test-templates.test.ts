import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withoutDirectories } from './test-templates.js';

describe('withoutDirectories', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** A ustar archive of a small tree, made by the system's tar, with the sizes of its files. */
  function archive(): Uint8Array {
    dir = mkdtempSync(join(tmpdir(), 'helio-tar-'));
    const tree = join(dir, 'tree');
    for (const d of ['base/1', 'base/10', 'base/5', 'pg_wal']) mkdirSync(join(tree, d), { recursive: true });
    writeFileSync(join(tree, 'base/1/1255'), 'x'.repeat(1000));
    writeFileSync(join(tree, 'base/10/1255'), 'y'.repeat(513));
    writeFileSync(join(tree, 'base/5/1255'), 'z'.repeat(512));
    writeFileSync(join(tree, 'pg_wal/000000010000000000000001'), '');
    writeFileSync(join(tree, 'PG_VERSION'), '17\n');
    execFileSync('tar', ['--format=ustar', '-cf', join(dir, 'a.tar'), '-C', tree, '.']);
    return readFileSync(join(dir, 'a.tar'));
  }

  const list = (tar: Uint8Array) => {
    writeFileSync(join(dir!, 'b.tar'), tar);
    return execFileSync('tar', ['-tvf', join(dir!, 'b.tar')], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => `${line.split(/\s+/)[2]} ${line.split(/\s+/).at(-1)}`)
      .sort();
  };

  it('leaves out a directory and everything under it, and keeps the rest byte for byte', () => {
    const tar = archive();
    const before = list(tar);
    const after = list(withoutDirectories(tar, ['./base/1']));
    expect(after).toEqual(before.filter((entry) => !/ \.\/base\/1\/(1255)?$/.test(entry)));
    // base/10 shares the prefix and stays; tar reads the contents back whole.
    expect(after).toContain('513 ./base/10/1255');
    expect(after).toContain('3 ./PG_VERSION');
    expect(after).not.toContain('1000 ./base/1/1255');
    execFileSync('tar', ['-xf', join(dir!, 'b.tar'), '-C', dir!]);
    expect(readFileSync(join(dir!, 'base/10/1255'), 'utf8')).toBe('y'.repeat(513));
  });

  it('gives back an archive with nothing to leave out unchanged', () => {
    const tar = archive();
    expect(list(withoutDirectories(tar, ['./base/7']))).toEqual(list(tar));
  });
});
