// Who may do what to a plant, and the errors the plants domain answers with.
import { roleAllows, type Action } from '../auth/roles.js';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors.js';

export const PLANT_NOT_FOUND = 'Plant not found';
export const PLANT_OR_TEMPLATE_NOT_FOUND = 'Plant or referenced template not found';
export const SERIAL_TAKEN = 'Plant with this serial number already exists';

export function plantNotFound(message = PLANT_NOT_FOUND): DomainError {
  return new DomainError('NOT_FOUND', message);
}

/** A malformed plant id: VALIDATION_ERROR marked `invalid_uuid` (the Plants API answers INVALID_UUID). */
export function invalidPlantId(field = 'id'): DomainError {
  return new DomainError('VALIDATION_ERROR', 'Invalid plant UUID', [{ path: field, message: 'must be a UUID', issue: 'invalid_uuid' }]);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id, lower-cased, or VALIDATION_ERROR (`invalid_uuid`). */
export function parsePlantId(value: unknown, field = 'id'): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw invalidPlantId(field);
  return value.toLowerCase();
}

const verbs: Record<Action, string> = { read: 'see', write: 'change', manage: 'manage the credentials and lifecycle of' };

/**
 * Checks that the principal may act on an organisation's plants (or
 * templates, groups). No membership is "not found" (another organisation's
 * plant never leaks); too small a role is FORBIDDEN.
 */
export function authorizePlants(
  p: Principal,
  organisationId: string,
  action: Action,
  notFound: () => DomainError = () => plantNotFound(),
  what = 'plants',
): void {
  if (p.kind === 'system') return;
  const role = p.memberships.get(organisationId);
  if (!role) throw notFound();
  if (!roleAllows(role, action)) throw new DomainError('FORBIDDEN', `role ${role} may not ${verbs[action]} ${what} in this organisation`);
}
