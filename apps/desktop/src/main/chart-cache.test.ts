import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chartCacheIn, type CachedChart } from './chart-cache.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'helio-chart-cache-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const siteId = '0190f5a2-0000-7000-8000-000000000001';
const entry: CachedChart = {
  siteId,
  serverUrl: 'https://helio.example.com',
  fetchedAt: '2025-06-02T12:05:00.000Z',
  chart: {
    timezone: 'Europe/Berlin',
    daily: [{ ts: '2025-06-01T00:00:00+02:00', Wh_sum: 41250, Wh_e_sum: 40000 }],
    today: [{ ts: '2025-06-02T14:00:00+02:00', W_avg: 5120.5, W_m_avg: null }],
  },
};

describe('chart cache', () => {
  it('gives back what was kept, after the app restarts', () => {
    const dir = tempDir();
    chartCacheIn(dir).write(entry);
    expect(chartCacheIn(dir).read(siteId)).toEqual(entry);
    // Written whole under its final name: no temporary file is left beside it.
    expect(readdirSync(dir)).toEqual([`${siteId}.json`]);
  });

  it('replaces the kept aggregates with newer ones', () => {
    const cache = chartCacheIn(tempDir());
    cache.write(entry);
    const newer = { ...entry, fetchedAt: '2025-06-02T12:10:00.000Z', chart: { ...entry.chart, today: [] } };
    cache.write(newer);
    expect(cache.read(siteId)).toEqual(newer);
  });

  it('treats a torn or foreign file as absent, so the charts are fetched again', () => {
    const dir = tempDir();
    const cache = chartCacheIn(dir);
    const file = join(dir, `${siteId}.json`);
    writeFileSync(file, '{"version":1,"siteId":"');
    expect(cache.read(siteId)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ version: 2, ...entry }));
    expect(cache.read(siteId)).toBeUndefined();
    // Another site's aggregates under this site's name are never shown as this site's.
    writeFileSync(file, JSON.stringify({ version: 1, ...entry, siteId: '0190f5a2-0000-7000-8000-000000000002' }));
    expect(cache.read(siteId)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ version: 1, ...entry, chart: { ...entry.chart, daily: [{ ts: 'x', Wh_sum: 'a lot' }] } }));
    expect(cache.read(siteId)).toBeUndefined();
  });

  it('answers nothing for a site it never kept, and forgets a removed one', () => {
    const dir = tempDir();
    const cache = chartCacheIn(dir);
    expect(cache.read(siteId)).toBeUndefined();
    cache.write(entry);
    cache.remove(siteId);
    expect(cache.read(siteId)).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a name that is not a site id, so no file outside its directory is touched', () => {
    const dir = tempDir();
    const cache = chartCacheIn(join(dir, 'cache'));
    writeFileSync(join(dir, 'secret.json'), 'kept');
    expect(() => cache.read('../secret')).toThrow(/not a site id/);
    expect(() => cache.write({ ...entry, siteId: '../secret' })).toThrow(/not a site id/);
    expect(readFileSync(join(dir, 'secret.json'), 'utf8')).toBe('kept');
  });
});
