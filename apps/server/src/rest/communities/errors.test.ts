// The community registry API's error bodies, for errors the HTTP tests cannot
// easily cause: an unexpected failure, core's detail paths, a rate limit.
import { DomainError } from '@helio/core';
import { describe, expect, it } from 'vitest';
import { pathToLoc, problemOf, toCommunityError } from './errors.js';

describe('community registry API errors', () => {
  it("turns core's detail paths into FastAPI locations", () => {
    expect(pathToLoc('sensor_ids[3]')).toEqual(['sensor_ids', 3]);
    expect(pathToLoc('[12].name')).toEqual([12, 'name']);
    expect(pathToLoc('members.m-1.assets')).toEqual(['members', 'm-1', 'assets']);
    expect(pathToLoc('')).toEqual([]);
  });

  it("keeps a bundle problem's own location, document, line and column, and locates other details under the input they name", () => {
    expect(
      problemOf({ path: 'x', message: 'bad', loc: ['body', 'community', 'id'], type: 'taken', doc: 1, line: 3, column: 5 }, 'query'),
    ).toEqual({
      loc: ['body', 'community', 'id'],
      msg: 'bad',
      type: 'taken',
      doc: 1,
      line: 3,
      column: 5,
    });
    expect(problemOf({ path: 'limit', message: 'too big', issue: 'too_big' }, 'query')).toEqual({
      loc: ['query', 'limit'],
      msg: 'too big',
      type: 'too_big',
    });
    expect(problemOf({ path: 'x', message: 'no type' }, 'body')).toEqual({ loc: ['body', 'x'], msg: 'no type', type: 'value_error' });
  });

  it('answers an unexpected failure 500 without its cause', () => {
    expect(toCommunityError(new Error('connection refused at 10.0.0.5'))).toEqual({
      status: 500,
      body: { detail: 'internal error', code: 'INTERNAL_ERROR' },
    });
  });

  it('maps codes to statuses: 422 for invalid input, 400 for unreadable input, a string detail for the rest', () => {
    expect(toCommunityError(new DomainError('VALIDATION_ERROR', 'invalid'))).toEqual({
      status: 422,
      body: { detail: [{ loc: ['query'], msg: 'invalid', type: 'value_error' }], code: 'VALIDATION_ERROR' },
    });
    expect(toCommunityError(new DomainError('MALFORMED_REQUEST', 'bad cursor', [{ path: 'cursor', message: 'invalid cursor' }]))).toEqual({
      status: 400,
      body: { detail: [{ loc: ['query', 'cursor'], msg: 'invalid cursor', type: 'value_error' }], code: 'MALFORMED_REQUEST' },
    });
    expect(toCommunityError(new DomainError('NOT_FOUND', 'Community not found'))).toEqual({
      status: 404,
      body: { detail: 'Community not found', code: 'NOT_FOUND' },
    });
    expect(toCommunityError(new DomainError('FORBIDDEN', 'no')).status).toBe(403);
    expect(toCommunityError({ statusCode: 429, code: 'RATE_LIMITED', message: 'slow down' })).toEqual({
      status: 429,
      body: { detail: 'slow down', code: 'RATE_LIMITED' },
    });
  });
});
