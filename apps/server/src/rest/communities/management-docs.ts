// The OpenAPI entries of the import and export routes (management.ts), and
// the import reports' shapes, checked against core's types.
import { communities } from '@helio/core';
import { z } from 'zod';
import { organisationHeaderSchema, type OperationDoc } from '../../openapi/describe.js';
import { IMPORT_BODY_LIMIT_BYTES, YAML_CONTENT_TYPES } from './bodies.js';
import { communityErrors, TAGS, ValidationError } from './openapi.js';

const count = z.number().int().nonnegative();
const kindCounts = z.object({ community: count, member: count, delivery_point: count, asset: count });

export const ImportReport = z
  .object({
    community_key: z.string(),
    inserted: kindCounts.partial().describe('what was (or, in a dry run, would be) created, by kind'),
    deleted: kindCounts.partial().describe('what was (or would be) deleted: rows missing from the bundle'),
    warnings: z.array(z.string()),
    created: kindCounts.describe('Helio: rows created, by kind (equals `inserted`)'),
    updated: kindCounts.describe('Helio: rows changed in place (their ids kept)'),
    unchanged: kindCounts.describe('Helio: rows the bundle holds as stored: not written at all'),
    dry_run: z.boolean().describe('Helio: nothing was written'),
    community_id: z.string().nullable().describe('Helio: the community (null in a dry run of a new one)'),
    organisation_id: z.string().describe('Helio: the organisation that owns the community'),
  })
  .meta({ id: 'ImportReport' }) satisfies z.ZodType<communities.ImportReport>;

const BundleProblem = z
  .object({
    doc: z.number().int().optional(),
    loc: z.array(z.union([z.string(), z.number().int()])).describe('the path inside the document'),
    msg: z.string(),
    type: z.string(),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
  })
  .meta({ id: 'BundleProblem' }) satisfies z.ZodType<communities.BundleProblem>;

const ImportFailure = z
  .object({
    doc: z.number().int().describe('the document (0-based; empty documents counted)'),
    community_key: z.string().nullable().describe('its community key, when it could be read'),
    problems: z.array(BundleProblem),
  })
  .meta({ id: 'ImportFailure' }) satisfies z.ZodType<communities.ImportFailure>;

const multiImportFields = {
  reports: z.array(ImportReport).describe('one per document imported, in document order'),
  dry_run: z.boolean(),
  failed: z.array(ImportFailure).describe('Helio: the documents refused, with every problem of each'),
};

export const MultiImportReport = z
  .object(multiImportFields)
  .meta({ id: 'MultiImportReport' }) satisfies z.ZodType<communities.MultiImportReport>;

const MultiImportFailure = z
  .object({ ...multiImportFields, detail: z.array(ValidationError), code: z.literal('VALIDATION_ERROR') })
  .meta({ id: 'MultiImportFailure' });

const Bundle = communities.registryBundleIn.meta({ id: 'RegistryBundleIn' });
const ImportRequest = communities.importRequest.extend({ bundle: Bundle }).meta({ id: 'ImportRequest' });

const dryRunQuery = z.object({
  dry_run: z.boolean().default(false).describe('Validate and report without writing (true/false, 1/0, yes/no, on/off)'),
});
const limit = `${IMPORT_BODY_LIMIT_BYTES / 1024 / 1024} MiB`;
const fullReplace =
  "Full replace of the community's graph: members, delivery points and assets missing from the bundle are deleted; those whose key (a delivery point's POD) is in it keep their ids, and are written only when they changed. A link left out of the bundle (`user_id`, an asset's `site_id`, `component_id`, `plant_id`) keeps its stored value; `null` clears it. A new community goes to the caller's organisation (`x-organisation-id` for callers in several). Every problem is found before anything is written: schema (unknown fields, bad enums), duplicate keys, dangling references, keys, PODs and sensor ids taken by another community.";

/** The OpenAPI entries of management.ts's routes. */
export const managementOperations = {
  importJson: {
    method: 'post',
    path: '/admin/import',
    operationId: 'admin_import_admin_import_post',
    tag: TAGS.management,
    summary: 'Admin Import',
    description: `One community bundle, as \`{"bundle": {...}, "dry_run": false}\` or a bare bundle; \`?dry_run=true\` also makes it a dry run. All or nothing. ${fullReplace} Bodies up to ${limit}.`,
    auth: 'credentials',
    query: dryRunQuery,
    headers: organisationHeaderSchema,
    body: z.union([ImportRequest, Bundle]),
    responses: {
      200: { description: 'What was (or would be) created, updated, deleted and left unchanged', schema: ImportReport },
      ...communityErrors({
        400: 'Malformed JSON (its line and column), or not UTF-8 (MALFORMED_REQUEST); nothing was written',
        404: 'The bundle\'s community belongs to an organisation the caller does not manage: "Community not found"',
        413: true,
        415: true,
        422: 'Every problem of the bundle (VALIDATION_ERROR), each with its `loc` in the body; nothing was written',
      }),
    },
  },
  importYaml: {
    method: 'post',
    path: '/admin/import/yaml',
    operationId: 'admin_import_yaml_admin_import_yaml_post',
    tag: TAGS.management,
    summary: 'Admin Import Yaml',
    description: `A multi-document YAML body (documents separated by \`---\`), one community bundle per document, as ${YAML_CONTENT_TYPES.join(', ')} or without a content type. Each document is imported on its own, all or nothing (unlike the published service, which imports all in one transaction): a bad document is reported and the others are imported. ${fullReplace} Duplicate map keys are refused; aliases are limited, so a YAML bomb is refused. Bodies up to ${limit}.`,
    auth: 'credentials',
    query: dryRunQuery,
    headers: organisationHeaderSchema,
    body: z.string().describe('multi-document YAML; each document a RegistryBundleIn'),
    bodyContentType: 'application/yaml',
    responses: {
      200: { description: 'Every document was imported (or, in a dry run, would be): a report per community', schema: MultiImportReport },
      422: {
        description:
          'Some documents were refused (VALIDATION_ERROR): the reports of those imported, the failures, and every problem in `detail` with its document, path, line and column',
        schema: MultiImportFailure,
      },
      ...communityErrors({
        400: 'Not YAML, no document, or not UTF-8 (MALFORMED_REQUEST); nothing was written',
        413: true,
        415: true,
      }),
    },
  },
  export: {
    method: 'get',
    path: '/admin/export',
    operationId: 'admin_export_admin_export_get',
    tag: TAGS.management,
    summary: 'Admin Export',
    description:
      'The communities as multi-document YAML, each document starting with `---`, in canonical order (importing an export and exporting again gives the same bytes). Without parameters, every community of the organisations the caller manages, by key; with `community` (repeatable, as the published client sends it) or `key`, exactly those. Zero communities give an empty body.',
    auth: 'credentials',
    query: z.object({
      community: z.array(z.string()).optional().describe('Community key(s) to export, repeatable; omit to export all'),
      key: z.array(z.string()).optional().describe('Helio: the same as `community`'),
    }),
    responses: {
      200: { description: 'The bundles, YAML', schema: z.string(), contentType: 'text/plain' },
      ...communityErrors({ 404: 'The first key that is unknown or not the caller\'s: "Community not found: <key>"', 422: true }),
    },
  },
  bundleSchema: {
    method: 'get',
    path: '/admin/bundle-schema',
    tag: TAGS.management,
    summary: 'Bundle JSON Schema',
    description:
      "Helio: the JSON Schema of one community bundle (a JSON import's `bundle`, one YAML document), from the same definition the imports validate with.",
    auth: 'credentials',
    responses: { 200: { description: 'JSON Schema (draft 2020-12)', schema: z.record(z.string(), z.unknown()) }, ...communityErrors() },
  },
} satisfies Record<string, OperationDoc>;
