import { describeEachEngine } from '@helio/db/testing';
import { expect, it } from 'vitest';
import { createSite, listSites } from '../sites/service.js';
import { lastChangeSeq, seedOrganisation } from '../testing.js';
import { createPortfolios, deletePortfolio, listPortfolios, listPortfoliosWithSites } from './service.js';

describeEachEngine('portfolios', (getDb) => {
  it('deleting a portfolio unassigns each of its sites with a change sequence of its own', async () => {
    const db = getDb();
    const a = await seedOrganisation(db, 'A');
    const [p, q] = await createPortfolios(a.as.admin, [{ name: 'P' }, { name: 'Q' }]);
    const s1 = await createSite(a.as.admin, { siteName: 'One', portfolioId: p!.id });
    const s2 = await createSite(a.as.admin, { siteName: 'Two', portfolioId: p!.id });
    const s3 = await createSite(a.as.admin, { siteName: 'Three', portfolioId: q!.id });
    const before = await lastChangeSeq(db, a.id);

    await deletePortfolio(a.as.technician, p!.id);
    expect((await listSites(a.as.viewer)).map((s) => [s.siteName, s.portfolioId])).toEqual([
      ['One', null],
      ['Two', null],
      ['Three', q!.id],
    ]);
    expect((await listPortfolios(a.as.viewer)).map((x) => x.id)).toEqual([q!.id]);
    expect((await listPortfoliosWithSites(a.as.viewer)).map((x) => x.sites.map((s) => s.id))).toEqual([[s3.id]]);

    // Two unassigned sites and the tombstone: three new sequence numbers, one each.
    const { rows } = await db.query<{ id: string; change_seq: number; deleted_at: Date | null }>(
      'SELECT id, change_seq, deleted_at FROM sites WHERE id = ANY($1::uuid[]) UNION ALL SELECT id, change_seq, deleted_at FROM portfolios WHERE id = $2',
      [[s1.id, s2.id], p!.id],
    );
    expect(rows.map((r) => r.change_seq).sort((x, y) => x - y)).toEqual([before + 1, before + 2, before + 3]);
    expect(rows.find((r) => r.id === p!.id)?.deleted_at).toBeInstanceOf(Date);
    expect(await lastChangeSeq(db, a.id)).toBe(before + 3);
  });

  it('a bulk create that fails part-way writes no portfolio and takes no change sequence', async () => {
    const db = getDb();
    const a = await seedOrganisation(db, 'A');
    const before = await lastChangeSeq(db, a.id);
    const id = '01900000-0000-7000-8000-0000000000aa';
    // The driver's error reaches the transport, which answers CONFLICT (see the REST tests).
    await expect(createPortfolios(a.as.admin, [{ name: 'One' }, { id, name: 'Two' }, { id, name: 'Three' }])).rejects.toMatchObject({
      kind: 'unique_violation',
    });
    await expect(createPortfolios(a.as.viewer, [{ name: 'One' }])).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await listPortfolios(a.as.admin)).toEqual([]);
    expect(await lastChangeSeq(db, a.id)).toBe(before);
  });
});
