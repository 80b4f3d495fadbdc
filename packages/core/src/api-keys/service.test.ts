import { describeEachEngine } from '@helio/db/testing';
import { expect, it } from 'vitest';
import { contextFor, seedOrganisation } from '../testing.js';
import { authenticateApiKey, createApiKey, listApiKeys, revokeApiKey } from './service.js';

describeEachEngine('API keys', (getDb) => {
  const keyCount = async () => (await getDb().query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys')).rows[0]!.n;

  it('lets owners and admins create keys up to their own role, and nobody else', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const b = await seedOrganisation(getDb(), 'B');
    await expect(createApiKey(a.as.technician, { name: 'k', role: 'viewer' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(createApiKey(a.as.viewer, { name: 'k', role: 'viewer' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(createApiKey(a.as.admin, { name: 'k', role: 'owner' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/admin cannot create a key with the owner role/),
    });
    await expect(createApiKey(b.as.owner, { name: 'k', organisationId: a.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(createApiKey(a.as.admin, { name: 'k', role: 'root' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await keyCount()).toBe(0);

    const admin = await createApiKey(a.as.admin, { name: 'integration', role: 'admin' });
    const owner = await createApiKey(a.as.owner, { name: 'break glass', role: 'owner' });
    expect([admin.organisationId, admin.role, owner.role]).toEqual([a.id, 'admin', 'owner']);
    expect(await keyCount()).toBe(2);
  });

  it('shows the key once and lists keys by prefix only, to their managers only', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const created = await createApiKey(a.as.owner, { name: 'ci', role: 'technician' });
    expect(created.key).toMatch(/^hk_[0-9a-f]{10}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(`${created.prefix}_`)).toBe(true);

    const { key: _shownOnce, ...listed } = created;
    expect(await listApiKeys(a.as.admin)).toEqual([listed]);
    expect(JSON.stringify(await listApiKeys(a.as.owner))).not.toContain(created.key.slice(created.prefix.length + 1));
    expect(await listApiKeys(a.as.technician)).toEqual([]);
    await expect(listApiKeys(a.as.technician, { organisationId: a.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('revokes a key for good, by a manager of its organisation only', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const b = await seedOrganisation(getDb(), 'B');
    const created = await createApiKey(a.as.admin, { name: 'ci', role: 'technician' });
    const principal = await authenticateApiKey(contextFor(getDb()), created.key);
    expect(principal).toMatchObject({ kind: 'apiKey', keyId: created.id, memberships: new Map([[a.id, 'technician']]) });

    await expect(revokeApiKey(a.as.technician, created.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(revokeApiKey(b.as.owner, created.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(revokeApiKey(a.as.owner, 'nope')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(authenticateApiKey(contextFor(getDb()), created.key)).resolves.toBeDefined();

    const revoked = await revokeApiKey(a.as.owner, created.id);
    expect(revoked.revokedAt).not.toBeNull();
    await expect(authenticateApiKey(contextFor(getDb()), created.key)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    // Revoking again keeps the first revocation time.
    expect((await revokeApiKey(a.as.admin, created.id)).revokedAt).toBe(revoked.revokedAt);
  });
});
