import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSecret } from './secret.js';

describe('server secret', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'helio-secret-')), 'data');
  });
  afterEach(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }));

  it('uses the configured secret and writes no file', () => {
    const secret = 's'.repeat(40);
    expect(resolveSecret({ secret, dataDir })).toBe(secret);
    expect(() => statSync(join(dataDir, 'secret.key'))).toThrow();
  });

  it('generates a secret once, readable by the owner only, and keeps it across restarts', () => {
    const first = resolveSecret({ dataDir });
    expect(first.length).toBeGreaterThanOrEqual(32);
    const path = join(dataDir, 'secret.key');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(first);
    expect(resolveSecret({ dataDir })).toBe(first);
  });
});
