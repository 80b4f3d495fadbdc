// The bundle format published as JSON Schema, generated from the one zod
// schema (schema.ts), so the published format and the validator cannot
// drift apart. Editors use it to check a bundle file as it is written
// (`"$schema"` in JSON, `# yaml-language-server: $schema=…` in YAML).
import { z } from 'zod';
import { importRequest, registryBundleIn } from './schema.js';

/** Where the schemas say they live; the server serves them under these names. */
export const BUNDLE_SCHEMA_ID = 'urn:helio:schema:community-bundle:1';
export const IMPORT_REQUEST_SCHEMA_ID = 'urn:helio:schema:community-import-request:1';

function toJsonSchema(schema: z.ZodType, id: string, title: string, description: string): Record<string, unknown> {
  // `io: 'input'`: the shape a writer of bundles sends (optional fields are not required).
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = json;
  return { $schema, $id: id, title, description, ...rest };
}

/** JSON Schema (draft 2020-12) of one community bundle: a JSON import's bare body, one YAML document. */
export function bundleJsonSchema(): object {
  return toJsonSchema(
    registryBundleIn,
    BUNDLE_SCHEMA_ID,
    'Helio community bundle',
    'One energy community with its members, their delivery points and assets, as POST /admin/import takes it, ' +
      'as each document of POST /admin/import/yaml holds it, and as GET /admin/export writes it. Unknown fields are refused.',
  );
}

/** JSON Schema (draft 2020-12) of the JSON import's wrapped body, `{"bundle": …, "dry_run": false}`. */
export function importRequestJsonSchema(): object {
  return toJsonSchema(
    importRequest,
    IMPORT_REQUEST_SCHEMA_ID,
    'Helio community import request',
    'The body of POST /admin/import as the published client sends it: a bundle and dry_run (validate and report without writing).',
  );
}
