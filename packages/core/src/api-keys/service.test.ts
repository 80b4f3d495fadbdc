import { describeEachEngine } from '@helio/db/testing';
import { expect, it, vi } from 'vitest';
import { contextFor, seedOrganisation } from '../testing.js';
import { DomainError } from '../errors.js';
import { authenticateApiKey, authenticateApiKeys, createApiKey, listApiKeys, revokeApiKey } from './service.js';

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

  it('checks several keys in one read, each getting its own answer', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const b = await seedOrganisation(getDb(), 'B');
    const ofA = await createApiKey(a.as.admin, { name: 'a', role: 'viewer' });
    const ofB = await createApiKey(b.as.admin, { name: 'b', role: 'technician' });
    const revoked = await createApiKey(a.as.admin, { name: 'old', role: 'admin' });
    await revokeApiKey(a.as.owner, revoked.id);
    const forged = `${ofB.prefix}_${'A'.repeat(43)}`;

    const reads = vi.spyOn(getDb(), 'query');
    const results = await authenticateApiKeys(contextFor(getDb()), [ofA.key, revoked.key, ofB.key, forged, 'not a key', ofA.key]);
    // One read for the keys, one write for their first use.
    expect(reads).toHaveBeenCalledTimes(2);
    reads.mockRestore();

    expect(results[0]).toMatchObject({ kind: 'apiKey', keyId: ofA.id, memberships: new Map([[a.id, 'viewer']]) });
    expect(results[2]).toMatchObject({ kind: 'apiKey', keyId: ofB.id, memberships: new Map([[b.id, 'technician']]) });
    expect(results[5]).toEqual(results[0]);
    expect(results[1]).toMatchObject({ code: 'UNAUTHORIZED', message: 'this API key has been revoked' });
    for (const refused of [results[3], results[4]]) {
      expect(refused).toBeInstanceOf(DomainError);
      expect(refused).toMatchObject({ code: 'UNAUTHORIZED', message: 'invalid API key' });
    }
    const used = await listApiKeys(a.as.owner);
    expect(used.find((k) => k.id === ofA.id)?.lastUsedAt).not.toBeNull();
    expect(used.find((k) => k.id === revoked.id)?.lastUsedAt).toBeNull();
  });
});
