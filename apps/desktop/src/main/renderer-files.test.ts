import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRendererFile } from './renderer-files.js';

const root = mkdtempSync(join(tmpdir(), 'helio-renderer-'));
const dir = join(root, 'renderer');
mkdirSync(join(dir, 'assets'), { recursive: true });
writeFileSync(join(dir, 'index.html'), '<!doctype html>');
writeFileSync(join(dir, 'assets', 'app.js'), '');
writeFileSync(join(root, 'secret.txt'), 'secret');

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('renderer files', () => {
  it('serves the page and its assets with their media types', () => {
    expect(resolveRendererFile(dir, '/')).toEqual({ path: join(dir, 'index.html'), mediaType: 'text/html; charset=utf-8' });
    expect(resolveRendererFile(dir, '/assets/app.js')?.mediaType).toBe('text/javascript; charset=utf-8');
  });

  it('never serves a file outside the build directory', () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/%00.js']) {
      expect(resolveRendererFile(dir, path), path).toBeUndefined();
    }
  });

  it('answers a missing asset with nothing rather than the page', () => {
    expect(resolveRendererFile(dir, '/assets/missing.js')).toBeUndefined();
  });
});
