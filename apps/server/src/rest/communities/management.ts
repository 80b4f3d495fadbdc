// Bundles in and out: POST /admin/import (one JSON bundle), POST
// /admin/import/yaml (a multi-document YAML body, one community per
// document, each imported on its own), GET /admin/export (YAML) and Helio's
// GET /admin/bundle-schema (the bundle's JSON Schema).
import { communities, DomainError, type ErrorDetail } from '@helio/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppServices } from '../../services.js';
import { organisationHeader } from '../context.js';
import {
  communityJsonParser,
  decodeUtf8,
  IMPORT_BODY_LIMIT_BYTES,
  JsonWithText,
  refuseOtherContentTypes,
  YAML_CONTENT_TYPES,
  yamlBodyParser,
} from './bodies.js';
import { prefixLocs, problemOf, type ProblemItem } from './errors.js';

/** A boolean query parameter as FastAPI reads one. */
const queryBoolean = z
  .string()
  .transform((v) => v.toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const importQuery = z.strictObject({ dry_run: queryBoolean.optional() });
const keys = z.union([z.string(), z.array(z.string())]).optional();
const exportQuery = z.strictObject({ community: keys, key: keys });

/** Parses a route's query string; problems are located under "query" whatever the route's body. */
function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  const details: ErrorDetail[] = result.error.issues.flatMap((issue) => {
    // An unknown parameter is named by itself, not by the query object.
    const names = issue.code === 'unrecognized_keys' ? issue.keys : [issue.path.join('.')];
    return names.map((name) => ({ path: name, loc: ['query', ...(name ? [name] : [])], message: issue.message, type: issue.code }));
  });
  throw new DomainError('VALIDATION_ERROR', 'invalid query parameters', details);
}

/**
 * Runs `fn`, putting `prefix` in front of the location of every bundle
 * problem it throws. The organisation a new community goes to is asked of a
 * caller in several: core names it `organisationId`, REST takes it from the
 * header.
 */
async function locatedUnder<T>(prefix: (string | number)[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof DomainError) || err.details.length === 0) throw err;
    const details = prefixLocs(err.details, prefix).map((d) =>
      d.path === 'organisationId' && d['loc'] === undefined ? { ...d, loc: ['header', 'x-organisation-id'] } : d,
    );
    throw new DomainError(err.code, err.message, details);
  }
}

function organisationOpts(request: FastifyRequest): { organisationId?: string } {
  const organisationId = organisationHeader(request);
  return organisationId ? { organisationId } : {};
}

/** The JSON import: the wrapper `{bundle, dry_run}` or a bare bundle; `?dry_run=true` works with either. */
async function importJson(request: FastifyRequest) {
  const query = parseQuery(importQuery, request.query);
  // The text too: a key an object repeats is a problem (the parsed value kept only the last one).
  const parsed =
    request.body instanceof JsonWithText
      ? communities.parseJsonImport(request.body.value, request.body.text)
      : communities.parseJsonImport(request.body);
  // Problems are located in the body as sent: inside the wrapper's `bundle`, or the body itself.
  const prefix = parsed.wrapped ? ['body', 'bundle'] : ['body'];
  if (parsed.problems.length > 0 || parsed.bundle === null) {
    const details = parsed.problems.map((p) => ({
      ...communities.problemToDetail(p),
      loc: [...(p.wrapper ? ['body'] : prefix), ...p.loc],
    }));
    throw new DomainError('VALIDATION_ERROR', 'invalid bundle', details);
  }
  const { bundle } = parsed;
  // Either switch asks for a dry run: a request that says "only check" anywhere is never written.
  const dryRun = parsed.dryRun || query.dry_run === true;
  return locatedUnder(prefix, () => communities.importBundle(request.ctx, bundle, { dryRun, ...organisationOpts(request) }));
}

/** The YAML import's problems as the 422 body lists them: each with its document, path, line and column. */
function yamlProblems(failed: readonly communities.ImportFailure[]): ProblemItem[] {
  return failed.flatMap((failure) =>
    failure.problems.map((p) =>
      problemOf({ ...communities.problemToDetail(p), loc: ['body', ...p.loc], doc: p.doc ?? failure.doc }, 'body'),
    ),
  );
}

export function managementRoutes(app: FastifyInstance, services: AppServices): void {
  const bodyLimit = Math.max(services.config.bodyLimitBytes, IMPORT_BODY_LIMIT_BYTES);

  // A plugin of its own, whose JSON parser keeps the body's text beside its value.
  void app.register(async (scope) => {
    communityJsonParser(scope, { keepText: true });
    scope.post('/import', { bodyLimit, config: { communityLoc: 'body' } }, importJson);
  });

  // A plugin of its own, so that its catch-all body parser serves this route alone.
  void app.register(async (scope) => {
    yamlBodyParser(scope, bodyLimit);
    scope.post(
      '/import/yaml',
      { bodyLimit, preParsing: refuseOtherContentTypes, config: { communityLoc: 'body', communityAccepts: YAML_CONTENT_TYPES } },
      async (req, reply) => {
        const query = parseQuery(importQuery, req.query);
        const text = Buffer.isBuffer(req.body) ? decodeUtf8(req.body) : '';
        const opts = { dryRun: query.dry_run === true, ...organisationOpts(req) };
        const report = await locatedUnder(['body'], () => communities.importYaml(req.ctx, text, opts));
        if (report.failed.length === 0) return report;
        // Some documents failed (the others are imported): the report, with every problem as FastAPI lists them.
        return reply.code(422).send({ ...report, detail: yamlProblems(report.failed), code: 'VALIDATION_ERROR' });
      },
    );
  });

  app.get('/export', async (req, reply) => {
    const query = parseQuery(exportQuery, req.query);
    const keys = [query.community ?? [], query.key ?? []].flat();
    // A key the bundle schema refuses (a NUL character, a space) names no community: not found without a
    // query, as in a path. The database would refuse a NUL with an error of its own, an internal one here.
    const impossible = keys.find((k) => !communities.isRegistryKey(k));
    if (impossible !== undefined) throw communities.registryNotFound(`${communities.COMMUNITY_NOT_FOUND}: ${impossible}`);
    const yaml = await communities.exportYaml(req.ctx, keys.length > 0 ? { keys } : {});
    return reply.type('text/plain; charset=utf-8').send(yaml);
  });

  app.get('/bundle-schema', () => communities.bundleJsonSchema());
}
