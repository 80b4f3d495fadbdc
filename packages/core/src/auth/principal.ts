import { forbidden, notFound, validationError } from '../errors.js';
import { roleAllows, type Action, type Role } from './roles.js';

/**
 * Who is acting. `memberships` maps each organisation the principal may see
 * to its role there; the system principal (CLI, migrations) may do anything.
 */
export type Principal =
  | { kind: 'user'; userId: string; memberships: ReadonlyMap<string, Role> }
  | { kind: 'apiKey'; keyId: string; userId: string | null; memberships: ReadonlyMap<string, Role> }
  | { kind: 'client'; clientId: string; userId: null; memberships: ReadonlyMap<string, Role> }
  | { kind: 'system' };

export const systemPrincipal: Principal = { kind: 'system' };

export function actingUserId(p: Principal): string | null {
  return p.kind === 'system' ? null : p.userId;
}

/** Organisations the principal may read; `null` means every organisation (system). */
export function readableOrganisations(p: Principal): string[] | null {
  return p.kind === 'system' ? null : [...p.memberships.keys()];
}

/**
 * Checks that the principal may act on an organisation's objects. No
 * membership at all is "not found", so another tenant's objects never leak;
 * a membership with too small a role is "forbidden".
 */
export function authorize(p: Principal, organisationId: string, action: Action, entity = 'object', id?: string): void {
  if (p.kind === 'system') return;
  const role = p.memberships.get(organisationId);
  if (!role) throw notFound(entity, id);
  if (!roleAllows(role, action)) {
    throw forbidden(`role ${role} may not ${action === 'manage' ? 'manage users and keys' : 'make changes'} in this organisation`);
  }
}

export function roleIn(p: Principal, organisationId: string): Role | undefined {
  return p.kind === 'system' ? 'owner' : p.memberships.get(organisationId);
}

/**
 * The organisation a new object goes to: the one asked for (which must be the
 * principal's), or the principal's only organisation.
 */
export function targetOrganisation(p: Principal, requested: string | undefined, action: Action = 'write'): string {
  if (requested) {
    authorize(p, requested, action, 'organisation', requested);
    return requested;
  }
  if (p.kind !== 'system' && p.memberships.size === 1) {
    const [only] = p.memberships.keys();
    authorize(p, only!, action);
    return only!;
  }
  throw validationError('organisationId is required when the caller belongs to several organisations', [
    { path: 'organisationId', message: 'required: name the organisation (header x-organisation-id on REST)' },
  ]);
}
