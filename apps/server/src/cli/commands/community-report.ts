// What `helio community import` tells people: a table of counts per
// community, and every problem of a refused bundle with its place in the
// file (file:line:column, the document, the path in the bundle).
import type { communities, ErrorDetail } from '@helio/core';
import { table } from '../output.js';

type ImportReport = communities.ImportReport;
type MultiImportReport = communities.MultiImportReport;

const KINDS = ['community', 'member', 'delivery_point', 'asset'] as const;

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The counts of one community's import, a row per kind. */
function countsTable(report: ImportReport): string {
  return table(
    ['KIND', 'CREATED', 'UPDATED', 'UNCHANGED', 'DELETED'],
    KINDS.map((kind) => [
      kind,
      String(report.created[kind]),
      String(report.updated[kind]),
      String(report.unchanged[kind]),
      String(report.deleted[kind] ?? 0),
    ]),
  );
}

/** The text of a (possibly partial) import: a heading, then each community's counts and warnings. */
export function importText(result: MultiImportReport, file: string): string {
  const done = result.reports.length;
  const total = done + result.failed.length;
  const verb = result.dry_run ? 'Checked' : 'Imported';
  const lines = [
    `${verb} ${done} of ${count(total, 'community', 'communities')} from ${file}` +
      (result.dry_run ? ' (dry run: nothing was written)' : ''),
  ];
  for (const report of result.reports) {
    const where = report.community_id ? `community ${report.community_id}, ` : '';
    lines.push('', `${report.community_key} (${where}organisation ${report.organisation_id})`, countsTable(report));
    for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  }
  return lines.join('\n');
}

/** Why the command fails when some documents were refused (each document is imported or refused on its own). */
export function failureMessage(result: MultiImportReport): string {
  const problems = result.failed.reduce((n, f) => n + f.problems.length, 0);
  const named = (f: MultiImportReport['failed'][number]) => `document ${f.doc + 1}${f.community_key ? ` (${f.community_key})` : ''}`;
  const one = result.failed.length === 1;
  const which = one ? named(result.failed[0]!) : `${result.failed.length} documents, ${result.failed.map(named).join(', ')},`;
  const refused = `${which} ${one ? 'has' : 'have'} ${count(problems, 'problem')}`;
  if (result.reports.length === 0) return `${refused}: nothing was imported`;
  const others = result.reports.map((r) => r.community_key).join(', ');
  return `${refused} and ${one ? 'was' : 'were'} not imported; the others ${result.dry_run ? 'passed the dry run' : 'were imported'}: ${others}`;
}

/**
 * Error details for people: each problem's `path` becomes where to look,
 * `file:line:column (document n) path`, documents counted from 1 as lines
 * are. For --json the details stay as core gives them (`doc` from 0, as the
 * REST API reports it).
 */
export function locateDetails(details: readonly ErrorDetail[], file: string, json: boolean): ErrorDetail[] {
  if (json) return [...details];
  return details.map((d) => {
    const line = typeof d['line'] === 'number' ? d['line'] : undefined;
    const column = typeof d['column'] === 'number' ? d['column'] : undefined;
    const doc = typeof d['doc'] === 'number' ? d['doc'] : undefined;
    const place = line === undefined ? file : `${file}:${line}${column === undefined ? '' : `:${column}`}`;
    const parts = [place, ...(doc === undefined ? [] : [`(document ${doc + 1})`]), ...(d.path ? [d.path] : [])];
    return { ...d, path: parts.join(' ') };
  });
}
