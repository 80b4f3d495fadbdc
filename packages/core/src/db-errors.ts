import { DbError } from '@helio/db';
import { conflict, DomainError, notFound, validationError } from './errors.js';

/**
 * Database errors that reach a transport become domain errors here, once: a
 * constraint the service did not pre-check still yields a stable code.
 */
export function toDomainError(err: unknown): unknown {
  if (!(err instanceof DbError)) return err;
  switch (err.kind) {
    case 'unique_violation':
      return conflict('an object with this id or key already exists');
    case 'foreign_key_violation':
      return notFound('referenced object');
    case 'check_violation':
    case 'not_null_violation':
    case 'invalid_text':
      return validationError('invalid input: a value is out of range or malformed');
    case 'serialization_failure':
      return new DomainError('CONFLICT', 'a concurrent change got in the way; retry the request');
    default:
      return err;
  }
}
