// Request bodies of the community registry API: JSON (the import, the batch
// lookup) and raw YAML (the YAML import). Both are read as bytes and must be
// UTF-8; a body that cannot be read is 400 MALFORMED_REQUEST naming where it
// broke (line and column), not the first error of a later stage.
import { communities, DomainError } from '@helio/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { prefixLocs, unsupportedMediaTypeMessage } from './errors.js';

/**
 * The import bodies' limit: a community of 10,000 members with their delivery
 * points and assets is about 15 MiB of JSON, so twice that. Anything larger
 * is refused from its Content-Length before a byte is read, or as soon as a
 * chunked body passes the limit (fastify counts while it reads).
 */
export const IMPORT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/** What the YAML import takes: the published client sends application/yaml, its docs text/yaml. */
export const YAML_CONTENT_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml', 'text/x-yaml', 'text/plain'] as const;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body's text, or MALFORMED_REQUEST when its bytes are not UTF-8. A leading BOM is dropped. */
export function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new DomainError('MALFORMED_REQUEST', 'the body is not UTF-8', [
      { path: '', loc: ['body'], message: 'Invalid UTF-8 body: the bytes are not valid UTF-8', type: 'utf8_invalid' },
    ]);
  }
}

/**
 * A JSON body with the text it was read from: the import looks in the text
 * for keys an object repeats, which the parsed value no longer shows (the
 * last one wins).
 */
export class JsonWithText {
  constructor(
    readonly value: unknown,
    readonly text: string,
  ) {}
}

/**
 * Replaces the JSON parser of `app`'s routes: UTF-8 only, refuses the
 * `__proto__` and `constructor.prototype` keys as fastify's parser does, and
 * says where malformed JSON broke. With `keepText` the body is a
 * `JsonWithText`: the value, parsed once, and its text.
 */
export function communityJsonParser(app: FastifyInstance, opts: { keepText?: boolean } = {}): void {
  const secureJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = decodeUtf8(body as Buffer);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    if (text.trim() === '') {
      done(
        new DomainError('MALFORMED_REQUEST', 'the body is empty', [
          { path: '', loc: ['body'], message: 'Field required', type: 'missing' },
        ]),
        undefined,
      );
      return;
    }
    secureJson(request, text, (err, value) => {
      if (!err) {
        done(null, opts.keepText ? new JsonWithText(value, text) : value);
        return;
      }
      done(jsonProblem(text), undefined);
    });
  });
}

/** Why `text` is not acceptable JSON: its syntax error, located, or a forbidden prototype key. */
function jsonProblem(text: string): DomainError {
  try {
    communities.parseJsonText(text);
  } catch (err) {
    if (err instanceof DomainError) return new DomainError(err.code, err.message, prefixLocs(err.details, ['body']));
    throw err;
  }
  // Valid JSON that the secure parser refused: it holds a prototype-poisoning key.
  return new DomainError('MALFORMED_REQUEST', 'the body holds a forbidden key', [
    { path: '', loc: ['body'], message: 'the keys __proto__ and constructor.prototype are not allowed', type: 'json_invalid' },
  ]);
}

/**
 * The YAML import's parser: any body, as bytes, for the listed content types
 * or none (a YAML body needs no label). Another type is refused before the
 * body is read (see `refuseOtherContentTypes`).
 */
export function yamlBodyParser(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
}

/** A `preParsing` hook: 415 for a content type outside the route's list, before a byte is read. */
export async function refuseOtherContentTypes(request: FastifyRequest): Promise<void> {
  const header = request.headers['content-type'];
  if (header === undefined) return;
  const mediaType = header.split(';')[0]!.trim().toLowerCase();
  const accepts = request.routeOptions.config.communityAccepts ?? [];
  if (!accepts.includes(mediaType)) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', unsupportedMediaTypeMessage(request));
}
