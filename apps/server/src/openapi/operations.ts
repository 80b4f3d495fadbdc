import { oauthSchemas, portfolioSchemas, siteSchemas } from '@helio/core';
import { z } from 'zod';
import { commonErrors, errorBodySchema, organisationHeaderSchema, type OperationDoc } from './describe.js';
import { documentOperations } from './document-operations.js';

const Site = siteSchemas.site.meta({ id: 'Site' });
const Portfolio = portfolioSchemas.portfolio.meta({ id: 'Portfolio' });
const PortfolioWithSites = portfolioSchemas.portfolioWithSites.meta({ id: 'PortfolioWithSites' });
const Deleted = z.object({ id: z.uuid(), deleted: z.literal(true) }).meta({ id: 'Deleted' });
const idParam = z.object({ id: z.uuid().describe('The object id') });

const alentis: OperationDoc[] = [
  {
    method: 'get',
    path: '/api/sites',
    tag: 'Alentis',
    summary: 'List sites',
    description: "Every live site of the caller's organisation(s), oldest first. Filter by `siteId` or `portfolioId`.",
    auth: 'credentials',
    query: siteSchemas.listSitesInput,
    responses: { 200: { description: 'The sites', schema: z.array(Site) }, ...commonErrors() },
  },
  {
    method: 'post',
    path: '/api/sites',
    tag: 'Alentis',
    summary: 'Create a site',
    description:
      'Only `siteName` is required. `timezone` (IANA name) defaults to UTC. `portfolioId` must be a portfolio of the same organisation.',
    auth: 'credentials',
    headers: organisationHeaderSchema,
    body: siteSchemas.createSiteInput,
    responses: { 201: { description: 'The created site', schema: Site }, ...commonErrors([409]) },
  },
  {
    method: 'put',
    path: '/api/sites/{id}',
    tag: 'Alentis',
    summary: 'Update a site',
    description:
      'A partial update: fields left out stay as they are; `null` clears a field (`portfolioId: null` removes the site from its portfolio).',
    auth: 'credentials',
    params: idParam,
    body: siteSchemas.updateSiteInput,
    responses: { 200: { description: 'The updated site', schema: Site }, ...commonErrors() },
  },
  {
    method: 'delete',
    path: '/api/sites/{id}',
    tag: 'Alentis',
    summary: 'Delete a site',
    auth: 'credentials',
    params: idParam,
    responses: { 200: { description: 'The site was deleted', schema: Deleted }, ...commonErrors() },
  },
  {
    method: 'get',
    path: '/api/portfolios',
    tag: 'Alentis',
    summary: 'List portfolios',
    auth: 'credentials',
    responses: { 200: { description: 'The portfolios', schema: z.array(Portfolio) }, ...commonErrors() },
  },
  {
    method: 'get',
    path: '/api/portfolios/with-sites',
    tag: 'Alentis',
    summary: 'List portfolios with their sites',
    auth: 'credentials',
    responses: { 200: { description: 'The portfolios, each with `sites`', schema: z.array(PortfolioWithSites) }, ...commonErrors() },
  },
  {
    method: 'post',
    path: '/api/portfolios',
    tag: 'Alentis',
    summary: 'Create portfolios (bulk)',
    description: 'The body is an array of `{name}` (also accepted: `{"portfolios": [...]}` or a single `{name}`). All are created or none.',
    auth: 'credentials',
    headers: organisationHeaderSchema,
    body: portfolioSchemas.createPortfoliosInput,
    responses: { 201: { description: 'The created portfolios', schema: z.array(Portfolio) }, ...commonErrors([409]) },
  },
  {
    method: 'put',
    path: '/api/portfolios/{id}',
    tag: 'Alentis',
    summary: 'Update a portfolio',
    auth: 'credentials',
    params: idParam,
    body: portfolioSchemas.updatePortfolioInput,
    responses: { 200: { description: 'The updated portfolio', schema: Portfolio }, ...commonErrors() },
  },
  {
    method: 'delete',
    path: '/api/portfolios/{id}',
    tag: 'Alentis',
    summary: 'Delete a portfolio',
    description: 'Its sites are kept and become unassigned.',
    auth: 'credentials',
    params: idParam,
    responses: { 200: { description: 'The portfolio was deleted', schema: Deleted }, ...commonErrors() },
  },
  {
    method: 'post',
    path: '/api/portfolios/{id}/sites',
    tag: 'Alentis',
    summary: 'Add sites to a portfolio',
    description:
      'Moves the sites (of the same organisation) into this portfolio, out of any other. `{"siteId": "..."}` is accepted for one site.',
    auth: 'credentials',
    params: idParam,
    body: portfolioSchemas.addSitesInput,
    responses: { 200: { description: 'The portfolio with its sites', schema: PortfolioWithSites }, ...commonErrors() },
  },
  {
    method: 'delete',
    path: '/api/portfolios/{id}/sites',
    tag: 'Alentis',
    summary: 'Remove a site from a portfolio',
    description: 'Names the site in the body (`{"siteId": "..."}`) or in the query (`?siteId=`). The site itself is kept.',
    auth: 'credentials',
    params: idParam,
    query: z.object({ siteId: z.uuid().optional() }),
    body: z.object({ siteId: z.uuid() }).optional(),
    responses: { 200: { description: 'The portfolio with its remaining sites', schema: PortfolioWithSites }, ...commonErrors() },
  },
];

const system: OperationDoc[] = [
  {
    method: 'post',
    path: '/oauth/token',
    tag: 'OAuth',
    summary: 'Get an access token',
    description:
      'Grants `password` (returns a refresh token), `refresh_token` (rotates it: the old one stops working) and ' +
      '`client_credentials`. Access tokens expire after 3600 s. Errors set `error` to the OAuth error code ' +
      '(`invalid_client`, `invalid_grant`, `invalid_request`, `unsupported_grant_type`, `unauthorized_client`) and add `error_description`.',
    auth: 'none',
    bodyContentType: 'application/x-www-form-urlencoded',
    body: oauthSchemas.tokenRequest,
    responses: {
      200: { description: 'A token', schema: oauthSchemas.tokenResponse.meta({ id: 'Token' }) },
      400: { description: 'Bad request or grant', schema: errorBodySchema },
      401: { description: 'Unknown client or wrong secret', schema: errorBodySchema },
    },
  },
  {
    method: 'post',
    path: '/oauth/revoke',
    tag: 'OAuth',
    summary: 'Revoke a token (RFC 7009)',
    description:
      'The client that was issued the token gives it up (the desktop app does at sign-out). A refresh token ' +
      'revokes its whole session: the access tokens issued beside it and every later rotation. An unknown, ' +
      'expired or already revoked token is answered 200 as well; a token issued to another client gets `invalid_grant`.',
    auth: 'none',
    bodyContentType: 'application/x-www-form-urlencoded',
    body: oauthSchemas.revokeRequest,
    responses: {
      200: { description: 'Revoked (empty body)' },
      400: { description: 'Bad request, or a token of another client', schema: errorBodySchema },
      401: { description: 'Unknown client or wrong secret', schema: errorBodySchema },
    },
  },
  {
    method: 'get',
    path: '/sync/events',
    tag: 'Sync',
    summary: 'Change notifications (server-sent events)',
    description:
      'A `text/event-stream` for a signed-in user: `event: ready` once, then `event: change` with data ' +
      '`{"organisationId", "changeSeq"}` whenever one of their organisations commits a change, so the client pulls ' +
      '(tRPC `sync.pull`) at once. Comment lines keep the stream alive every 25 s.',
    auth: 'credentials',
    responses: {
      200: { description: 'The event stream', schema: z.string(), contentType: 'text/event-stream' },
      401: { description: 'Missing or invalid credentials', schema: errorBodySchema },
    },
  },
  {
    method: 'get',
    path: '/health',
    tag: 'System',
    summary: 'Liveness',
    auth: 'none',
    responses: { 200: { description: 'The server is up', schema: z.object({ status: z.literal('ok') }) } },
  },
  {
    method: 'get',
    path: '/version',
    tag: 'System',
    summary: 'Version',
    auth: 'none',
    responses: { 200: { description: 'Name and version', schema: z.object({ name: z.string(), version: z.string() }) } },
  },
];

export const operations: OperationDoc[] = [...alentis, ...documentOperations, ...system];
