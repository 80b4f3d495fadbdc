import type { Db } from '@helio/db';
import { describeEachEngine } from '@helio/db/testing';
import { expect, it } from 'vitest';
import { systemPrincipal, type Principal } from '../auth/principal.js';
import { addSitesToPortfolio, createPortfolios, removeSiteFromPortfolio, updatePortfolio } from '../portfolios/service.js';
import { contextFor, lastChangeSeq, seedOrganisation } from '../testing.js';
import { createSite, deleteSite, getSite, listSites, siteListVersions, updateSite } from './service.js';

describeEachEngine('sites', (getDb, engine) => {
  const seqOf = async (table: 'sites' | 'portfolios', id: string) =>
    (await getDb().query<{ change_seq: number }>(`SELECT change_seq FROM ${table} WHERE id = $1`, [id])).rows[0]!.change_seq;

  it('gives every write the next change sequence of its own organisation', async () => {
    const db = getDb();
    const a = await seedOrganisation(db, 'A');
    const b = await seedOrganisation(db, 'B');
    const ctx = a.as.technician;
    let last = await lastChangeSeq(db, a.id);
    const bBefore = await lastChangeSeq(db, b.id);
    // Each write takes exactly one new number, one above the one before, and stamps it on its row.
    const expectNext = async (table: 'sites' | 'portfolios', id: string) => {
      last += 1;
      expect(await lastChangeSeq(db, a.id)).toBe(last);
      expect(await seqOf(table, id)).toBe(last);
    };

    const site = await createSite(ctx, { siteName: 'S' });
    await expectNext('sites', site.id);
    await updateSite(ctx, site.id, { capacity: 5 });
    await expectNext('sites', site.id);
    const [p] = await createPortfolios(ctx, [{ name: 'P' }]);
    await expectNext('portfolios', p!.id);
    await updatePortfolio(ctx, p!.id, { name: 'P2' });
    await expectNext('portfolios', p!.id);
    await addSitesToPortfolio(ctx, p!.id, { siteIds: [site.id] });
    await expectNext('sites', site.id);
    await removeSiteFromPortfolio(ctx, p!.id, { siteId: site.id });
    await expectNext('sites', site.id);
    await deleteSite(ctx, site.id);
    await expectNext('sites', site.id);

    // A refused write takes no number; another organisation's counter never moves.
    await expect(updateSite(ctx, site.id, { capacity: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(createSite(ctx, { siteName: 'x', latitude: 100 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await lastChangeSeq(db, a.id)).toBe(last);
    expect(await lastChangeSeq(db, b.id)).toBe(bBefore);
  });

  it('hands concurrent writers of one organisation distinct, gapless change sequences', async () => {
    const db = getDb();
    const a = await seedOrganisation(db, 'A');
    const start = await lastChangeSeq(db, a.id);
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => createSite(a.as.admin, { siteName: `S${i}` })));
    const seqs = await Promise.all(created.map((s) => seqOf('sites', s.id)));
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => start + 1 + i));
    expect(await lastChangeSeq(db, a.id)).toBe(start + 20);
  });

  it('tombstones a deleted site: hidden from every read, kept with its deletion time', async () => {
    const db = getDb();
    const a = await seedOrganisation(db, 'A');
    const site = await createSite(a.as.admin, { siteName: 'Gone' });
    const kept = await createSite(a.as.admin, { siteName: 'Kept' });
    await deleteSite(a.as.admin, site.id);

    await expect(getSite(a.as.admin, site.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await listSites(a.as.viewer)).map((s) => s.id)).toEqual([kept.id]);
    await expect(listSites(a.as.viewer, { siteId: site.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(updateSite(a.as.admin, site.id, { siteName: 'Back' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(deleteSite(a.as.admin, site.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { rows } = await db.query<{ site_name: string; deleted_at: Date | null; updated_at: Date }>(
      'SELECT site_name, deleted_at, updated_at FROM sites WHERE id = $1',
      [site.id],
    );
    expect(rows).toEqual([{ site_name: 'Gone', deleted_at: expect.any(Date), updated_at: rows[0]!.deleted_at }]);
  });

  it("lets viewers read but not write, and shows nobody another organisation's sites", async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const b = await seedOrganisation(getDb(), 'B');
    const site = await createSite(a.as.technician, { siteName: 'A site' });
    await expect(createSite(a.as.viewer, { siteName: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(updateSite(a.as.viewer, site.id, { siteName: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(deleteSite(a.as.viewer, site.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await getSite(a.as.viewer, site.id)).toEqual(site);

    await expect(getSite(b.as.owner, site.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(deleteSite(b.as.owner, site.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await listSites(b.as.owner)).toEqual([]);
    expect(await listSites(contextFor(getDb()))).toEqual([site]);
  });

  // PGlite has one connection, so its transactions never overlap; this race needs PostgreSQL.
  it.skipIf(engine === 'pglite')('puts no site into a portfolio whose deletion commits while the site is written', async () => {
    const db = getDb();
    const a = await seedOrganisation(db, 'A');
    const existing = await createSite(a.as.admin, { siteName: 'Existing' });
    const writes = [
      (portfolioId: string) => createSite(a.as.admin, { siteName: 'Racer', portfolioId }),
      (portfolioId: string) => updateSite(a.as.admin, existing.id, { portfolioId }),
    ];
    for (const write of writes) {
      const [p] = await createPortfolios(a.as.admin, [{ name: 'P' }]);
      const { waited, outcome } = await whileDeleting(db, p!.id, () => write(p!.id));
      expect(waited).toBe(true);
      expect(outcome).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
    expect((await listSites(a.as.admin)).map((s) => [s.siteName, s.portfolioId])).toEqual([['Existing', null]]);
  });

  it('stores time zones in their canonical spelling and refuses unknown ones', async () => {
    const a = await seedOrganisation(getDb(), 'A');
    const site = await createSite(a.as.technician, { siteName: 'Zoned', timezone: 'europe/berlin' });
    expect(site.timezone).toBe('Europe/Berlin');
    expect((await updateSite(a.as.technician, site.id, { timezone: 'utc' })).timezone).toBe('UTC');
    await expect(updateSite(a.as.technician, site.id, { timezone: 'Europe/Atlantis' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect((await getSite(a.as.viewer, site.id)).timezone).toBe('UTC');
  });

  it("changes a caller's list version with every write to its organisations, and only then", async () => {
    const db = getDb();
    const a = await seedOrganisation(db, 'A');
    const b = await seedOrganisation(db, 'B');
    const version = async (ctx: { principal: Principal }) => (await siteListVersions({ db }, [ctx.principal]))[0];
    const site = await createSite(a.as.technician, { siteName: 'S' });
    const seen = new Set([await version(a.as.viewer)]);
    const expectChanged = async () => {
      const now = await version(a.as.viewer);
      expect(seen.has(now)).toBe(false);
      seen.add(now);
    };
    await updateSite(a.as.technician, site.id, { capacity: 5 });
    await expectChanged();
    const [p] = await createPortfolios(a.as.technician, [{ name: 'P' }]);
    await expectChanged();
    await addSitesToPortfolio(a.as.technician, p!.id, { siteIds: [site.id] });
    await expectChanged();
    await deleteSite(a.as.technician, site.id);
    await expectChanged();

    const before = await version(a.as.viewer);
    await createSite(b.as.technician, { siteName: 'Elsewhere' });
    expect(await version(a.as.viewer)).toBe(before);
    // One read answers for several callers, each with its own organisations; the system principal reads everything.
    const [ofA, ofB, ofSystem] = await siteListVersions({ db }, [a.as.owner.principal, b.as.owner.principal, systemPrincipal]);
    expect([ofA, ofB]).toEqual([before, await version(b.as.viewer)]);
    expect(ofA).not.toBe(ofB);
    expect(ofSystem).toBeNull();
  });
});

/**
 * Runs `write` while another transaction has tombstoned the portfolio but not
 * yet committed; commits the deletion once `write` waits for it (or has finished).
 */
async function whileDeleting(db: Db, portfolioId: string, write: () => Promise<unknown>) {
  let commit!: () => void;
  let tombstoned!: () => void;
  const released = new Promise<void>((resolve) => (commit = resolve));
  const started = new Promise<void>((resolve) => (tombstoned = resolve));
  const deletion = db.transaction(async (tx) => {
    await tx.query('UPDATE portfolios SET deleted_at = now() WHERE id = $1', [portfolioId]);
    tombstoned();
    await released;
  });
  await started;
  const writing = write().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const first = await Promise.race([writing.then(() => 'finished' as const), waitForLockWait(db).then(() => 'waiting' as const)]);
  commit();
  await deletion;
  return { waited: first === 'waiting', outcome: await writing };
}

async function waitForLockWait(db: Db): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if (rows[0]!.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no transaction waited for a lock');
}
