// `helio community import` and `helio community export`: community bundles
// in and out from a shell, through the same services as POST
// /admin/import(/yaml) and GET /admin/export, on the configured database.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { communities, ServiceContext } from '@helio/core';
import { isDomainError, validationError } from '@helio/core/basics';
import { UsageError, type Args } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { asSystem, loadCore, requireOrganisation, type Core } from '../context.js';
import { CliError } from '../errors.js';
import { progressBar } from '../progress.js';
import { failureMessage, importText, locateDetails } from './community-report.js';

const fileHint = 'a running server that holds the PGlite data directory runs this command and opens the file itself: give an absolute path';

/**
 * Where the first ill-formed UTF-8 sequence of `bytes` starts (Unicode's
 * table 3-7 of well-formed sequences), or -1: TextDecoder says only that
 * there is one.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    // The continuation bytes a lead byte takes, and the range of the first (overlong forms and surrogates excluded).
    let [n, lo, hi] = [0, 0x80, 0xbf];
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) [n, lo, hi] = [2, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf];
    else if (b >= 0xf0 && b <= 0xf4) [n, lo, hi] = [3, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf];
    else return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of `bytes` read from `label`, or MALFORMED_REQUEST (as POST
 * /admin/import/yaml answers the same bytes) naming the offset, line and
 * column of the first byte that is not UTF-8, before anything is written.
 * Decoding leniently would import U+FFFD in its place, silently changing
 * the bundle. A leading byte order mark is dropped, as REST drops it.
 */
function decodeBundle(bytes: Uint8Array, label: string, json: boolean): string {
  try {
    return utf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
    const line = bytes.subarray(0, lineStart).filter((b) => b === 0x0a).length + 1;
    // Columns count UTF-16 code units from 1, as the YAML problems' do; the bytes before the bad one are UTF-8.
    const column = new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1;
    const byte = `0x${bytes[offset]!.toString(16).toUpperCase().padStart(2, '0')}`;
    const message = `byte ${byte} at offset ${offset} is not valid UTF-8`;
    throw new CliError('MALFORMED_REQUEST', `${label} is not UTF-8: ${message}; nothing was imported`, {
      details: locateDetails([{ path: '', message, type: 'utf8_invalid', offset, line, column }], label, json),
      hint: 'save the file as UTF-8 and import it again',
    });
  }
}

/** The file's text; `-` reads standard input. */
async function readBundleFile(cx: CommandContext, file: string): Promise<string> {
  // Standard input arrives as text, decoded as strictly by whoever read it (main.ts, or the admin channel's client).
  if (file === '-') return cx.io.readStdin();
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new CliError('VALIDATION_ERROR', `cannot read ${file}: ${(err as Error).message}`, { hint: fileHint });
  }
  return decodeBundle(bytes, file, cx.json);
}

/** The organisation new communities go to: --organisation, or --org as the other commands spell it. */
async function targetOrganisation(ctx: ServiceContext, args: Args): Promise<string | undefined> {
  const given = args.string('organisation') ?? args.string('org');
  if (given === undefined) return undefined;
  return (await requireOrganisation(ctx, given)).id;
}

/**
 * One JSON bundle (a bare bundle, or `{"bundle": ..., "dry_run": ...}` as
 * POST /admin/import takes it), reported like a YAML file of one document.
 * A refused bundle is a VALIDATION_ERROR, as importBundle's own checks are.
 */
async function importJson(
  ctx: ServiceContext,
  { communities }: Core,
  text: string,
  options: communities.ImportOptions,
): Promise<communities.MultiImportReport> {
  // The text too: a key an object repeats is a problem, as in YAML (JSON.parse keeps the last one).
  const parsed = communities.parseJsonImport(communities.parseJsonText(text), text);
  const dryRun = options.dryRun === true || parsed.dryRun;
  if (!parsed.bundle || parsed.problems.length > 0) {
    const n = parsed.problems.length;
    throw validationError(
      `the bundle has ${n} problem${n === 1 ? '' : 's'}: nothing was imported`,
      parsed.problems.map(communities.problemToDetail),
    );
  }
  const report = await communities.importBundle(ctx, parsed.bundle, { ...options, dryRun });
  return { reports: [report], dry_run: dryRun, failed: [] };
}

export const communityImport: Command = {
  path: ['community', 'import'],
  summary: 'Import community bundles from a YAML (or JSON) file',
  description:
    'Reads FILE, a multi-document YAML file with one community bundle per document (as POST /admin/import/yaml takes it), or a ' +
    'JSON file with one bundle (.json, as POST /admin/import takes it), and replaces each community it names with the bundle: ' +
    'members, delivery points and assets missing from it are deleted, the others created or updated, and rows that did not ' +
    'change keep their ids and are not written at all. Each document is checked whole (against the schema, inside the bundle, ' +
    'then against the database) before anything of it is written, and goes in whole or not at all; a refused document is ' +
    'reported with every problem, by line and column, while the others are imported. A community not yet in Helio goes to ' +
    '--organisation. --dry-run checks and counts without writing. On a terminal a progress bar shows each phase.',
  options: {
    'dry-run': { type: 'boolean', description: 'Check and count, write nothing' },
    organisation: { type: 'string', value: 'id', description: 'The organisation that owns communities the file creates' },
    org: { type: 'string', value: 'id', description: 'Same as --organisation' },
  },
  positionals: [
    {
      name: 'file',
      description:
        'The .yaml/.yml or .json file, - for standard input (absolute, when a running server holding the PGlite data directory runs the command)',
    },
  ],
  forwardable: true,
  examples: [
    'npx helio community import --organisation "$ORG" examples/communities/solar-commons.yaml',
    'npx helio community import --dry-run "$PWD/communities.yaml" --json',
    'npx helio community export | npx helio community import -',
  ],
  async run(cx, args) {
    const file = args.positional(0);
    if (args.string('organisation') !== undefined && args.string('org') !== undefined) {
      throw new UsageError('give --organisation or --org, not both', communityImport.path);
    }
    const text = await readBundleFile(cx, file);
    const dryRun = args.flag('dry-run');
    const label = file === '-' ? 'standard input' : file;

    const result = await asSystem(cx, async (ctx, domain) => {
      const { communities } = domain;
      const organisationId = await targetOrganisation(ctx, args);
      const progress = progressBar(cx.io, cx.json, dryRun ? 'checking ' : 'importing');
      const options: communities.ImportOptions = {
        dryRun,
        ...(organisationId ? { organisationId } : {}),
        onProgress: (p) => progress.update(p.done, p.total, p.phase),
      };
      try {
        return /\.json$/i.test(file) ? await importJson(ctx, domain, text, options) : await communities.importYaml(ctx, text, options);
      } catch (err) {
        // The system principal belongs to no organisation in particular: a new community needs one named.
        if (isDomainError(err) && err.code === 'VALIDATION_ERROR' && err.details.some((d) => d.path === 'organisationId')) {
          throw new CliError(
            'VALIDATION_ERROR',
            `${label} creates a community Helio does not have yet: name its organisation with --organisation`,
            {
              hint: '`npx helio org list` lists the organisations and their ids',
            },
          );
        }
        // Not YAML (or JSON) at all, or a refused JSON bundle: the same details, placed in the file for people.
        if (isDomainError(err) && (err.code === 'MALFORMED_REQUEST' || err.code === 'VALIDATION_ERROR')) {
          throw new CliError(err.code, `${label}: ${err.message}`, { details: locateDetails(err.details, label, cx.json) });
        }
        throw err;
      } finally {
        progress.end();
      }
    });

    if (result.failed.length === 0) return { json: result, text: importText(result, label) };
    // What did go in is reported on stdout as usual; the refusal, with every problem, on stderr.
    if (result.reports.length > 0) {
      cx.io.stdout(cx.json ? `${JSON.stringify(result, null, 2)}\n` : `${importText(result, label)}\n`);
    }
    const { communities } = await loadCore();
    const details = result.failed.flatMap((f) => f.problems.map((p) => communities.problemToDetail({ ...p, doc: p.doc ?? f.doc })));
    throw new CliError('VALIDATION_ERROR', failureMessage(result), {
      details: locateDetails(details, label, cx.json),
      hint: 'fix the problems listed and import the file again: documents already imported are then unchanged',
    });
  },
};

export const communityExport: Command = {
  path: ['community', 'export'],
  summary: 'Export communities as a multi-document YAML bundle',
  description:
    'Writes every community (or those named by --key, in key order) as GET /admin/export does: one YAML document per ' +
    'community, each starting with ---, in a canonical order, so that importing the export and exporting again gives the same ' +
    'bytes. To standard output, or to --out FILE (written whole or not at all). With --json and no --out: a JSON array of the ' +
    'bundles, each as POST /admin/import takes it.',
  options: {
    key: { type: 'string', value: 'key', multiple: true, description: 'A community to export (default: all)' },
    out: { type: 'string', value: 'file', description: 'Write the YAML to this file instead of standard output' },
  },
  forwardable: true,
  examples: [
    'npx helio community export > communities.yaml',
    'npx helio community export --key solar-commons --out "$PWD/solar-commons.yaml"',
    'npx helio community export --key solar-commons --json | jq ".[0].members | keys"',
  ],
  async run(cx, args) {
    const keys = args.strings('key');
    const out = args.string('out');
    const { bundles, yaml } = await asSystem(cx, async (ctx, { communities }) => {
      const exported = await communities.exportBundles(ctx, keys.length > 0 ? { keys } : {});
      return { bundles: exported, yaml: communities.bundlesToYaml(exported) };
    });
    if (out === undefined) {
      return cx.json ? { json: bundles, text: '' } : { json: null, text: yaml };
    }
    // Through a temporary file, so a failed write never leaves half an export where a whole one was.
    const partial = `${out}.${process.pid}.partial`;
    try {
      await writeFile(partial, yaml, 'utf8');
      await rename(partial, out);
    } catch (err) {
      await rm(partial, { force: true });
      throw new CliError('VALIDATION_ERROR', `cannot write ${out}: ${(err as Error).message}`, { hint: fileHint });
    }
    const exported = bundles.map((b) => b.community.id);
    const summary = { out, communities: exported, documents: bundles.length, bytes: Buffer.byteLength(yaml) };
    const what = bundles.length === 1 ? '1 community' : `${bundles.length} communities`;
    return {
      json: summary,
      text: `Exported ${what}${exported.length ? ` (${exported.join(', ')})` : ''} to ${out} (${summary.bytes.toLocaleString('en-US')} bytes)`,
    };
  },
};
