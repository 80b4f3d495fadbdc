// A site's charts on the desktop: the server's aggregates (never raw
// readings), fetched by the main process over the signed-in connection and
// kept in the chart cache, so the site page still shows them offline with
// the time they were fetched.
import { sites } from '@helio/core';
import { z } from 'zod';
import { siteChartSchema, type CachedChart, type SiteChart } from '../chart-cache.js';
import type { DesktopServices } from '../services.js';
import { ServerRefusedError, ServerUnreachableError, SignInRequiredError } from '../sync/server-connection.js';
import { router, sessionProcedure } from '../trpc.js';

/** The daily chart's span: the last 30 days, today included. */
export const CHART_DAYS = 30;

export type ChartStaleReason = 'OFFLINE' | 'SIGN_IN_REQUIRED' | 'NOT_CONNECTED' | 'REFUSED';

export interface SiteChartView {
  /** The aggregates to draw; null when this laptop has never had them. */
  chart: SiteChart | null;
  /** When this laptop received them from the server (null: never). */
  fetchedAt: string | null;
  /** Why they are not fresh from the server now; null when they are (or were fetched less than `maxAgeSeconds` ago). */
  stale: { reason: ChartStaleReason; message: string } | null;
}

export const siteChartInput = z.strictObject({
  siteId: z.uuid(),
  /** Kept aggregates younger than this are answered without asking the server (0: always ask). */
  maxAgeSeconds: z.number().int().min(0).max(86_400).default(0),
});

/** One request per site at a time: a page reloading while the last answer is on its way waits for it. */
const inFlight = new Map<string, Promise<SiteChartView>>();

export const chartsRouter = router({
  /**
   * A site's chart aggregates: fresh from the server when it can be reached
   * (and then kept), else as last kept, with why they are not fresh.
   */
  site: sessionProcedure.input(siteChartInput).query(async ({ ctx, input }): Promise<SiteChartView> => {
    // Only a site the session may read here, whatever the cache holds.
    await sites.getSite(ctx.service, input.siteId);
    const key = `${ctx.services.dataDir}\n${input.siteId}`;
    const running = inFlight.get(key);
    if (running) return running;
    const answer = siteChart(ctx.services, input.siteId, input.maxAgeSeconds).finally(() => inFlight.delete(key));
    inFlight.set(key, answer);
    return answer;
  }),
});

async function siteChart(services: DesktopServices, siteId: string, maxAgeSeconds: number): Promise<SiteChartView> {
  const session = services.sessions.current();
  const serverUrl = session?.source === 'server' ? session.serverUrl : null;
  const kept = keptFor(services.chartCache.read(siteId), serverUrl);
  const fromKept = (stale: SiteChartView['stale']): SiteChartView => ({
    chart: kept?.chart ?? null,
    fetchedAt: kept?.fetchedAt ?? null,
    stale,
  });
  if (!serverUrl) {
    return fromKept({ reason: 'NOT_CONNECTED', message: 'sign in to a Helio server to see them (they are drawn from its aggregates)' });
  }
  if (kept && services.clock.now().getTime() - Date.parse(kept.fetchedAt) < maxAgeSeconds * 1000) {
    // Recent enough not to ask again; still said to be offline when the line is down, so nobody waits for an update.
    const line = services.sync.lineState;
    if (line === 'offline') return fromKept({ reason: 'OFFLINE', message: `cannot reach ${serverUrl}` });
    if (line === 'signInRequired') return fromKept({ reason: 'SIGN_IN_REQUIRED', message: 'sign in again to update them' });
    return fromKept(null);
  }
  let answer: unknown;
  try {
    answer = await services.sync.fetchSiteChart(siteId, CHART_DAYS);
  } catch (err) {
    if (err instanceof ServerUnreachableError) return fromKept({ reason: 'OFFLINE', message: err.message });
    if (err instanceof SignInRequiredError) return fromKept({ reason: 'SIGN_IN_REQUIRED', message: err.message });
    if (err instanceof ServerRefusedError) {
      const message =
        err.code === 'NOT_FOUND'
          ? 'the server does not have this site yet: its charts appear once it has synced'
          : `the server refused the charts: ${err.message}`;
      return fromKept({ reason: 'REFUSED', message });
    }
    throw err;
  }
  const checked = siteChartSchema.safeParse(answer);
  if (!checked.success) {
    return fromKept({ reason: 'REFUSED', message: 'the server answered the charts in a form this version of Helio does not read' });
  }
  const entry: CachedChart = { siteId, serverUrl, fetchedAt: services.clock.now().toISOString(), chart: checked.data };
  services.chartCache.write(entry);
  return { chart: entry.chart, fetchedAt: entry.fetchedAt, stale: null };
}

/** Kept aggregates from the server signed in to now, if any. */
function keptFor(kept: CachedChart | undefined, serverUrl: string | null): CachedChart | undefined {
  return kept && serverUrl !== null && kept.serverUrl === serverUrl ? kept : undefined;
}
