// Keyset pagination for the registry's lists, with opaque cursors.
//
// Every list is ordered by its key in byte order (`COLLATE "C"`: the same on
// both engines and in every locale, and the order the key indexes are built
// in) and a page starts after the last key of the previous one. So a page
// costs the same wherever it is in the list (an index seek, then `limit`
// rows), and rows inserted or deleted between two requests never make the
// walk skip or repeat a row that was there all along.
//
// A cursor is `<payload>.<checksum>`: the payload is base64url JSON
// `{"v":1,"s":<16 hex of sha256(scope)>,"k":<last key>}`, the checksum the
// first 16 hex digits of sha256(payload + a fixed string). The scope names
// the list and its filters (and the community), so a cursor taken from
// another list or with other filters is refused, as is one that was edited
// or cut short. A cursor is NOT a credential: anyone can make a valid one,
// and it grants nothing. The checksum only catches mistakes; what a caller
// may read is decided by the query's own authorisation, whatever the cursor
// says (a made-up key merely starts the page elsewhere in a list the caller
// may read anyway).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../errors.js';
import type { CursorPage } from './shapes.js';

const CHECKSUM_DOMAIN = 'helio/communities/cursor/v1';
const MAX_CURSOR_LENGTH = 2048;
const MAX_KEY_LENGTH = 1000;
const CURSOR_FORMAT = /^[A-Za-z0-9_-]+\.[0-9a-f]{16}$/;

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

const sha16 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);

function invalidCursor(): DomainError {
  return new DomainError('MALFORMED_REQUEST', 'invalid cursor', [
    {
      path: 'cursor',
      message: 'not a cursor this list gave out: it was changed or cut short, or it belongs to another list or other filters',
      type: 'invalid_cursor',
    },
  ]);
}

/** The cursor that resumes the list named by `scope` after `lastKey`. */
export function encodeCursor(scope: string, lastKey: string): string {
  const payload = Buffer.from(JSON.stringify({ v: 1, s: sha16(scope), k: lastKey }), 'utf8').toString('base64url');
  return `${payload}.${sha16(payload + CHECKSUM_DOMAIN)}`;
}

/** The last key a cursor holds; MALFORMED_REQUEST when it is not one `encodeCursor(scope, ...)` made. */
export function decodeCursor(scope: string, cursor: string): string {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH || !CURSOR_FORMAT.test(cursor)) throw invalidCursor();
  const dot = cursor.indexOf('.');
  const payload = cursor.slice(0, dot);
  if (sha16(payload + CHECKSUM_DOMAIN) !== cursor.slice(dot + 1)) throw invalidCursor();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof body !== 'object' || body === null) throw invalidCursor();
  const { v, s, k } = body as Record<string, unknown>;
  if (v !== 1 || s !== sha16(scope) || typeof k !== 'string' || k.length === 0 || k.length > MAX_KEY_LENGTH || k.includes('\u0000')) {
    throw invalidCursor();
  }
  return k;
}

/** The scope of a list: its name and everything that selects its rows (community, filters), in a fixed order. */
export function listScope(list: string, ...parts: unknown[]): string {
  return JSON.stringify([list, ...parts.map((p) => p ?? null)]);
}

/** The pagination fields of every list query (spread into its zod object). */
export const pageQueryShape = {
  /** An integer from 1 to 500, as a number or as a query string gives it ("50"). */
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  cursor: z.string().nullable().optional().describe('Pagination cursor'),
};

export interface PageQuery {
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

/** Where a page starts and how long it is. */
export interface Keyset {
  scope: string;
  limit: number;
  /** The key the page starts after; null for the first page. */
  after: string | null;
}

/** The page a query asks for. An empty `cursor` is the first page, as an absent one. */
export function keysetOf(scope: string, q: PageQuery): Keyset {
  return {
    scope,
    limit: q.limit ?? DEFAULT_PAGE_LIMIT,
    after: q.cursor ? decodeCursor(scope, q.cursor) : null,
  };
}

/**
 * The SQL of a page: `AND <column> > $n` (in byte order) when it starts
 * after a key, then the order and `LIMIT limit + 1` (the extra row tells
 * whether another page follows). Pushes its values onto `params`.
 */
export function keysetSql(column: string, ks: Keyset, params: unknown[]): { where: string; tail: string } {
  let where = '';
  if (ks.after !== null) {
    params.push(ks.after);
    where = ` AND ${column} COLLATE "C" > $${params.length}`;
  }
  params.push(ks.limit + 1);
  return { where, tail: ` ORDER BY ${column} COLLATE "C" LIMIT $${params.length}` };
}

/** The page from the rows a `keysetSql` query returned (up to limit + 1). */
export function pageOf<R, T>(rows: R[], ks: Keyset, keyOf: (row: R) => string, view: (row: R) => T): CursorPage<T> {
  const more = rows.length > ks.limit;
  const shown = more ? rows.slice(0, ks.limit) : rows;
  return {
    items: shown.map(view),
    next_cursor: more ? encodeCursor(ks.scope, keyOf(shown[shown.length - 1]!)) : null,
  };
}
