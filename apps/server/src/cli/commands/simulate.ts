import type { simulate } from '@helio/core';
import { MAX_DAYS } from '@helio/core/basics';
import type { Command } from '../command.js';
import { asSystem } from '../context.js';
import { CliError } from '../errors.js';
import { fields } from '../output.js';
import { progressBar } from '../progress.js';

/** A whole number from the command line, or NaN for the service to refuse by name. */
const wholeNumber = (raw: string | undefined) => (raw === undefined ? undefined : /^\d+$/.test(raw) ? Number(raw) : Number.NaN);

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export const simulateCommand: Command = {
  path: ['simulate'],
  summary: 'Write simulated readings for a site (demo data)',
  description:
    'Gives a site without components a plausible tree (a generation meter with 2-3 inverters of 2 strings each, and a weather ' +
    'station), fills in its size, coordinates and zone when missing, and writes readings for every day from local midnight ' +
    '--days days ago until now: clear-sky irradiance at the site, passing clouds, temperatures, inverter clipping, and now ' +
    'and then an inverter outage with its Device Fault event. The same --seed writes the same values. With --live it then ' +
    'writes each interval as it ends, until Ctrl-C. See docs/cli.md for the model and its defaults.',
  options: {
    site: { type: 'string', value: 'id|locusId', required: true, description: "The site's id or its Locus id" },
    days: { type: 'string', value: 'n', description: `Whole days before today to write (0-${MAX_DAYS}; default 7)` },
    interval: { type: 'string', value: 'minutes', description: 'Minutes between readings: 1 or 5 (default 5)' },
    seed: { type: 'string', value: 'n', description: "Random seed, 0-4294967295 (default: from the site's id)" },
    live: { type: 'boolean', description: 'Afterwards, keep writing in real time until Ctrl-C' },
  },
  forwardable: true,
  examples: [
    'npx helio simulate --site 1234',
    'npx helio simulate --site "$SITE" --days 30 --interval 1 --seed 7 --json',
    'npx helio simulate --site "$SITE" --days 1 --live',
  ],
  async run(cx, args) {
    const live = args.flag('live');
    // A server running the command for the CLI could never be stopped with Ctrl-C.
    if (live && !cx.io.onInterrupt) {
      throw new CliError('DATA_DIR_LOCKED', 'simulate --live cannot run inside the server that holds the PGlite data directory', {
        hint: 'stop the server and run it again, or run the server on PostgreSQL (DATABASE_URL); without --live, simulate runs through the server',
      });
    }
    const abort = new AbortController();
    const stopListening = live ? cx.io.onInterrupt?.(() => abort.abort()) : undefined;
    const progress = progressBar(cx.io, cx.json, 'simulate');
    try {
      const summary = await asSystem(cx, async (ctx, { simulate }) => {
        let announced = false;
        return simulate.simulateSite(ctx, {
          site: args.required('site'),
          days: wholeNumber(args.string('days')),
          intervalMinutes: wholeNumber(args.string('interval')),
          seed: wholeNumber(args.string('seed')),
          live,
          signal: abort.signal,
          onProgress: (p) => {
            if (p.phase === 'history') return progress.update(p.done, p.total, `days, ${count(p.readings, 'value')}`);
            if (!announced && !cx.json) {
              progress.end();
              cx.io.stderr('Writing live readings as each interval ends; Ctrl-C to stop.\n');
              announced = true;
            }
            progress.update(0, 0, `live: ${count(p.done, 'interval')} written, ${count(p.readings, 'value')} in all`);
          },
        });
      });
      progress.end();
      return { json: summary, text: summaryText(summary) };
    } finally {
      progress.end();
      stopListening?.();
    }
  },
};

function summaryText(s: simulate.SimulateSummary): string {
  const site = `site "${s.siteName}"${s.siteLocusId === null ? '' : ` (Locus id ${s.siteLocusId})`}`;
  const values = s.stored + s.unchanged + s.replaced;
  const head =
    `Simulated ${site}: created ${count(s.componentsCreated, 'component')}, wrote ${count(s.rows, 'reading')} ` +
    `(${count(values, 'value')}: ${s.stored} new, ${s.unchanged} unchanged, ${s.replaced} replaced) for ${count(s.componentsSimulated, 'component')}`;
  const updates = Object.entries(s.siteUpdates).map(([k, v]) => `${k} ${String(v)}`);
  const lines = [
    head,
    fields([
      ['site', s.siteId],
      ['period', `${s.from} to ${s.to} (${s.intervalMinutes}-minute readings)`],
      ['seed', String(s.seed)],
      ['site set', updates.length ? updates.join(', ') : null],
      ['outages', s.outages.length ? s.outages.map((o) => `${o.name} ${o.start} to ${o.end}`).join('; ') : 'none'],
      ['events', count(s.events, 'device event')],
      ['skipped', s.skipped.length ? s.skipped.map((k) => `${k.name} (${k.reason})`).join('; ') : null],
    ]),
  ];
  if (s.alertErrors.length) lines.push(`alert rules failed after some ingests (the readings stand): ${s.alertErrors.join('; ')}`);
  return lines.join('\n');
}
