// Importing community bundles: a full replace of one community's graph per
// bundle, atomic (one transaction per bundle: all of it is in, or nothing
// changed), checked whole before anything is written, so that every problem
// is reported at once. The steps, in the bundle's transaction:
//   1. the registry's lock (communities/locks.ts): keys, PODs and sensor ids
//      are unique across the installation and checked, not indexed;
//   2. the community by key, and who may replace it: an admin (or owner) of
//      its organisation, where it stays whichever organisation is asked for;
//      a new community goes to the organisation asked for, or the caller's
//      only one. A key held by a community of an organisation the caller is
//      not in is "taken", and nothing more is said of it;
//   3. the database checks (import/db-checks.ts) and the plan against the
//      stored rows (import/diff.ts): ids, change sequences and links survive;
//   4. the writes in bulk (import/write.ts), under one block of change
//      sequences. A dry run stops before this step, with the same report.
import { allocateChangeSeqs } from '../changes.js';
import { targetOrganisation, type Principal } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { parseYamlBundles, problemToDetail, validateBundle, type BundleProblem } from './bundle/parse.js';
import type { RegistryBundleIn } from './bundle/schema.js';
import { authorizeManage } from './entities/checks.js';
import { danglingLinkProblems, DryRunClaims, takenProblems } from './import/db-checks.js';
import { desiredRegistry } from './import/desired.js';
import { planImport, type ImportPlan, type KindPlan } from './import/diff.js';
import { yamlLocator } from './import/yaml-locate.js';
import { loadCommunityByKey, loadRegistryRows, type StoredCommunity } from './import/stored.js';
import { plannedWrites, writePlan } from './import/write.js';
import { lockRegistry } from './locks.js';

export interface KindCounts {
  community: number;
  member: number;
  delivery_point: number;
  asset: number;
}

/**
 * What an import did (or, dry, would do). `inserted` and `deleted` keep the
 * published report's meaning (rows created, rows removed), with Helio's
 * `delivery_point` beside its `community`, `member` and `asset`; `created`,
 * `updated` and `unchanged` are Helio's additions.
 */
export interface ImportReport {
  community_key: string;
  inserted: Partial<KindCounts>;
  deleted: Partial<KindCounts>;
  warnings: string[];
  created: KindCounts;
  updated: KindCounts;
  unchanged: KindCounts;
  dry_run: boolean;
  /** The community's id; `null` for a new community in a dry run (it has none yet). */
  community_id: string | null;
  organisation_id: string;
}

/** A YAML document that was not imported, with every problem found in it. */
export interface ImportFailure {
  doc: number;
  community_key: string | null;
  problems: BundleProblem[];
}

export interface MultiImportReport {
  /** The imported documents' reports, in document order. */
  reports: ImportReport[];
  dry_run: boolean;
  failed: ImportFailure[];
}

export interface ImportOptions {
  /** Check everything and report, write nothing. */
  dryRun?: boolean;
  /** The organisation a new community goes to; else the caller's only one. An existing community stays in its own. */
  organisationId?: string;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

type Outcome = { report: ImportReport; problems?: undefined } | { problems: BundleProblem[]; report?: undefined };

/** VALIDATION_ERROR listing every problem of a bundle, the first few in its message. */
function bundleInvalid(key: string | null, problems: BundleProblem[]): DomainError {
  const shown = problems
    .slice(0, 3)
    .map((p) => (p.loc.length > 0 ? `${p.loc.join('.')}: ${p.msg}` : p.msg))
    .join('; ');
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
  const what = key ? `community bundle ${key}` : 'community bundle';
  return new DomainError('VALIDATION_ERROR', `${what}: ${shown}${more}`, problems.map(problemToDetail));
}

/**
 * Whether the stored community is the one the caller replaces: one of an
 * organisation the caller belongs to (whose role is checked next). The
 * organisation the caller names is for a new community only: an existing one
 * stays in its own, so an export of several organisations' communities
 * imports back whichever organisation is named.
 */
function replaces(p: Principal, existing: StoredCommunity): boolean {
  return p.kind === 'system' || p.memberships.has(existing.organisation_id);
}

/**
 * The organisation the bundle's community belongs to (or will), once the
 * caller may manage it there, and the stored community it replaces (none
 * when new, or when the key is held in an organisation the caller is not in:
 * then it is taken).
 * Refusals speak of the registry (entities/checks.ts), not of users and keys.
 */
function owner(
  ctx: ServiceContext,
  key: string,
  existing: StoredCommunity | undefined,
  opts: ImportOptions,
): { organisationId: string; community: StoredCommunity | undefined } {
  if (existing && replaces(ctx.principal, existing)) {
    authorizeManage(ctx.principal, existing.organisation_id, 'community', key);
    return { organisationId: existing.organisation_id, community: existing };
  }
  // Membership first (not found otherwise, or which organisation is asked), then the role.
  const organisationId = targetOrganisation(ctx.principal, opts.organisationId, 'read');
  authorizeManage(ctx.principal, organisationId, 'organisation', organisationId);
  return { organisationId, community: undefined };
}

const counts = (pick: (k: KindPlan<unknown>) => number, plan: ImportPlan, community: number): KindCounts => ({
  community,
  member: pick(plan.members),
  delivery_point: pick(plan.deliveryPoints),
  asset: pick(plan.assets),
});

function reportOf(plan: ImportPlan, organisationId: string, dryRun: boolean): ImportReport {
  const created = counts((k) => k.create.length, plan, plan.community === 'create' ? 1 : 0);
  const deleted = counts((k) => k.remove.length, plan, 0);
  return {
    community_key: plan.communityValues.key,
    inserted: { ...created },
    deleted,
    warnings: [],
    created,
    updated: counts((k) => k.update.length, plan, plan.community === 'update' ? 1 : 0),
    unchanged: counts((k) => k.unchanged, plan, plan.community === 'unchanged' ? 1 : 0),
    dry_run: dryRun,
    community_id: dryRun && plan.community === 'create' ? null : plan.communityId,
    organisation_id: organisationId,
  };
}

/**
 * Imports a bundle already validated and checked on its own; the database's
 * problems are returned, not thrown. `claims` carries, through a dry run of
 * several documents, what the documents before this one would hold.
 */
async function importChecked(ctx: ServiceContext, bundle: RegistryBundleIn, opts: ImportOptions, claims?: DryRunClaims): Promise<Outcome> {
  const key = bundle.community.id;
  const desired = desiredRegistry(bundle);
  const dryRun = opts.dryRun ?? false;
  return ctx.db.transaction(async (tx): Promise<Outcome> => {
    await lockRegistry(tx);
    opts.onProgress?.({ phase: 'check', done: 0, total: 1 });
    const existing = await loadCommunityByKey(tx, key, !dryRun);
    const { organisationId, community } = owner(ctx, key, existing, opts);
    const problems: BundleProblem[] = [];
    if (existing && !community) problems.push({ loc: ['community', 'id'], msg: `community key ${key} is taken`, type: 'taken' });
    const stored = community ? await loadRegistryRows(tx, [community.id]) : { members: [], deliveryPoints: [], assets: [] };
    problems.push(...(await takenProblems(tx, { id: community?.id ?? null, key }, desired, claims)));
    const plan = planImport(desired, community, stored, () => ctx.ids.uuid());
    problems.push(...plan.problems, ...(await danglingLinkProblems(tx, organisationId, plan.newLinks)));
    opts.onProgress?.({ phase: 'check', done: 1, total: 1 });
    if (problems.length > 0) return { problems };
    const report = reportOf(plan, organisationId, dryRun);
    claims?.record(key, desired);
    const total = plannedWrites(plan);
    if (dryRun || total === 0) return { report };
    // The organisation's change counter last: it serialises the organisation's writers until commit.
    const seq = await allocateChangeSeqs(tx, organisationId, total);
    await writePlan(
      { tx, organisationId, communityId: plan.communityId, now: ctx.clock.now(), seq, done: 0, total, onProgress: opts.onProgress },
      plan,
    );
    return { report };
  });
}

/**
 * Replaces one community's graph with the bundle's, atomically. Throws
 * VALIDATION_ERROR (with every problem, the bundle's own and the database's)
 * when the bundle cannot be imported; nothing is written then.
 */
export async function importBundle(ctx: ServiceContext, bundle: RegistryBundleIn, opts: ImportOptions = {}): Promise<ImportReport> {
  // Validated again whoever built it (one write path): the import relies on the bundle's own references holding.
  const parsed = validateBundle(bundle);
  if (!parsed.bundle) throw bundleInvalid(bundle?.community?.id ?? null, parsed.problems);
  const outcome = await importChecked(ctx, parsed.bundle, opts);
  if (outcome.problems) throw bundleInvalid(parsed.bundle.community.id, outcome.problems);
  return outcome.report;
}

/**
 * Imports a multi-document YAML body, one community per document, each
 * document atomic on its own (the published service imports all of them in
 * one transaction; Helio does not, so one bad community does not hold back
 * the others). A document with problems is reported in `failed`, the others
 * are imported. The caller's right to each document's organisation is
 * checked for all of them before the first is written: an error there
 * (FORBIDDEN, NOT_FOUND) leaves everything as it was. Problems the database
 * reveals get the line and column of their path too. A dry run follows the
 * documents in order: a POD or sensor id that an earlier document releases
 * is free for a later one, as it would be in the real import.
 */
export async function importYaml(ctx: ServiceContext, text: string, opts: ImportOptions = {}): Promise<MultiImportReport> {
  const documents = parseYamlBundles(text);
  for (const { bundle } of documents) {
    if (bundle) owner(ctx, bundle.community.id, await loadCommunityByKey(ctx.db, bundle.community.id), opts);
  }
  const reports: ImportReport[] = [];
  const failed: ImportFailure[] = [];
  const locate = yamlLocator(text);
  const claims = opts.dryRun ? new DryRunClaims() : undefined;
  for (const { index, bundle, problems, communityKey } of documents) {
    if (!bundle) {
      // An invalid document is still named by its community key when that is readable.
      failed.push({ doc: index, community_key: communityKey, problems: locate(index, problems) });
      continue;
    }
    const outcome = await importChecked(ctx, bundle, opts, claims);
    if (outcome.problems) failed.push({ doc: index, community_key: bundle.community.id, problems: locate(index, outcome.problems) });
    else reports.push(outcome.report);
  }
  return { reports, dry_run: opts.dryRun ?? false, failed };
}
