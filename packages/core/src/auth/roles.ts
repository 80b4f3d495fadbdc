import { z } from 'zod';

export const roles = ['owner', 'admin', 'technician', 'viewer'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/**
 * What a role may do:
 * - read: everyone with a membership;
 * - write: assets and documents (owners, admins, technicians; viewers cannot write);
 * - manage: users, memberships, API keys and OAuth clients (owners and admins).
 */
export type Action = 'read' | 'write' | 'manage';

const allowed: Record<Action, readonly Role[]> = {
  read: roles,
  write: ['owner', 'admin', 'technician'],
  manage: ['owner', 'admin'],
};

export function roleAllows(role: Role, action: Action): boolean {
  return allowed[action].includes(role);
}

const rank: Record<Role, number> = { viewer: 0, technician: 1, admin: 2, owner: 3 };

/** Nobody hands out more power than they hold. */
export function roleAtMost(role: Role, ceiling: Role): boolean {
  return rank[role] <= rank[ceiling];
}

/** "an admin", "a viewer", "an uploaded": a role or status word with its article, for messages. */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}
