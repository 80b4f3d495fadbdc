// Work made on this device before its first sign-in: the portfolios, sites
// and documents of the device's own organisations, which no server has. At
// the first sign-in they are set aside into one file in the data directory
// (written whole and renamed into place) before the device starts afresh for
// the account, and wait there until the person brings them into one of the
// account's organisations (as new rows, through the sync client, keeping
// their ids) or discards them. Their captured files stay in the captured
// files directory meanwhile.
import { documents, notFound, organisations, portfolios, sites, validationError, type ServiceContext, type sync } from '@helio/core';
import { rmSync } from 'node:fs';
import { z } from 'zod';
import type { CapturedFiles } from './captured-files.js';
import { readFileIfExists, writeFileAtomically } from './files.js';

const siteFields = z.record(z.string(), z.unknown());

const setAsideFile = z.strictObject({
  version: z.literal(1),
  setAsideAt: z.iso.datetime(),
  /** `undecided`: offered right after sign-in; `kept`: the person chose to keep it on this device for now. */
  decision: z.enum(['undecided', 'kept']),
  /** The device's own organisations the work was made in. */
  organisations: z.array(z.strictObject({ id: z.uuid(), name: z.string() })),
  portfolios: z.array(z.strictObject({ id: z.uuid(), organisationId: z.uuid(), name: z.string() })),
  sites: z.array(z.strictObject({ id: z.uuid(), organisationId: z.uuid(), siteName: z.string(), fields: siteFields })),
  documents: z.array(
    z.strictObject({
      id: z.uuid(),
      organisationId: z.uuid(),
      siteId: z.uuid(),
      filename: z.string(),
      mimeType: z.string(),
      sizeBytes: z.int().nonnegative(),
      documentType: z.string().nullable(),
    }),
  ),
});

export type SetAsideWork = Omit<z.infer<typeof setAsideFile>, 'version'>;

/** The writable fields of a site, as its sync descriptor names them (see sites/sync.ts). */
const SITE_FIELDS = Object.keys(sites.siteColumns) as (keyof typeof sites.siteColumns)[];

export interface SetAsideStore {
  current(): SetAsideWork | undefined;
  /** Keeps `work` (merged, by id, with what is already set aside), replacing the file whole. */
  add(work: SetAsideWork): void;
  decide(decision: SetAsideWork['decision']): void;
  /** Forgets the set-aside work (brought in or discarded). */
  clear(): void;
}

export function setAsideStoreAt(path: string): SetAsideStore {
  const read = (): SetAsideWork | undefined => {
    const raw = readFileIfExists(path);
    if (!raw) return undefined;
    const parsed = setAsideFile.safeParse(JSON.parse(raw.toString('utf8')));
    if (!parsed.success) throw new Error(`the file of work set aside at sign-in, ${path}, is not valid: ${parsed.error.message}`);
    const { version: _, ...work } = parsed.data;
    return work;
  };
  let work = read();
  const write = (next: SetAsideWork) => {
    writeFileAtomically(path, `${JSON.stringify({ version: 1, ...next }, null, 2)}\n`);
    work = next;
  };
  return {
    current: () => work,
    add(more) {
      if (!work) return write(more);
      const byId = <T extends { id: string }>(a: T[], b: T[]) => [...new Map([...a, ...b].map((x) => [x.id, x])).values()];
      write({
        setAsideAt: work.setAsideAt,
        decision: 'undecided',
        organisations: byId(work.organisations, more.organisations),
        portfolios: byId(work.portfolios, more.portfolios),
        sites: byId(work.sites, more.sites),
        documents: byId(work.documents, more.documents),
      });
    },
    decide(decision) {
      if (work) write({ ...work, decision });
    },
    clear() {
      rmSync(path, { force: true });
      work = undefined;
    },
  };
}

export const isEmpty = (work: SetAsideWork) => work.portfolios.length + work.sites.length + work.documents.length === 0;

/** The live portfolios, sites and documents of the organisations `ctx` acts in (the local user's: all of them), read through core. */
export async function snapshotWork(ctx: ServiceContext, organisationNames: Map<string, string>, at: Date): Promise<SetAsideWork> {
  const allPortfolios = await portfolios.listPortfolios(ctx);
  const allSites = await sites.listSites(ctx);
  const allDocuments = [];
  for (const site of allSites) allDocuments.push(...(await documents.listSiteDocuments(ctx, site.id)));
  return {
    setAsideAt: at.toISOString(),
    decision: 'undecided',
    organisations: [...organisationNames].map(([id, name]) => ({ id, name })),
    portfolios: allPortfolios.map((p) => ({ id: p.id, organisationId: p.organisationId, name: p.name })),
    sites: allSites.map((s) => ({
      id: s.id,
      organisationId: s.organisationId,
      siteName: s.siteName,
      // Only what was set: a create leaves the rest to the service's defaults.
      fields: Object.fromEntries(SITE_FIELDS.filter((f) => s[f] !== null && s[f] !== undefined).map((f) => [f, s[f]])),
    })),
    documents: allDocuments.map((d) => ({
      id: d.id,
      organisationId: d.organisationId,
      siteId: d.siteId,
      filename: d.filename,
      mimeType: d.mimeType,
      sizeBytes: d.sizeBytes,
      documentType: d.documentType,
    })),
  };
}

export interface BringInDeps {
  /** A context acting as the signed-in user over the local database. */
  ctx: ServiceContext;
  /** The sync client's write: each row becomes a queued create of the organisation. */
  write(input: sync.LocalWrite): Promise<unknown>;
  storage: documents.DocumentStorage;
  capturedFiles: CapturedFiles;
  /** Who now owns the captured files brought in. */
  account: { userId: string; serverUrl: string };
}

export interface BroughtIn {
  portfolios: number;
  sites: number;
  documents: number;
  /** Documents left out because their file is no longer on this device (nothing to upload). */
  withoutFile: string[];
}

async function exists(load: () => Promise<unknown>): Promise<boolean> {
  try {
    await load();
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'NOT_FOUND') return false;
    throw err;
  }
}

/**
 * Re-creates set-aside work in `organisationId` as new rows of the signed-in
 * account, keeping their ids (so captured files still match their documents,
 * and sites their portfolios). Rows already there are skipped, so after a
 * crash half-way the same call finishes the job. Documents get a pending row
 * like a capture made now; sync uploads their files.
 */
export async function bringIn(deps: BringInDeps, work: SetAsideWork, organisationId: string): Promise<BroughtIn> {
  const { ctx } = deps;
  const known = await organisations.listOrganisations(ctx);
  if (!known.some((o) => o.id === organisationId)) {
    // Either not the account's, or the first sync has not brought it yet.
    throw notFound('organisation', organisationId);
  }
  const role = ctx.principal.kind === 'user' ? ctx.principal.memberships.get(organisationId) : undefined;
  if (role !== 'owner' && role !== 'admin' && role !== 'technician') {
    throw validationError('your role in this organisation may not add portfolios, sites or documents: choose another', [
      { path: 'organisationId', message: `your role there is ${role ?? 'none'}` },
    ]);
  }
  const done: BroughtIn = { portfolios: 0, sites: 0, documents: 0, withoutFile: [] };
  for (const p of work.portfolios) {
    if (!(await exists(() => portfolios.getPortfolio(ctx, p.id)))) {
      await deps.write({ table: 'portfolios', op: 'create', id: p.id, organisationId, fields: { name: p.name } });
    }
    done.portfolios += 1;
  }
  for (const s of work.sites) {
    if (!(await exists(() => sites.getSite(ctx, s.id)))) {
      await deps.write({ table: 'sites', op: 'create', id: s.id, organisationId, fields: s.fields });
    }
    done.sites += 1;
  }
  const siteNames = new Map(work.sites.map((s) => [s.id, s.siteName]));
  for (const d of work.documents) {
    if (!deps.capturedFiles.list().includes(d.id)) {
      done.withoutFile.push(d.filename);
      continue;
    }
    if (!(await exists(() => documents.getDocument(ctx, d.id)))) {
      // The pending row a capture makes, under the id it had: the upload then goes the usual way.
      await documents.requestCapturedUpload(ctx, deps.storage, {
        id: d.id,
        siteId: d.siteId,
        filename: d.filename,
        mimeType: d.mimeType,
        fileSize: d.sizeBytes,
        ...(d.documentType ? { documentType: d.documentType } : {}),
      });
    }
    // From now on the file is this account's to upload.
    deps.capturedFiles.setRecord({
      documentId: d.id,
      filename: d.filename,
      mimeType: d.mimeType,
      sizeBytes: d.sizeBytes,
      documentType: d.documentType,
      siteId: d.siteId,
      siteName: siteNames.get(d.siteId) ?? null,
      organisationId,
      capturedAt: deps.capturedFiles.record(d.id)?.capturedAt ?? work.setAsideAt,
      capturedBy: deps.account,
    });
    done.documents += 1;
  }
  return done;
}
