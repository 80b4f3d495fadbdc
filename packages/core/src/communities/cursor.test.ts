import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { decodeCursor, encodeCursor, keysetOf, keysetSql, listScope, pageOf } from './cursor.js';

const scope = listScope('members', '0190c5a0-0000-7000-8000-000000000001', 'prosumer', null, undefined);

function expectInvalid(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('MALFORMED_REQUEST');
    expect((err as DomainError).message).toBe('invalid cursor');
    expect((err as DomainError).details[0]).toMatchObject({ path: 'cursor', type: 'invalid_cursor' });
    return;
  }
  throw new Error('expected an invalid cursor');
}

const [payloadOf, checksumOf] = (() => {
  const c = encodeCursor(scope, 'm-0042');
  return [c.split('.')[0]!, c.split('.')[1]!];
})();

describe('registry cursors', () => {
  it('give back the key they were made with, for the same list and filters', () => {
    for (const key of ['m-0042', 'a', 'IT001E00001234', 'ü~.-_', 'x'.repeat(200)]) {
      expect(decodeCursor(scope, encodeCursor(scope, key))).toBe(key);
    }
  });

  it('are opaque URL-safe text', () => {
    const cursor = encodeCursor(scope, 'm-0042');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[0-9a-f]{16}$/);
    expect(cursor).not.toContain('m-0042');
    expect(encodeURIComponent(cursor)).toBe(cursor);
  });

  it('refuse a cursor of another list or with other filters', () => {
    const cursor = encodeCursor(scope, 'm-0042');
    expectInvalid(() => decodeCursor(listScope('members', '0190c5a0-0000-7000-8000-000000000002', 'prosumer', null, null), cursor));
    expectInvalid(() => decodeCursor(listScope('members', '0190c5a0-0000-7000-8000-000000000001', 'consumer', null, null), cursor));
    expectInvalid(() => decodeCursor(listScope('assets', '0190c5a0-0000-7000-8000-000000000001', 'prosumer', null, null), cursor));
  });

  it('treat absent and null filters alike in a scope', () => {
    expect(listScope('x', undefined, null)).toBe(listScope('x', null, undefined));
  });

  it('refuse a tampered payload, even with its checksum recomputed by someone who does not know the scope', () => {
    const forged = Buffer.from(JSON.stringify({ v: 1, s: '0000000000000000', k: 'm-0001' })).toString('base64url');
    expectInvalid(() => decodeCursor(scope, `${forged}.${checksumOf}`));
    // A flipped character of the payload or of the checksum.
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    expectInvalid(() => decodeCursor(scope, `${flip(payloadOf, 3)}.${checksumOf}`));
    expectInvalid(() => decodeCursor(scope, `${payloadOf}.${flip(checksumOf.replace(/[^0-9]/g, '0'), 0)}`));
  });

  it('refuse a truncated, empty, garbled or oversized cursor', () => {
    const cursor = encodeCursor(scope, 'm-0042');
    for (const bad of [
      cursor.slice(0, -1),
      cursor.slice(1),
      payloadOf,
      '',
      '.',
      'not a cursor',
      `${payloadOf}.${checksumOf}.x`,
      'eyJrIjoibS0wNTAifQ',
      `${'A'.repeat(3000)}.${checksumOf}`,
    ]) {
      expectInvalid(() => decodeCursor(scope, bad));
    }
  });

  it('refuse well-checksummed payloads that are not cursors (the checksum is no secret)', () => {
    // The checksum's recipe is public (a cursor is not a credential), so a
    // made-up payload with a right checksum must still be checked for what it holds.
    const sha16 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
    const signed = (body: string) => {
      const payload = Buffer.from(body).toString('base64url');
      return `${payload}.${sha16(`${payload}helio/communities/cursor/v1`)}`;
    };
    const s = sha16(scope);
    expect(decodeCursor(scope, signed(JSON.stringify({ v: 1, s, k: 'm-9' })))).toBe('m-9');
    for (const body of [
      JSON.stringify({ v: 2, s, k: 'm-9' }),
      JSON.stringify({ s, k: 'm-9' }),
      JSON.stringify({ v: 1, k: 'm-9' }),
      JSON.stringify({ v: 1, s, k: 9 }),
      JSON.stringify({ v: 1, s, k: '' }),
      JSON.stringify({ v: 1, s, k: 'a\u0000b' }),
      JSON.stringify({ v: 1, s, k: 'x'.repeat(1001) }),
      JSON.stringify([1, s, 'm-9']),
      'null',
      '"m-9"',
      '{not json',
    ]) {
      expectInvalid(() => decodeCursor(scope, signed(body)));
    }
  });

  it('start the first page without a cursor, or with an empty one', () => {
    expect(keysetOf(scope, {})).toEqual({ scope, limit: 50, after: null });
    expect(keysetOf(scope, { cursor: '', limit: 7 })).toEqual({ scope, limit: 7, after: null });
    expect(keysetOf(scope, { cursor: null })).toEqual({ scope, limit: 50, after: null });
    expect(keysetOf(scope, { cursor: encodeCursor(scope, 'm-7') }).after).toBe('m-7');
  });

  it('page in byte order after the last key, asking one row more than the page', () => {
    const params: unknown[] = ['community'];
    const sql = keysetSql('m.key', { scope, limit: 10, after: 'm-5' }, params);
    expect(sql.where).toBe(' AND m.key COLLATE "C" > $2');
    expect(sql.tail).toBe(' ORDER BY m.key COLLATE "C" LIMIT $3');
    expect(params).toEqual(['community', 'm-5', 11]);
    const first: unknown[] = [];
    expect(keysetSql('k', { scope, limit: 2, after: null }, first)).toEqual({ where: '', tail: ' ORDER BY k COLLATE "C" LIMIT $1' });
    expect(first).toEqual([3]);
  });

  it('give a next cursor only when a further row exists', () => {
    const ks = { scope, limit: 2, after: null };
    const full = pageOf(
      ['a', 'b', 'c'],
      ks,
      (r) => r,
      (r) => r.toUpperCase(),
    );
    expect(full.items).toEqual(['A', 'B']);
    expect(decodeCursor(scope, full.next_cursor!)).toBe('b');
    expect(
      pageOf(
        ['a', 'b'],
        ks,
        (r) => r,
        (r) => r,
      ),
    ).toEqual({ items: ['a', 'b'], next_cursor: null });
    expect(
      pageOf(
        [],
        ks,
        (r: string) => r,
        (r) => r,
      ),
    ).toEqual({ items: [], next_cursor: null });
  });
});
