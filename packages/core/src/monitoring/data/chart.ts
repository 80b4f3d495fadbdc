// The desktop's site charts: daily energy beside expected energy for the
// last N local days, and today's power beside modeled power, in the site's
// zone, from the same queries as the data calls (rollups, never raw readings).
import { z } from 'zod';
import type { ServiceContext } from '../../context.js';
import { parseInput } from '../../validation.js';
import { parseShortName } from '../fields.js';
import { siteFields, sitesPresence } from './available.js';
import { loadSite } from './entities.js';
import { siteSeries } from './query.js';
import { addCalendar, localDayAt, wallToInstant } from './zones.js';

export const siteChartInput = z.strictObject({
  siteId: z.uuid(),
  /** How many local days the daily chart covers, today included. */
  days: z.int().min(1).max(90).default(30),
});

export interface SiteChart {
  /** The site's zone; every `ts` carries its offset. */
  timezone: string;
  /** When the server answered (ISO 8601 UTC). */
  fetchedAt: string;
  /** One point per local day, oldest first; `Wh_e_sum` only when the site has an expected table. */
  daily: { ts: string; Wh_sum: number | null; Wh_e_sum?: number | null }[];
  /** Today's 15-minute points; `W_m_avg` only when the site can be modeled. */
  today: { ts: string; W_avg: number | null; W_m_avg?: number | null }[];
}

const request = (...names: string[]) => names.map((shortName) => ({ shortName, ...parseShortName(shortName)! }));

export async function siteChart(ctx: ServiceContext, input: unknown): Promise<SiteChart> {
  const { siteId, days } = parseInput(siteChartInput, input);
  const site = await loadSite(ctx, siteId);
  const available = siteFields(site, (await sitesPresence(ctx.db, [site])).get(site.id)!);
  const has = (name: string) => available.some((a) => a.field.baseField === name);
  const now = ctx.clock.now();
  const today = localDayAt(site.timezone, now.getTime());
  const first = wallToInstant(site.timezone, addCalendar(today.wall, { days: -(days - 1) }));
  const withExpected = has('Wh_e');
  const withModel = has('W_m');
  const daily = await siteSeries(ctx, site, request('Wh_sum', ...(withExpected ? ['Wh_e_sum'] : [])), 'daily', first, today.end);
  const power = await siteSeries(ctx, site, request('W_avg', ...(withModel ? ['W_m_avg'] : [])), '15min', today.start, today.end);
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    timezone: site.timezone,
    fetchedAt: now.toISOString(),
    daily: daily.map((d) => ({ ts: d.ts, Wh_sum: num(d['Wh_sum']), ...(withExpected ? { Wh_e_sum: num(d['Wh_e_sum']) } : {}) })),
    today: power.map((d) => ({ ts: d.ts, W_avg: num(d['W_avg']), ...(withModel ? { W_m_avg: num(d['W_m_avg']) } : {}) })),
  };
}
