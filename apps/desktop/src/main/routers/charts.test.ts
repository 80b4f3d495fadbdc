import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { organisations, sites, systemPrincipal } from '@helio/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { seedDataDir } from '../../testing.js';
import type { SiteChart } from '../chart-cache.js';
import { createDesktopContext, desktopRouter } from '../router.js';
import { openDesktopServices, type DesktopServices } from '../services.js';
import { ServerRefusedError, ServerUnreachableError } from '../sync/server-connection.js';
import { CHART_DAYS } from './charts.js';

const SERVER = 'https://helio.example.com';
const chart: SiteChart = {
  timezone: 'Europe/Berlin',
  fetchedAt: '2025-06-02T10:05:00.000Z',
  daily: [
    { ts: '2025-06-01T00:00:00+02:00', Wh_sum: 41250, Wh_e_sum: 40000 },
    { ts: '2025-06-02T00:00:00+02:00', Wh_sum: 12000, Wh_e_sum: 40000 },
  ],
  today: [{ ts: '2025-06-02T12:00:00+02:00', W_avg: 5120.5, W_m_avg: 5300 }],
};

let dir: string;
let services: DesktopServices;
let now: Date;
let siteId: string;
const fetchSiteChart = vi.fn<(siteId: string, days: number) => Promise<unknown>>();
const caller = () => desktopRouter.createCaller(createDesktopContext(services));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'helio-desktop-charts-'));
  await seedDataDir(dir);
  now = new Date('2025-06-02T10:05:00.000Z');
  services = await openDesktopServices({ dataDir: dir, clock: { now: () => now } });
  siteId = (await caller().sites.create({ siteName: 'Chart Farm' })).id;
  // Signed in to a server: the stub stands in for the line to it.
  services.sessions.replace({ ...services.sessions.current()!, source: 'server', serverUrl: SERVER });
  services.sync.fetchSiteChart = fetchSiteChart;
});

afterAll(async () => {
  await services?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  fetchSiteChart.mockReset();
  services.chartCache.remove(siteId);
  services.sessions.replace({ ...services.sessions.current()!, serverUrl: SERVER });
});

describe('site charts on the desktop', () => {
  it('fetches 30 days from the server, keeps them, and answers them again offline with when they were fetched', async () => {
    fetchSiteChart.mockResolvedValue(chart);
    expect(await caller().charts.site({ siteId })).toEqual({ chart, fetchedAt: '2025-06-02T10:05:00.000Z', stale: null });
    expect(fetchSiteChart).toHaveBeenCalledWith(siteId, CHART_DAYS);
    expect(services.chartCache.read(siteId)).toMatchObject({ serverUrl: SERVER, chart });

    now = new Date('2025-06-02T11:30:00.000Z');
    fetchSiteChart.mockRejectedValue(new ServerUnreachableError(SERVER, new Error('ECONNREFUSED')));
    const offline = await caller().charts.site({ siteId });
    expect(offline).toEqual({
      chart,
      fetchedAt: '2025-06-02T10:05:00.000Z',
      stale: { reason: 'OFFLINE', message: `cannot reach ${SERVER}: ECONNREFUSED` },
    });
  });

  it('answers from what it kept while that is younger than asked, without asking the server', async () => {
    fetchSiteChart.mockResolvedValue(chart);
    await caller().charts.site({ siteId });
    now = new Date(now.getTime() + 30_000);
    expect(await caller().charts.site({ siteId, maxAgeSeconds: 60 })).toMatchObject({ chart, stale: null });
    expect(fetchSiteChart).toHaveBeenCalledTimes(1);
    now = new Date(now.getTime() + 31_000);
    const later = { ...chart, today: [] };
    fetchSiteChart.mockResolvedValue(later);
    expect(await caller().charts.site({ siteId, maxAgeSeconds: 60 })).toEqual({ chart: later, fetchedAt: now.toISOString(), stale: null });
    expect(fetchSiteChart).toHaveBeenCalledTimes(2);
  });

  it('says when the server does not have the site yet, and keeps nothing', async () => {
    fetchSiteChart.mockRejectedValue(new ServerRefusedError('NOT_FOUND', `site ${siteId} not found`));
    expect(await caller().charts.site({ siteId })).toEqual({
      chart: null,
      fetchedAt: null,
      stale: { reason: 'REFUSED', message: 'the server does not have this site yet: its charts appear once it has synced' },
    });
    expect(services.chartCache.read(siteId)).toBeUndefined();
  });

  it('keeps the last good aggregates when the server answers something it cannot read', async () => {
    fetchSiteChart.mockResolvedValue(chart);
    await caller().charts.site({ siteId });
    fetchSiteChart.mockResolvedValue({ timezone: 'Europe/Berlin', daily: 'none' });
    const answer = await caller().charts.site({ siteId });
    expect(answer.chart).toEqual(chart);
    expect(answer.stale?.reason).toBe('REFUSED');
    expect(services.chartCache.read(siteId)?.chart).toEqual(chart);
  });

  it('never shows another server’s aggregates after signing in elsewhere', async () => {
    fetchSiteChart.mockResolvedValue(chart);
    await caller().charts.site({ siteId });
    services.sessions.replace({ ...services.sessions.current()!, serverUrl: 'https://other.example.com' });
    fetchSiteChart.mockRejectedValue(new ServerUnreachableError('https://other.example.com', new Error('ENOTFOUND')));
    expect(await caller().charts.site({ siteId })).toMatchObject({ chart: null, fetchedAt: null, stale: { reason: 'OFFLINE' } });
  });

  it('answers not found for a site of another organisation, asking the server nothing', async () => {
    const system = { db: services.db, clock: services.clock, ids: services.ids, principal: systemPrincipal };
    const other = await organisations.createOrganisation(system, { name: 'Not mine' });
    const theirs = await sites.createSite(system, { organisationId: other.id, siteName: 'Their site' });
    await expect(caller().charts.site({ siteId: theirs.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(fetchSiteChart).not.toHaveBeenCalled();
  });

  it('answers recent aggregates without asking, but says offline while the line is down', async () => {
    fetchSiteChart.mockResolvedValue(chart);
    await caller().charts.site({ siteId });
    Object.defineProperty(services.sync, 'lineState', { configurable: true, get: () => 'offline' });
    try {
      expect(await caller().charts.site({ siteId, maxAgeSeconds: 60 })).toMatchObject({
        chart,
        stale: { reason: 'OFFLINE', message: `cannot reach ${SERVER}` },
      });
      expect(fetchSiteChart).toHaveBeenCalledTimes(1);
    } finally {
      delete (services.sync as unknown as Record<string, unknown>)['lineState'];
    }
  });
});
