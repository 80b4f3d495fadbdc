// A site's chart aggregates as last fetched from the server, kept so that the
// site page still shows its charts offline. One JSON file per site, named by
// its id, written whole (see writeFileAtomically); a file that cannot be read
// back (torn by an old crash, written by another version) counts as absent
// and is fetched again.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomically } from './files.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const value = z.number().finite().nullable().optional();

/**
 * The server's `monitoring.siteChart` answer, as far as the desktop reads it:
 * daily energy with the expected energy beside it, and today's power with
 * the modeled power beside it, each point's `ts` with the site zone's offset.
 * Checked when it arrives and when it is read back from the disk.
 */
export const siteChartSchema = z.object({
  timezone: z.string().min(1),
  fetchedAt: z.string().optional(),
  daily: z.array(z.object({ ts: z.string(), Wh_sum: value, Wh_e_sum: value })),
  today: z.array(z.object({ ts: z.string(), W_avg: value, W_m_avg: value })),
});
export type SiteChart = z.infer<typeof siteChartSchema>;

const cachedChartSchema = z.object({
  version: z.literal(1),
  siteId: z.string(),
  /** The server it came from: another server's numbers are never shown as this one's. */
  serverUrl: z.string(),
  /** When this laptop received it (its own clock). */
  fetchedAt: z.iso.datetime(),
  chart: siteChartSchema,
});
export type CachedChart = Omit<z.infer<typeof cachedChartSchema>, 'version'>;

export interface ChartCache {
  read(siteId: string): CachedChart | undefined;
  write(entry: CachedChart): void;
  remove(siteId: string): void;
}

export function chartCacheIn(dir: string): ChartCache {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fileOf = (siteId: string) => {
    // The id becomes a file name: only a UUID may, so no path can escape the directory.
    if (!UUID.test(siteId)) throw new Error(`not a site id: ${JSON.stringify(siteId)}`);
    return join(dir, `${siteId}.json`);
  };
  return {
    read(siteId) {
      const bytes = readFileIfExists(fileOf(siteId));
      if (!bytes) return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        return undefined;
      }
      const checked = cachedChartSchema.safeParse(parsed);
      if (!checked.success || checked.data.siteId !== siteId) return undefined;
      const { version: _, ...entry } = checked.data;
      return entry;
    },
    write(entry) {
      writeFileAtomically(fileOf(entry.siteId), JSON.stringify({ version: 1, ...entry }));
    },
    remove: (siteId) => rmSync(fileOf(siteId), { force: true }),
  };
}
