import { readFile } from 'node:fs/promises';
import { MAX_ROWS_PER_REQUEST } from '@helio/core/basics';
import type { Command } from '../command.js';
import { asSystem } from '../context.js';
import { CliError } from '../errors.js';
import { fields } from '../output.js';
import { progressBar } from '../progress.js';

const number = (n: number) => n.toLocaleString('en-US');

export const readingsImport: Command = {
  path: ['readings', 'import'],
  summary: "Import a component's readings from a CSV file",
  // A getter: the first toLocaleString in a process loads ICU's number formats (about 15 ms), which every command line would pay.
  get description() {
    return (
      'Reads FILE (header `ts,W,Wh,...`, one row per time, as POST /api/components/{id}/readings takes it) and stores it in requests of ' +
      `at most ${number(MAX_ROWS_PER_REQUEST)} rows. The whole file is checked first: a bad row anywhere stops the import ` +
      'before anything is stored, naming its line and column. Importing a file again is safe: readings held with the same value are ' +
      'unchanged, others replaced. --component takes the component id or its nodeId (with --org when the nodeId is used in several ' +
      'organisations). On a terminal a progress bar shows the rows done.'
    );
  },
  options: {
    component: { type: 'string', value: 'id|nodeId', required: true, description: 'The component, by id or nodeId' },
    org: { type: 'string', value: 'id', description: 'The organisation to look the nodeId up in (when several use it)' },
  },
  positionals: [
    {
      name: 'file',
      description: 'The CSV file (absolute, when a running server holding the PGlite data directory runs the command for the CLI)',
    },
  ],
  forwardable: true,
  examples: [
    'npx helio readings import --component INV-01 history.csv',
    'npx helio readings import --component "$COMPONENT" --org "$ORG" /data/meter.csv --json',
  ],
  async run(cx, args) {
    const file = args.positional(0);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError('VALIDATION_ERROR', `cannot read ${file}: ${(err as Error).message}`, {
        hint: 'a running server that holds the PGlite data directory runs this command and reads the file itself: give an absolute path',
      });
    }
    return asSystem(cx, async (ctx, { readings, splitCsv }) => {
      const { rows, chunks } = splitCsv(text, MAX_ROWS_PER_REQUEST);
      const component = await readings.resolveComponent(ctx, args.required('component'), args.string('org'));
      const bar = (label: string) => {
        const progress = progressBar(cx.io, cx.json, label);
        let done = 0;
        return {
          add(n: number) {
            done += n;
            progress.update(done, rows, `rows ${rows ? Math.floor((100 * done) / rows) : 100}%`);
          },
          end: () => progress.end(),
        };
      };

      // Every piece checked before the first is stored: the file goes in whole or not at all.
      const checking = bar('checking ');
      try {
        // No rows: the header alone is checked (an empty file has none, and says so).
        if (chunks.length === 0) readings.checkReadings(ctx, { csv: text });
        for (const chunk of chunks) {
          readings.checkReadings(ctx, { csv: chunk.csv }, { csvLineOffset: chunk.lineOffset });
          checking.add(chunk.rows);
        }
      } finally {
        checking.end();
      }

      const totals = { stored: 0, unchanged: 0, replaced: 0 };
      let from: string | null = null;
      let to: string | null = null;
      let alertsError: string | undefined;
      const importing = bar('importing');
      try {
        for (const chunk of chunks) {
          const result = await readings.ingestReadings(ctx, component.id, { csv: chunk.csv }, { csvLineOffset: chunk.lineOffset });
          totals.stored += result.stored;
          totals.unchanged += result.unchanged;
          totals.replaced += result.replaced;
          if (result.from && (!from || result.from < from)) from = result.from;
          if (result.to && (!to || result.to > to)) to = result.to;
          alertsError ??= result.alertsError;
          importing.add(chunk.rows);
        }
      } finally {
        importing.end();
      }

      const summary = {
        componentId: component.id,
        nodeId: component.nodeId,
        file,
        rows,
        requests: chunks.length,
        ...totals,
        from,
        to,
        ...(alertsError ? { alertsError } : {}),
      };
      const report = [
        `Imported ${number(rows)} rows from ${file} into component "${component.name}" (${component.nodeId}): ` +
          `${number(totals.stored)} values stored, ${number(totals.unchanged)} unchanged, ${number(totals.replaced)} replaced`,
        fields([
          ['component', component.id],
          ['from', from],
          ['to', to],
          ['requests', String(chunks.length)],
        ]),
        ...(alertsError ? [`warning: the alert rules failed after the import (${alertsError}); the readings are stored`] : []),
      ].join('\n');
      return { json: summary, text: report };
    });
  },
};
