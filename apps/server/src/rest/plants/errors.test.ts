// How core's errors read in the Plants API: the spec's codes and per-route
// messages, Helio's statuses, `details` an object.
import { conflict, DomainError, forbidden, notFound, plants, unauthorized, validationError } from '@helio/core';
import { describe, expect, it } from 'vitest';
import { helioRouteErrors, invalidUuid, routeErrors, toPlantsErrorBody } from './errors.js';

const illegal = (from: plants.LifecycleStatus, action: Parameters<typeof plants.illegalTransition>[1]) =>
  plants.illegalTransition(from, action);

describe('Plants API error mapping', () => {
  it('answers a malformed id on the read routes INVALID_UUID with the spec message', () => {
    expect(toPlantsErrorBody(invalidUuid(), routeErrors.byId)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Invalid plant UUID',
      code: 'INVALID_UUID',
      details: { issues: [{ path: 'id', message: 'must be a UUID' }] },
    });
  });

  it("answers a malformed id on a lifecycle action with that action's BAD_REQUEST message", () => {
    expect(toPlantsErrorBody(invalidUuid(), routeErrors.suspend)).toMatchObject({
      statusCode: 400,
      code: 'BAD_REQUEST',
      message: 'Invalid UUID or plant cannot be suspended in its current state',
    });
    expect(toPlantsErrorBody(invalidUuid(), routeErrors.patch)).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Validation error, invalid UUID, or wrong-level template',
    });
    expect(toPlantsErrorBody(invalidUuid(), routeErrors.sendCommand)).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Validation error or invalid plant UUID',
    });
  });

  it('answers an illegal transition 400 BAD_REQUEST with the lifecycle table message, whatever the route', () => {
    const body = toPlantsErrorBody(illegal('PENDING', 'suspend'), routeErrors.suspend);
    expect(body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Invalid UUID or plant cannot be suspended in its current state',
      code: 'BAD_REQUEST',
      details: { issues: [{ path: 'lifecycleStatus', message: 'suspend is not allowed from PENDING' }] },
    });
    expect(toPlantsErrorBody(illegal('ACTIVE', 'reactivate'), routeErrors.reactivate).message).toBe(
      'Invalid UUID or plant cannot be reactivated in its current state',
    );
  });

  it('answers a refused decommission (the plant is already gone) PLANT_NOT_FOUND', () => {
    expect(toPlantsErrorBody(illegal('DECOMMISSIONED', 'decommission'), routeErrors.byId)).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Plant not found',
      code: 'PLANT_NOT_FOUND',
      details: {},
    });
  });

  it('answers invalid bodies with the route code and fixed message, naming each field in details.issues', () => {
    const err = validationError('invalid input: name: too short', [
      { path: 'name', message: 'too short', issue: 'too_small' },
      { path: 'type', message: 'invalid option' },
    ]);
    expect(toPlantsErrorBody(err, routeErrors.collection)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Validation error',
      code: 'VALIDATION_ERROR',
      details: {
        issues: [
          { path: 'name', message: 'too short' },
          { path: 'type', message: 'invalid option' },
        ],
      },
    });
    // Helio's own routes keep core's message.
    expect(toPlantsErrorBody(err, helioRouteErrors)).toMatchObject({ code: 'VALIDATION_ERROR', message: 'invalid input: name: too short' });
  });

  it('answers not found PLANT_NOT_FOUND with the route message, and a missing reference of a create as invalid input', () => {
    expect(toPlantsErrorBody(notFound('plant'), routeErrors.byId)).toMatchObject({
      statusCode: 404,
      code: 'PLANT_NOT_FOUND',
      message: 'Plant not found',
      details: {},
    });
    expect(toPlantsErrorBody(new DomainError('NOT_FOUND', 'Template not found'), routeErrors.patch)).toMatchObject({
      statusCode: 404,
      code: 'PLANT_NOT_FOUND',
      message: 'Plant or referenced template not found',
    });
    expect(toPlantsErrorBody(notFound('site', 'x'), routeErrors.collection)).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_ERROR',
      details: { issues: [{ path: 'siteId', message: 'site x not found' }] },
    });
    // On Helio's routes: NOT_FOUND, or PLANT_NOT_FOUND when the missing thing is a plant.
    expect(toPlantsErrorBody(new DomainError('NOT_FOUND', 'Template not found'))).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect(toPlantsErrorBody(new DomainError('NOT_FOUND', 'Plant not found'))).toMatchObject({ statusCode: 404, code: 'PLANT_NOT_FOUND' });
  });

  it('answers a taken serial number 409 PLANT_ALREADY_EXISTS, and other conflicts CONFLICT', () => {
    expect(toPlantsErrorBody(conflict('Plant with this serial number already exists'), routeErrors.collection)).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'Plant with this serial number already exists',
      code: 'PLANT_ALREADY_EXISTS',
      details: {},
    });
    expect(toPlantsErrorBody(conflict('a concurrent change got in the way; retry the request'), routeErrors.collection)).toMatchObject({
      statusCode: 409,
      code: 'CONFLICT',
    });
  });

  it('answers credentials and role refusals with the spec codes and messages', () => {
    expect(toPlantsErrorBody(unauthorized('missing credentials'), routeErrors.byId)).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Unauthorized',
      code: 'UNAUTHORIZED',
      details: {},
    });
    expect(toPlantsErrorBody(forbidden('role viewer may not change plants'), routeErrors.byId)).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'Forbidden',
      code: 'FORBIDDEN',
      details: {},
    });
  });

  it('answers an unexpected error 500 INTERNAL_SERVER_ERROR without its cause', () => {
    expect(toPlantsErrorBody(new Error('connection to 10.0.0.5 refused'), routeErrors.byId)).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
      code: 'INTERNAL_SERVER_ERROR',
      details: {},
    });
  });

  it('keeps the rate limit and body size refusals with their statuses', () => {
    expect(toPlantsErrorBody({ statusCode: 429, message: 'rate limit of 5 requests per minute exceeded' })).toMatchObject({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'rate limit of 5 requests per minute exceeded',
      details: {},
    });
    expect(toPlantsErrorBody(new DomainError('PAYLOAD_TOO_LARGE', 'body too large'))).toMatchObject({
      statusCode: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
  });
});
