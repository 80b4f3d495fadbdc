// Work made on this device before its first sign-in, set aside at that
// sign-in (see set-aside-work.ts): what it is, where the signed-in account
// may bring it, and the person's choice: bring it in, keep it here for now,
// or discard it.
import { organisations } from '@helio/core';
import { z } from 'zod';
import type { BroughtIn } from '../set-aside-work.js';
import { router, sessionProcedure } from '../trpc.js';

/** Roles that may add portfolios, sites and documents (core's `write`). */
const WRITERS = new Set(['owner', 'admin', 'technician']);

export interface LocalWorkView {
  setAsideAt: string;
  decision: 'undecided' | 'kept';
  /** The device's own organisations the work was made in. */
  madeIn: string[];
  portfolios: { id: string; name: string }[];
  sites: { id: string; siteName: string; portfolioName: string | null }[];
  documents: { id: string; filename: string; siteName: string | null; sizeBytes: number; fileKept: boolean }[];
  /** The account's organisations where it may write, which the first sync has brought to this device. */
  targets: { organisationId: string; name: string; role: string }[];
  /** Some of the account's organisations have not arrived yet (the first sync is still under way). */
  waitingForOrganisations: boolean;
}

export const localWorkRouter = router({
  /** The work set aside at sign-in, or null when there is none (or nothing was ever set aside). */
  get: sessionProcedure.query(async ({ ctx }): Promise<LocalWorkView | null> => {
    const work = ctx.services.sync.setAsideWork();
    if (!work) return null;
    const here = new Map((await organisations.listOrganisations(ctx.service)).map((o) => [o.id, o.name]));
    const memberships = ctx.service.principal.kind === 'user' ? [...ctx.service.principal.memberships] : [];
    const portfolioNames = new Map(work.portfolios.map((p) => [p.id, p.name]));
    const siteNames = new Map(work.sites.map((s) => [s.id, s.siteName]));
    const kept = new Set(ctx.services.capturedFiles.list());
    return {
      setAsideAt: work.setAsideAt,
      decision: work.decision,
      madeIn: work.organisations.map((o) => o.name),
      portfolios: work.portfolios.map((p) => ({ id: p.id, name: p.name })),
      sites: work.sites.map((s) => {
        const portfolioId = s.fields['portfolioId'];
        return {
          id: s.id,
          siteName: s.siteName,
          portfolioName: typeof portfolioId === 'string' ? (portfolioNames.get(portfolioId) ?? null) : null,
        };
      }),
      documents: work.documents.map((d) => ({
        id: d.id,
        filename: d.filename,
        siteName: siteNames.get(d.siteId) ?? null,
        sizeBytes: d.sizeBytes,
        fileKept: kept.has(d.id),
      })),
      targets: memberships
        .filter(([id, role]) => WRITERS.has(role) && here.has(id))
        .map(([organisationId, role]) => ({ organisationId, name: here.get(organisationId)!, role }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      waitingForOrganisations: memberships.some(([id]) => !here.has(id)),
    };
  }),
  /** Re-creates the work in one of the account's organisations (same ids, as new rows); sync then sends it and uploads its files. */
  bringIn: sessionProcedure
    .input(z.strictObject({ organisationId: z.uuid() }))
    .mutation(({ ctx, input }): Promise<BroughtIn> => ctx.services.sync.bringInSetAside(input.organisationId)),
  /** Keeps the work on this device for now: still listed (Sync screen), not asked about again. */
  keep: sessionProcedure.mutation(({ ctx }) => {
    ctx.services.sync.keepSetAside();
  }),
  /** Discards the work and its captured files, for good. */
  discard: sessionProcedure.mutation(async ({ ctx }) => {
    await ctx.services.sync.discardSetAside();
  }),
});
