import { randomUUID } from 'node:crypto';
import { describeEachEngine } from '@helio/db/testing';
import { expect, it } from 'vitest';
import { readableOrganisations, systemPrincipal } from '../auth/principal.js';
import type { Role } from '../auth/roles.js';
import type { ServiceContext } from '../context.js';
import { DESKTOP_CLIENT_ID } from '../oauth/schema.js';
import { authenticateAccessToken, issueToken } from '../oauth/service.js';
import { PROTOCOL_VERSION, SCHEMA_VERSION } from '../sync/protocol.js';
import { pull } from '../sync/pull.js';
import { contextFor, lastChangeSeq, seedOrganisation, type TestOrganisation } from '../testing.js';
import { addMember, createUser, membershipsOf, removeMember } from './service.js';

const userOf = (org: TestOrganisation, role: Role) => (org.as[role].principal as { userId: string }).userId;

/** A context acting as the user with their memberships as they are now, as each request builds it. */
async function actingAs(ctx: ServiceContext, userId: string): Promise<ServiceContext> {
  return { ...ctx, principal: { kind: 'user', userId, memberships: await membershipsOf(ctx, userId) } };
}

const pullAs = (ctx: ServiceContext, cursors: Record<string, number>) =>
  pull(ctx, { protocolVersion: PROTOCOL_VERSION, schemaVersion: SCHEMA_VERSION, clientId: randomUUID(), cursors });

describeEachEngine('removing a member', (getDb) => {
  const membershipRows = async (organisationId: string, userId: string) =>
    (
      await getDb().query<{ role: Role; deleted_at: Date | null; updated_at: Date; change_seq: number }>(
        'SELECT role, deleted_at, updated_at, change_seq FROM memberships WHERE organisation_id = $1 AND user_id = $2 ORDER BY created_at, id',
        [organisationId, userId],
      )
    ).rows;

  it('tombstones the membership under the next change sequence, which the other members pull', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const technician = userOf(a, 'technician');
    const before = await lastChangeSeq(getDb(), a.id);

    const removed = await removeMember(a.as.admin, { organisationId: a.id, userId: technician });

    expect(removed).toMatchObject({ organisationId: a.id, userId: technician, role: 'technician', removedAt: expect.any(String) });
    expect(await lastChangeSeq(getDb(), a.id)).toBe(before + 1);
    const [row] = await membershipRows(a.id, technician);
    expect(row).toEqual({
      role: 'technician',
      deleted_at: new Date(removed.removedAt),
      updated_at: new Date(removed.removedAt),
      change_seq: before + 1,
    });
    const seen = await pullAs(a.as.owner, { [a.id]: before });
    expect(seen.organisations[0]!.changes).toEqual([
      expect.objectContaining({ table: 'memberships', id: removed.id, changeSeq: before + 1, deletedAt: expect.any(String) }),
    ]);
  });

  it("ends the removed user's access: their principal, their existing OAuth token and their next pull lose the organisation", async () => {
    const db = getDb();
    const a = await seedOrganisation(db, 'A');
    const b = await seedOrganisation(db, 'B');
    const system = contextFor(db, systemPrincipal);
    const password = 'a long enough password';
    const user = await createUser(system, {
      email: 'leaver@example.com',
      name: 'Leaver',
      password,
      organisationId: a.id,
      role: 'technician',
    });
    await addMember(system, { organisationId: b.id, userId: user.id, role: 'viewer' });
    const token = await issueToken(system, { grant_type: 'password', client_id: DESKTOP_CLIENT_ID, username: user.email, password });
    expect(readableOrganisations(await authenticateAccessToken(system, token.access_token))?.sort()).toEqual([a.id, b.id].sort());
    const cursors = { [a.id]: await lastChangeSeq(db, a.id), [b.id]: await lastChangeSeq(db, b.id) };

    await removeMember(a.as.owner, { organisationId: a.id, userId: user.id });

    expect(await membershipsOf(system, user.id)).toEqual(new Map([[b.id, 'viewer']]));
    const principal = await authenticateAccessToken(system, token.access_token);
    expect(principal.kind === 'user' && principal.memberships).toEqual(new Map([[b.id, 'viewer']]));
    const res = await pullAs(contextFor(db, principal), cursors);
    expect(res.revoked).toEqual([a.id]);
    expect(res.organisations.map((o) => o.organisationId)).toEqual([b.id]);
  });

  it('refuses to remove the last owner with CONFLICT and writes nothing', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const owner = userOf(a, 'owner');
    const before = await lastChangeSeq(getDb(), a.id);
    for (const ctx of [a.as.owner, contextFor(getDb(), systemPrincipal)]) {
      await expect(removeMember(ctx, { organisationId: a.id, userId: owner })).rejects.toMatchObject({
        code: 'CONFLICT',
        message: expect.stringMatching(/last owner .* make another member an owner first/),
      });
    }
    expect(await lastChangeSeq(getDb(), a.id)).toBe(before);
    expect(await membershipRows(a.id, owner)).toEqual([expect.objectContaining({ deleted_at: null })]);

    // With a second owner, either may go.
    const second = userOf(a, 'admin');
    await addMember(a.as.owner, { organisationId: a.id, userId: second, role: 'owner' });
    await removeMember(a.as.owner, { organisationId: a.id, userId: owner });
    expect(await membershipsOf({ db: getDb() }, owner)).toEqual(new Map());
  });

  it('keeps an owner when two owners remove each other at once', async () => {
    const db = getDb();
    const a = await seedOrganisation(db, 'A');
    const [first, second] = [userOf(a, 'owner'), userOf(a, 'admin')];
    await addMember(a.as.owner, { organisationId: a.id, userId: second, role: 'owner' });
    const [ctxFirst, ctxSecond] = [await actingAs(a.as.owner, first), await actingAs(a.as.owner, second)];

    const outcomes = await Promise.allSettled([
      removeMember(ctxFirst, { organisationId: a.id, userId: second }),
      removeMember(ctxSecond, { organisationId: a.id, userId: first }),
    ]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
    const { rows } = await db.query("SELECT 1 FROM memberships WHERE organisation_id = $1 AND role = 'owner' AND deleted_at IS NULL", [
      a.id,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('lets nobody remove a member above their own role, and only owners and admins remove anyone', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const before = await lastChangeSeq(getDb(), a.id);
    await expect(removeMember(a.as.admin, { organisationId: a.id, userId: userOf(a, 'owner') })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'an admin cannot remove an owner',
    });
    for (const role of ['technician', 'viewer'] as const) {
      await expect(removeMember(a.as[role], { organisationId: a.id, userId: userOf(a, 'viewer') })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    }
    expect(await lastChangeSeq(getDb(), a.id)).toBe(before);
    // Their own role is not above them: an admin may remove an admin, themselves included.
    await removeMember(a.as.admin, { organisationId: a.id, userId: userOf(a, 'admin') });
    expect(await membershipsOf({ db: getDb() }, userOf(a, 'admin'))).toEqual(new Map());
  });

  it("answers NOT_FOUND for a user who is not a member, and for another organisation's member", async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const b = await seedOrganisation(getDb(), 'B');
    const cases = [
      { organisationId: a.id, userId: userOf(b, 'viewer') },
      { organisationId: a.id, userId: randomUUID() },
      { organisationId: b.id, userId: userOf(b, 'viewer') },
    ];
    for (const input of cases) await expect(removeMember(a.as.owner, input)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Removed once, the member is gone: a second removal finds nobody.
    await removeMember(a.as.owner, { organisationId: a.id, userId: userOf(a, 'viewer') });
    await expect(removeMember(a.as.owner, { organisationId: a.id, userId: userOf(a, 'viewer') })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `user ${userOf(a, 'viewer')} is not a member of organisation ${a.id}`,
    });
    // The other organisation was not touched.
    expect(await membershipsOf({ db: getDb() }, userOf(b, 'viewer'))).toEqual(new Map([[b.id, 'viewer']]));
  });

  it('rejects invalid input with VALIDATION_ERROR', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const userId = userOf(a, 'viewer');
    for (const input of [
      { organisationId: 'nope', userId },
      { organisationId: a.id, userId: 42 },
      { organisationId: a.id },
      { organisationId: a.id, userId, role: 'viewer' },
      null,
    ]) {
      await expect(removeMember(a.as.owner, input)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    }
    expect(await membershipsOf({ db: getDb() }, userId)).toEqual(new Map([[a.id, 'viewer']]));
  });

  it('lets a removed member be added again, beside the tombstone, and sync the organisation again', async () => {
    const db = getDb();
    const a = await seedOrganisation(db, 'A');
    const userId = userOf(a, 'technician');
    await removeMember(a.as.admin, { organisationId: a.id, userId });

    const again = await addMember(a.as.admin, { organisationId: a.id, userId, role: 'viewer' });

    expect(again).toMatchObject({ organisationId: a.id, userId, role: 'viewer' });
    expect(await membershipRows(a.id, userId)).toEqual([
      expect.objectContaining({ role: 'technician', deleted_at: expect.any(Date) }),
      expect.objectContaining({ role: 'viewer', deleted_at: null, change_seq: await lastChangeSeq(db, a.id) }),
    ]);
    const res = await pullAs(await actingAs(contextFor(db), userId), { [a.id]: 0 });
    expect(res.revoked).toEqual([]);
    expect(res.organisations.map((o) => o.organisationId)).toEqual([a.id]);
  });
});

describeEachEngine('changing a member role', (getDb) => {
  it('lets nobody change the role of a member above their own, and keeps the last owner an owner', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const owner = userOf(a, 'owner');
    const before = await lastChangeSeq(getDb(), a.id);
    // An admin may not demote an owner (and then remove them as a viewer).
    await expect(addMember(a.as.admin, { organisationId: a.id, userId: owner, role: 'viewer' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'an admin cannot change the role of an owner',
    });
    // The only owner may not demote themselves, nor may the operator demote them.
    for (const ctx of [a.as.owner, contextFor(getDb(), systemPrincipal)]) {
      await expect(addMember(ctx, { organisationId: a.id, userId: owner, role: 'admin' })).rejects.toMatchObject({ code: 'CONFLICT' });
    }
    expect(await lastChangeSeq(getDb(), a.id)).toBe(before);
    expect((await membershipsOf({ db: getDb() }, owner)).get(a.id)).toBe('owner');

    // With a second owner, the first may step down; an admin may still change a technician.
    await addMember(a.as.owner, { organisationId: a.id, userId: userOf(a, 'admin'), role: 'owner' });
    await addMember(a.as.owner, { organisationId: a.id, userId: owner, role: 'admin' });
    expect((await membershipsOf({ db: getDb() }, owner)).get(a.id)).toBe('admin');
    await addMember(a.as.admin, { organisationId: a.id, userId: userOf(a, 'technician'), role: 'viewer' });
    expect((await membershipsOf({ db: getDb() }, userOf(a, 'technician'))).get(a.id)).toBe('viewer');
  });
});
