import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from './config.js';

describe('configuration', () => {
  it('layers defaults, then the file, then the environment, then overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helio-config-'));
    const file = join(dir, 'helio.yaml');
    writeFileSync(file, 'port: 4000\nhost: 0.0.0.0\nlogLevel: debug\n');
    const config = loadConfig({ file, env: { HELIO_PORT: '5000' }, overrides: { logLevel: 'warn' } });
    expect(config).toMatchObject({ port: 5000, host: '0.0.0.0', logLevel: 'warn', dataDir: '.helio-data' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every invalid setting in one clear error', () => {
    expect(() => loadConfig({ env: { HELIO_PORT: 'eighty', HELIO_SECRET: 'short' } })).toThrow(ConfigError);
    try {
      loadConfig({ env: { HELIO_PORT: 'eighty', HELIO_SECRET: 'short' } });
    } catch (err) {
      expect((err as Error).message).toMatch(/port/);
      expect((err as Error).message).toMatch(/secret: must be at least 32 characters/);
    }
  });

  it('rejects unknown keys in the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helio-config-'));
    const file = join(dir, 'helio.yaml');
    writeFileSync(file, 'prot: 4000\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/prot/);
  });

  it('masks secrets and database passwords when described for logs', () => {
    const config = loadConfig({
      env: { DATABASE_URL: 'postgres://helio:hunter2@db.internal:5432/helio', HELIO_SECRET: 'x'.repeat(40) },
    });
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain('hunter2');
    expect(described).not.toContain('x'.repeat(40));
    expect(described).toContain('db.internal');
  });
});
