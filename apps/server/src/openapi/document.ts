import { z } from 'zod';
import { communityTags } from '../rest/communities/index.js';
import { version } from '../version.js';
import type { OperationDoc } from './describe.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(type: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(type, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  // Named schemas (`.meta({ id })`) land in definitions; OpenAPI keeps them under components.
  const text = JSON.stringify(json)
    .replaceAll('"#/definitions/', '"#/components/schemas/')
    .replaceAll('"#/$defs/', '"#/components/schemas/');
  const relinked = JSON.parse(text) as JsonSchema & { definitions?: Record<string, JsonSchema>; $defs?: Record<string, JsonSchema> };
  const { definitions, $defs, $schema: _dialect, ...rest } = relinked;
  for (const [id, def] of Object.entries({ ...definitions, ...$defs })) components[id] = def;
  return rest;
}

function parameters(location: 'path' | 'query' | 'header', shape: z.ZodObject | undefined, components: Record<string, JsonSchema>) {
  if (!shape) return [];
  return Object.entries(shape.shape).map(([name, field]) => {
    const fieldType = field as z.ZodType;
    const schema = schemaOf(fieldType, 'input', components);
    const optional = fieldType.safeParse(undefined).success;
    return {
      name,
      in: location,
      required: location === 'path' || !optional,
      schema,
      ...(typeof schema['description'] === 'string' ? { description: schema['description'] } : {}),
    };
  });
}

/** Builds the OpenAPI 3.0 document from the operation list; every schema comes from zod. */
export function buildOpenApiDocument(operations: readonly OperationDoc[]): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const responses = Object.fromEntries(
      Object.entries(op.responses).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.schema ? { content: { [r.contentType ?? 'application/json']: { schema: schemaOf(r.schema, 'output', components) } } } : {}),
        },
      ]),
    );
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      operationId:
        op.operationId ??
        `${op.method}${op.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [
        ...parameters('path', op.params, components),
        ...parameters('query', op.query, components),
        ...parameters('header', op.headers, components),
      ],
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { [op.bodyContentType ?? 'application/json']: { schema: schemaOf(op.body, 'input', components) } },
            },
          }
        : {}),
      responses,
      security: op.auth === 'credentials' ? [{ apiKey: [] }, { bearer: [] }] : [],
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Helio',
      version,
      description:
        'Helio serves several public APIs over one domain model. Authenticate with an `x-api-key` header ' +
        '(create keys with `npx helio apikey create`) or an OAuth2 bearer token from `POST /oauth/token`. ' +
        'Errors share one body: `{statusCode, error, message, code, details}`, except on the community registry API (/user, /admin), ' +
        "whose errors are FastAPI's `{detail, code}`. Text may not contain the NUL character " +
        '(U+0000): such a request is 400 VALIDATION_ERROR naming each field. An unexpected failure is 500 INTERNAL_ERROR ' +
        'with the message `internal error`; its cause goes to the server log only.',
    },
    tags: [
      { name: 'Alentis', description: 'Organisations, portfolios, sites and documents, at /api' },
      { name: 'OAuth', description: 'Tokens for bearer authentication' },
      {
        name: 'Locus',
        description: 'The Locus Energy v3 API, at /v3: partners, clients, sites, components, data and alerts by integer id',
      },
      {
        name: 'Plants',
        description:
          "The Plants API, at /api/v1: devices, their lifecycle, provisioning and MQTT credentials, commands; and Helio's device templates and plant groups. Its errors carry the spec's codes, with `details` an object",
      },
      ...communityTags,
      { name: 'Sync', description: 'Notifications for syncing clients (the protocol itself is the tRPC sync router)' },
      { name: 'System', description: 'Health and version' },
    ],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        bearer: { type: 'http', scheme: 'bearer', description: 'An OAuth2 access token (or an API key)' },
      },
    },
  };
}
