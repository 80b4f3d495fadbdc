import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import * as apiKeys from '../api-keys/service.js';
import { createApiKeyInput } from '../api-keys/schema.js';
import * as documents from '../documents/service.js';
import { reviewDocumentInput } from '../documents/schema.js';
import * as organisations from '../organisations/service.js';
import * as portfolios from '../portfolios/service.js';
import { addSitesInput, createPortfoliosInput, updatePortfolioInput } from '../portfolios/schema.js';
import * as sites from '../sites/service.js';
import { pull, push } from '../sync/index.js';
import { createSiteInput, listSitesInput, updateSiteInput } from '../sites/schema.js';
import { createCallerFactory, procedure, router } from './init.js';

const byId = z.strictObject({ id: z.uuid() });

const notImplemented = (message: string) => new TRPCError({ code: 'NOT_IMPLEMENTED', message });

const me = procedure.query(({ ctx }) => {
  const p = ctx.service.principal;
  if (p.kind === 'system') return { kind: p.kind, userId: null, memberships: [] };
  return {
    kind: p.kind,
    userId: p.userId,
    memberships: [...p.memberships].map(([organisationId, role]) => ({ organisationId, role })),
  };
});

const sitesRouter = router({
  list: procedure.input(listSitesInput.optional()).query(({ ctx, input }) => sites.listSites(ctx.service, input ?? {})),
  get: procedure.input(byId).query(({ ctx, input }) => sites.getSite(ctx.service, input.id)),
  create: procedure.input(createSiteInput).mutation(({ ctx, input }) => sites.createSite(ctx.service, input)),
  update: procedure
    .input(z.strictObject({ id: z.uuid(), patch: updateSiteInput }))
    .mutation(({ ctx, input }) => sites.updateSite(ctx.service, input.id, input.patch)),
  delete: procedure.input(byId).mutation(({ ctx, input }) => sites.deleteSite(ctx.service, input.id)),
});

const portfoliosRouter = router({
  list: procedure.query(({ ctx }) => portfolios.listPortfolios(ctx.service)),
  listWithSites: procedure.query(({ ctx }) => portfolios.listPortfoliosWithSites(ctx.service)),
  get: procedure.input(byId).query(({ ctx, input }) => portfolios.getPortfolio(ctx.service, input.id)),
  create: procedure.input(createPortfoliosInput).mutation(({ ctx, input }) => portfolios.createPortfolios(ctx.service, input)),
  update: procedure
    .input(updatePortfolioInput.extend({ id: z.uuid() }))
    .mutation(({ ctx, input }) => portfolios.updatePortfolio(ctx.service, input.id, { name: input.name })),
  delete: procedure.input(byId).mutation(({ ctx, input }) => portfolios.deletePortfolio(ctx.service, input.id)),
  addSites: procedure
    .input(addSitesInput.extend({ id: z.uuid() }))
    .mutation(({ ctx, input }) => portfolios.addSitesToPortfolio(ctx.service, input.id, { siteIds: input.siteIds })),
  removeSite: procedure
    .input(z.strictObject({ id: z.uuid(), siteId: z.uuid() }))
    .mutation(({ ctx, input }) => portfolios.removeSiteFromPortfolio(ctx.service, input.id, { siteId: input.siteId })),
});

const apiKeysRouter = router({
  list: procedure
    .input(z.strictObject({ organisationId: z.uuid().optional() }).optional())
    .query(({ ctx, input }) => apiKeys.listApiKeys(ctx.service, input ?? {})),
  create: procedure.input(createApiKeyInput).mutation(({ ctx, input }) => apiKeys.createApiKey(ctx.service, input)),
  revoke: procedure.input(byId).mutation(({ ctx, input }) => apiKeys.revokeApiKey(ctx.service, input.id)),
});

// Uploads and downloads go through the signed URLs of the REST API; the router
// lists, reads and reviews document metadata.
const documentsRouter = router({
  listBySite: procedure
    .input(z.strictObject({ siteId: z.uuid() }))
    .query(({ ctx, input }) => documents.listSiteDocuments(ctx.service, input.siteId)),
  get: procedure.input(byId).query(({ ctx, input }) => documents.getDocument(ctx.service, input.id)),
  /** A document captured offline on the desktop, uploaded under its own id: see documents.requestCapturedUpload. */
  requestCapturedUpload: procedure.input(z.unknown()).mutation(({ ctx, input }) => {
    if (!ctx.documentStorage) throw notImplemented('this Helio stores no document bytes: upload to the server');
    return documents.requestCapturedUpload(ctx.service, ctx.documentStorage, input);
  }),
  /** A short-lived token for GET /api/docs/:id/content: how the desktop fetches a document's bytes on demand. */
  requestDownload: procedure.input(byId).mutation(({ ctx, input }) => {
    if (!ctx.documentStorage) throw notImplemented('this Helio stores no document bytes: download from the server');
    return documents.issueDownload(ctx.service, ctx.documentStorage, input.id);
  }),
  review: procedure
    .input(reviewDocumentInput.extend({ id: z.uuid() }))
    .mutation(({ ctx, input }) => documents.reviewDocument(ctx.service, input.id, { status: input.status })),
});

// The sync protocol (packages/core/src/sync): inputs are validated by the
// services, which also check the protocol version before anything else.
const syncRouter = router({
  push: procedure.input(z.unknown()).mutation(({ ctx, input }) => push(ctx.service, input)),
  pull: procedure.input(z.unknown()).query(({ ctx, input }) => pull(ctx.service, input)),
});

/** The one router: called in-process by the desktop app and mounted at /trpc by the server. */
export const appRouter = router({
  me,
  organisations: router({ list: procedure.query(({ ctx }) => organisations.listOrganisations(ctx.service)) }),
  sites: sitesRouter,
  portfolios: portfoliosRouter,
  apiKeys: apiKeysRouter,
  documents: documentsRouter,
  sync: syncRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
