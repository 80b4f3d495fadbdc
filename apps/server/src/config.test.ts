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

  describe('the MQTT gateway settings', () => {
    it('default to ports 1884 and 8884 on the server host, enabled, with the contract limits', () => {
      const config = loadConfig({ env: {} });
      expect(config.mqtt).toEqual({
        enabled: true,
        host: '127.0.0.1',
        port: 1884,
        tlsPort: 8884,
        publicHost: '127.0.0.1',
        certificateValidityDays: 365,
        commandTtlSeconds: 86_400,
        maxPayloadBytes: 65_536,
        authFailureDelayMs: 250,
        connectsPerSource: 16,
        heartbeatIntervalMs: 60_000,
      });
      expect(Object.isFrozen(config.mqtt)).toBe(true);
    });

    it('take the server host, and tell devices "localhost" when it listens on every interface', () => {
      expect(loadConfig({ env: { HELIO_HOST: '10.1.2.3' } }).mqtt).toMatchObject({ host: '10.1.2.3', publicHost: '10.1.2.3' });
      expect(loadConfig({ env: { HELIO_HOST: '0.0.0.0' } }).mqtt).toMatchObject({ host: '0.0.0.0', publicHost: 'localhost' });
      expect(loadConfig({ env: { HELIO_MQTT_HOST: '::', HELIO_MQTT_PUBLIC_HOST: 'mqtt.example.com' } }).mqtt).toMatchObject({
        host: '::',
        publicHost: 'mqtt.example.com',
      });
    });

    it('merge one by one: nested in the file, flat in the environment, then overrides', () => {
      const dir = mkdtempSync(join(tmpdir(), 'helio-config-'));
      const file = join(dir, 'helio.yaml');
      writeFileSync(file, 'mqtt:\n  port: 2000\n  tlsPort: 2001\n  commandTtlSeconds: 60\n  enabled: false\n');
      const config = loadConfig({
        file,
        env: { HELIO_MQTTS_PORT: '0', HELIO_MQTT_REDIS_URL: 'redis://127.0.0.1:6379/3', HELIO_MQTT_ENABLED: 'yes' },
        overrides: { mqtt: { maxPayloadBytes: 1024 } },
      });
      expect(config.mqtt).toMatchObject({
        port: 2000,
        tlsPort: 0,
        commandTtlSeconds: 60,
        enabled: true,
        redisUrl: 'redis://127.0.0.1:6379/3',
        maxPayloadBytes: 1024,
      });
      expect(loadConfig({ env: { HELIO_MQTT_ENABLED: 'false' } }).mqtt.enabled).toBe(false);
      expect(loadConfig({ env: { HELIO_MQTT_ENABLED: '0' } }).mqtt.enabled).toBe(false);
    });

    it('name the nested setting that is wrong, and refuse unknown ones', () => {
      expect(() => loadConfig({ env: { HELIO_MQTT_PORT: '70000' } })).toThrow(/mqtt\.port/);
      expect(() => loadConfig({ env: { HELIO_MQTT_ENABLED: 'maybe' } })).toThrow(/mqtt\.enabled/);
      expect(() => loadConfig({ env: { HELIO_MQTT_REDIS_URL: 'http://redis' } })).toThrow(/mqtt\.redisUrl: must be a redis/);
      const dir = mkdtempSync(join(tmpdir(), 'helio-config-'));
      const file = join(dir, 'helio.yaml');
      writeFileSync(file, 'mqtt:\n  prot: 1\n');
      expect(() => loadConfig({ file, env: {} })).toThrow(/prot/);
      writeFileSync(file, 'mqtt: 1884\n');
      expect(() => loadConfig({ file, env: {} })).toThrow(/mqtt/);
    });

    it('mask the Redis password and the CA key passphrase when described for logs', () => {
      const config = loadConfig({
        env: { HELIO_MQTT_REDIS_URL: 'redis://:s3cr3t-redis@cache.internal:6379/0', HELIO_MQTT_CA_KEY_PASSPHRASE: 'ca-passphrase-42' },
      });
      const described = JSON.stringify(describeConfig(config));
      expect(described).not.toContain('s3cr3t-redis');
      expect(described).not.toContain('ca-passphrase-42');
      expect(described).toContain('cache.internal');
      expect(config.mqtt.redisUrl).toContain('s3cr3t-redis');
    });
  });
});
