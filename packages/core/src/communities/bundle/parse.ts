// Reading community bundles: a multi-document YAML body (one community per
// document), or a JSON import body (the published client's wrapper
// `{"bundle": …, "dry_run": …}`, or a bare bundle).
//
// Every problem is reported at once, each named by its path in the bundle
// (and for YAML by document, line and column): the zod schema's, then the
// referential ones of checkBundle, so a user fixes a bundle in one round.
// Text that is not YAML or JSON at all is a MALFORMED_REQUEST; a bundle that
// reads but is wrong is a list of problems, which the caller raises as a
// VALIDATION_ERROR (or, for YAML, reports per document).
import { LineCounter, isScalar } from 'yaml';
import type { z } from 'zod';
import { DomainError, type ErrorDetail } from '../../errors.js';
import { checkBundle } from './check.js';
import { jsonDuplicateKeys } from './json-duplicates.js';
import { jsonSyntaxError } from './json-syntax.js';
import { registryBundleIn, type RegistryBundleIn } from './schema.js';
import {
  AliasBudget,
  MAX_ALIAS_EXPANSION,
  MAX_YAML_DEPTH,
  MAX_YAML_DOCUMENTS,
  readYamlStream,
  YamlDocument,
  type YamlSyntaxIssue,
} from './yaml-ast.js';

/** The limits of a YAML body, for those who document or test them. */
export { MAX_ALIAS_EXPANSION, MAX_YAML_DOCUMENTS };

/** One validation problem in a bundle. */
export interface BundleProblem {
  /** 0-based index of the YAML document (YAML only; empty documents count). */
  doc?: number;
  /** The path inside the bundle, e.g. ["members","m-1","assets","meter","mt-1","sensor_id"]. */
  loc: (string | number)[];
  msg: string;
  /**
   * missing, invalid_type, invalid_value, invalid_format, too_big, too_small,
   * unrecognized_keys, invalid_key, duplicate_key, dangling_reference, cycle,
   * nul_character, invalid_unicode, too_many_problems; the importer adds taken; syntax:
   * yaml_syntax, yaml_warning, json_invalid, too_large, too_deep, too_many_documents.
   */
  type: string;
  /** 1-based line (YAML; JSON syntax errors). */
  line?: number;
  /** 1-based column, in UTF-16 code units (YAML; JSON syntax errors). */
  column?: number;
  /**
   * Set on a problem of the JSON import's wrapper itself (an unknown field
   * beside `bundle`, a `dry_run` that is not a boolean): its `loc` is then
   * relative to the request body, not to the bundle.
   */
  wrapper?: true;
}

/** One document of a YAML body: the bundle when it is valid, else its problems. */
export interface ParsedDocument {
  index: number;
  bundle: RegistryBundleIn | null;
  problems: BundleProblem[];
  /**
   * The document's `community.id` when it is a string, even when the
   * document is invalid: reports name the community they refuse.
   */
  communityKey: string | null;
}

/** A document reports at most this many problems, then says how many more there are. */
export const MAX_PROBLEMS = 1000;

/** The error detail of a problem (DomainError details: `path` is `loc` joined with dots). */
export function problemToDetail(p: BundleProblem): ErrorDetail {
  return {
    path: p.loc.join('.'),
    message: p.msg,
    loc: p.loc,
    type: p.type,
    ...(p.doc === undefined ? {} : { doc: p.doc }),
    ...(p.line === undefined ? {} : { line: p.line }),
    ...(p.column === undefined ? {} : { column: p.column }),
  };
}

function malformed(message: string, problems: BundleProblem[]): DomainError {
  return new DomainError('MALFORMED_REQUEST', message, problems.map(problemToDetail));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Types of problem that are about a key rather than a value (YAML points at the key). */
const KEY_PROBLEMS = new Set(['unrecognized_keys', 'invalid_key', 'duplicate_key']);

function valueAt(root: unknown, loc: (string | number)[]): { parent: unknown; found: boolean } {
  let parent: unknown = undefined;
  let node: unknown = root;
  for (const seg of loc) {
    parent = node;
    if (Array.isArray(node) && typeof seg === 'number' && seg < node.length) node = node[seg];
    else if (isRecord(node) && Object.hasOwn(node, seg)) node = node[seg];
    else return { parent, found: false };
  }
  return { parent, found: true };
}

function issueProblems(issue: z.core.$ZodIssue, raw: unknown): BundleProblem[] {
  const loc = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((key) => ({ loc: [...loc, key], msg: `unknown field ${JSON.stringify(key)}`, type: 'unrecognized_keys' }));
  if (issue.code === 'invalid_key') {
    const reason = issue.issues[0]?.message ?? issue.message;
    return [{ loc, msg: `invalid key ${JSON.stringify(loc.at(-1))}: ${reason}`, type: 'invalid_key' }];
  }
  const { parent, found } = valueAt(raw, loc);
  if (!found && isRecord(parent)) return [{ loc, msg: 'field required', type: 'missing' }];
  return [{ loc, msg: issue.message, type: issue.code }];
}

/** A UTF-16 surrogate without its pair: JSON can carry one (`"\\ud800"`), UTF-8 cannot. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text no database column can hold, wherever it is (the schema refuses
 * control characters in its text fields, not in free-form GeoJSON, and
 * nowhere lone surrogates): PostgreSQL stores no NUL in text or jsonb, and a
 * lone surrogate would be stored as U+FFFD, silently changing the bundle. So
 * they are problems here rather than database errors or changes later. The
 * whole value is walked (a field added to the schema later is covered too),
 * with one path stack, copied only for a problem: bundles are large.
 */
function unstorableText(root: unknown): BundleProblem[] {
  const out: BundleProblem[] = [];
  const path: (string | number)[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) out.push({ loc: [...path], msg: 'must not contain the NUL character (U+0000)', type: 'nul_character' });
      else if (LONE_SURROGATE.test(value))
        out.push({ loc: [...path], msg: 'must be valid Unicode (it holds a lone surrogate)', type: 'invalid_unicode' });
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (path.length > MAX_YAML_DEPTH) {
      out.push({ loc: [...path], msg: `nested deeper than ${MAX_YAML_DEPTH} levels`, type: 'too_deep' });
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        visit(value[i]);
        path.pop();
      }
      return;
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      path.push(key);
      if (key.includes('\u0000'))
        out.push({ loc: [...path], msg: 'a field name must not contain the NUL character (U+0000)', type: 'nul_character' });
      else if (LONE_SURROGATE.test(key))
        out.push({ loc: [...path], msg: 'a field name must be valid Unicode (it holds a lone surrogate)', type: 'invalid_unicode' });
      else visit((value as Record<string, unknown>)[key]);
      path.pop();
    }
  };
  visit(root);
  return out;
}

const locKey = (loc: (string | number)[]) => JSON.stringify(loc);

/** Problems found before the bundle's value is validated (a JSON text's repeated keys), and how many more were not listed. */
interface EarlyProblems {
  problems: BundleProblem[];
  omitted: number;
}

/**
 * Validates one bundle value: the schema, characters no database column
 * holds, then the references inside the bundle. checkBundle runs even when
 * the schema fails (it reads defensively); a path already reported by the
 * schema is not reported twice. `early` problems come first; checkBundle's
 * duplicate at a path where the text repeats a key is the same problem.
 */
export function validateBundle(
  raw: unknown,
  early: EarlyProblems = { problems: [], omitted: 0 },
): { bundle: RegistryBundleIn | null; problems: BundleProblem[] } {
  const result = registryBundleIn.safeParse(raw);
  const problems = result.success ? [] : result.error.issues.flatMap((issue) => issueProblems(issue, raw));
  const seen = new Set(problems.map((p) => locKey(p.loc)));
  const repeated = new Set(early.problems.map((p) => locKey(p.loc)));
  const more = unstorableText(raw);
  more.push(...checkBundle((result.success ? result.data : raw) as RegistryBundleIn));
  for (const p of more) {
    const key = locKey(p.loc);
    if (seen.has(key) || (p.type === 'duplicate_key' && repeated.has(key))) continue;
    seen.add(key);
    problems.push(p);
  }
  problems.unshift(...early.problems);
  if (problems.length === 0 && result.success) return { bundle: result.data, problems };
  if (problems.length > MAX_PROBLEMS || early.omitted > 0) {
    const rest = problems.length - Math.min(problems.length, MAX_PROBLEMS) + early.omitted;
    problems.length = Math.min(problems.length, MAX_PROBLEMS);
    problems.push({ loc: [], msg: `and ${rest} more problems (the first ${problems.length} are listed)`, type: 'too_many_problems' });
  }
  return { bundle: null, problems };
}

function syntaxProblem(issue: YamlSyntaxIssue, at: (offset: number) => { line: number; column: number }): BundleProblem {
  return { ...(issue.doc === undefined ? {} : { doc: issue.doc }), loc: [], msg: issue.msg, type: issue.type, ...at(issue.offset) };
}

/**
 * Parses a multi-document YAML body, one bundle per document. Empty
 * documents are skipped but keep their index. Throws MALFORMED_REQUEST (with
 * every syntax problem, by document, line and column) when the text is not
 * YAML, nests too deeply, holds more than MAX_YAML_DOCUMENTS documents,
 * expands aliases beyond the budget (a YAML bomb: one document's, or the
 * body's, its documents together), or holds no document: then nothing in it
 * can be trusted to be what the user meant. Otherwise each document is
 * validated on its own (a document with problems has `bundle: null`), so
 * each can be imported on its own.
 */
export function parseYamlBundles(text: string): ParsedDocument[] {
  const lineCounter = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const stream = readYamlStream(text, lineCounter);
  if ('offset' in stream) {
    const why = stream.type === 'too_many_documents' ? `holds more than ${MAX_YAML_DOCUMENTS} documents` : 'nests too deeply';
    throw malformed(`the YAML body ${why}`, [syntaxProblem(stream, at)]);
  }

  const syntax: BundleProblem[] = [];
  const documents: { index: number; yaml: YamlDocument }[] = [];
  const budget = new AliasBudget();
  for (const [index, doc] of stream.docs.entries()) {
    for (const e of doc.errors) {
      // A repeated key is a problem of the bundle, not of the text: reported with the document's other problems.
      if (e.code !== 'DUPLICATE_KEY') syntax.push({ doc: index, loc: [], msg: e.message, type: 'yaml_syntax', ...at(e.pos[0]) });
    }
    // An empty document (`---` and nothing, or comments only) is an empty plain scalar; `--- null` is not empty.
    const contents = doc.contents;
    const empty =
      contents === null || (isScalar(contents) && contents.value === null && !contents.source && !contents.anchor && !contents.tag);
    if (empty && doc.errors.length === 0) continue;
    const yaml = new YamlDocument(doc, lineCounter, budget);
    const issue = yaml.expansionIssue;
    if (issue) syntax.push(syntaxProblem({ ...issue, doc: index }, at));
    // Past the body's budget the body is refused whatever the rest holds: reading on would only cost time.
    if (issue?.body)
      throw malformed(`the YAML body's aliases expand too far: by more than ${MAX_ALIAS_EXPANSION} nodes, its documents together`, syntax);
    documents.push({ index, yaml });
  }
  if (syntax.length > 0) throw malformed(`the body is not valid YAML: ${syntax[0]!.msg}`, syntax);
  if (documents.length === 0) {
    const streamProblems = stream.streamIssues.map((issue) => syntaxProblem(issue, at));
    if (streamProblems.length > 0) throw malformed(`the body is not valid YAML: ${streamProblems[0]!.msg}`, streamProblems);
    throw malformed('the YAML body holds no document', [{ loc: [], msg: 'no document: the body is empty', type: 'yaml_syntax' }]);
  }

  return documents.map(({ index, yaml }) => parseYamlDocument(index, yaml));
}

function parseYamlDocument(index: number, yaml: YamlDocument): ParsedDocument {
  const { doc } = yaml;
  const early: BundleProblem[] = [];
  for (const e of doc.errors) {
    const loc = yaml.pathAt(e.pos[0]);
    early.push({ loc, msg: `duplicate key ${JSON.stringify(loc.at(-1) ?? '')}`, type: 'duplicate_key', ...yaml.lineColumn(e.pos[0]) });
  }
  // An unknown tag (`!foo x`) or directive would silently be read as something else: a problem too.
  for (const w of doc.warnings)
    early.push({ loc: yaml.pathAt(w.pos[0]), msg: w.message, type: 'yaml_warning', ...yaml.lineColumn(w.pos[0]) });

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (err) {
    // The budget check in YamlDocument comes first; this is the second guard, so should not happen.
    const msg = err instanceof Error ? err.message : String(err);
    throw malformed(`the YAML body cannot be read: ${msg}`, [{ doc: index, loc: [], msg, type: 'too_large' }]);
  }
  const { bundle, problems } = validateBundle(raw);
  const earlyLocs = new Set(early.map((p) => locKey(p.loc)));
  const located = problems
    .filter((p) => !(p.type === 'duplicate_key' && earlyLocs.has(locKey(p.loc))))
    .map((p) => (p.type === 'too_many_problems' ? p : { ...p, ...yaml.position(p.loc, KEY_PROBLEMS.has(p.type)) }));
  const all = [...early, ...located].map((p) => ({ doc: index, ...p }));
  // In reading order; the count of problems left out last.
  all.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
  return { index, bundle: all.length === 0 ? bundle : null, problems: all, communityKey: communityKeyOf(raw) };
}

/** The `community.id` of a bundle's raw value, when it is a string. */
function communityKeyOf(raw: unknown): string | null {
  const id = isRecord(raw) && isRecord(raw['community']) ? raw['community']['id'] : undefined;
  return typeof id === 'string' ? id : null;
}

/**
 * The keys `text` repeats, as problems located in the bundle: for a wrapped
 * body, a repeat inside `bundle` is relative to it, one of the wrapper's own
 * keys (`bundle` or `dry_run` twice) is a `wrapper` problem.
 */
function repeatedKeys(text: string, wrapped: boolean): EarlyProblems {
  const { found, total } = jsonDuplicateKeys(text, MAX_PROBLEMS);
  const problems = found.map(({ loc, line, column }): BundleProblem => {
    const p: BundleProblem = { loc, msg: `duplicate key ${JSON.stringify(loc.at(-1))}`, type: 'duplicate_key', line, column };
    if (!wrapped) return p;
    return loc.length > 1 && loc[0] === 'bundle' ? { ...p, loc: loc.slice(1) } : { ...p, wrapper: true };
  });
  return { problems, omitted: total - found.length };
}

/**
 * Reads a JSON import body (already parsed): the wrapper
 * `{"bundle": {...}, "dry_run": bool}` when it has a top-level `bundle` key,
 * else a bare bundle. Problems' `loc` are relative to the bundle, except
 * those marked `wrapper` (relative to the body); `wrapped` tells the caller
 * where the bundle sat. `text`, the JSON text `body` was parsed from, is
 * searched for repeated keys, which parsing silently drops (the last one
 * wins): each is a problem, with its line and column, listed first.
 */
export function parseJsonImport(
  body: unknown,
  text?: string,
): {
  bundle: RegistryBundleIn | null;
  dryRun: boolean;
  problems: BundleProblem[];
  wrapped: boolean;
} {
  const wrapped = isRecord(body) && Object.hasOwn(body, 'bundle');
  const repeated = text === undefined ? undefined : repeatedKeys(text, wrapped);
  if (!wrapped) return { ...validateBundle(body, repeated), dryRun: false, wrapped };
  const outer: BundleProblem[] = [];
  for (const key of Object.keys(body)) {
    if (key !== 'bundle' && key !== 'dry_run')
      outer.push({
        loc: [key],
        msg: `unknown field ${JSON.stringify(key)} (the request holds "bundle" and "dry_run")`,
        type: 'unrecognized_keys',
        wrapper: true,
      });
  }
  const dryRun = body.dry_run;
  if (dryRun !== undefined && typeof dryRun !== 'boolean')
    outer.push({ loc: ['dry_run'], msg: 'must be a boolean', type: 'invalid_type', wrapper: true });
  const { bundle, problems } = validateBundle(body.bundle, repeated);
  const all = [...outer, ...problems];
  return { bundle: all.length === 0 ? bundle : null, dryRun: dryRun === true, problems: all, wrapped };
}

/**
 * JSON.parse, with a MALFORMED_REQUEST naming the line and column of the
 * first error (Node 20's messages carry no position). A leading byte order
 * mark is ignored, as editors write one.
 */
export function parseJsonText(text: string): unknown {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(source) as unknown;
  } catch (err) {
    const found = jsonSyntaxError(source);
    const msg = found?.msg ?? (err instanceof Error ? err.message : 'not valid JSON');
    const where = found ? { line: found.line, column: found.column } : {};
    throw malformed(`the body is not valid JSON: ${msg}`, [{ loc: [], msg, type: 'json_invalid', ...where }]);
  }
}
