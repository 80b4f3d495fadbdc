import type { Db } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { seedOrganisation, type TestOrganisation } from '../testing.js';
import { encodeCursor, listScope } from './cursor.js';
import { listAssets, listCommunities, listDeliveryPoints, listMembers, listMeters } from './queries.js';
import type { CursorPage } from './shapes.js';
import { seedCommunity, seedMembers, type SeedMember } from './testing.js';

async function expectBadCursor(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe('MALFORMED_REQUEST');
  expect((err as DomainError).details[0]!.path).toBe('cursor');
}

/** Byte order of ASCII keys (what COLLATE "C" gives): JS's default sort. */
const byteOrder = (keys: string[]) => [...keys].sort();

// Keys whose byte order differs from a linguistic one (case, punctuation).
const TRICKY = ['W-1', 'w-1', 'w.1', 'w_1', 'w~1', 'W_2', '0-w', 'w-10', 'w-2'];

type Fetch = (cursor: string | undefined) => Promise<CursorPage<{ key: string }>>;

interface Walk {
  seen: string[];
  pages: number;
}

/** Walks a list to its end, calling `between(pageIndex, lastKeyOfPage)` after every page. */
async function walk(fetch: Fetch, between: (page: number, last: string) => Promise<void> = async () => {}): Promise<Walk> {
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await fetch(cursor);
    pages += 1;
    seen.push(...page.items.map((i) => i.key));
    if (page.next_cursor === null) return { seen, pages };
    expect(page.items.length).toBeGreaterThan(0);
    await between(pages, page.items[page.items.length - 1]!.key);
    cursor = page.next_cursor;
    if (pages > 1000) throw new Error('the walk does not end');
  }
}

const softDelete = (db: Db, table: string, id: string) => db.query(`UPDATE ${table} SET deleted_at = now() WHERE id = $1`, [id]);

for (const engine of testEngines) {
  describe(`registry pagination [${engine}]`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let admin: ServiceContext;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Paging');
      admin = org.as.admin;
    });
    afterAll(() => db.dispose());

    it('walks members in byte order, no row skipped or repeated while rows are inserted and deleted between pages', async () => {
      const initial = [...TRICKY, ...Array.from({ length: 40 }, (_, i) => `m-${String(i).padStart(3, '0')}`)];
      const c = await seedCommunity(db, org.id, { key: 'walk-members', members: initial.map((key) => ({ key })) });
      const deletedAhead = new Set<string>();
      const insertedAhead = new Set<string>();
      const insertedBehind = new Set<string>();
      const remaining = new Set(initial);
      const result = await walk(
        (cursor) => listMembers(admin, 'walk-members', { limit: 4, cursor }),
        async (page, last) => {
          // Delete the page's last row (the cursor's own key), a row not reached yet, and insert on both sides of the cursor.
          const ahead = [...remaining].filter((k) => k > last).sort();
          await softDelete(db, 'community_members', c.members[last]!.id);
          const victim = ahead[ahead.length - 1 - (page % 3)];
          if (victim !== undefined) {
            deletedAhead.add(victim);
            remaining.delete(victim);
            await softDelete(db, 'community_members', c.members[victim]!.id);
          }
          const behind = `${last.slice(0, -1)}!${page}`; // '!' sorts before every key character
          const front = `${last}~${page}`;
          await seedMembers(db, c, [{ key: behind }, { key: front }]);
          insertedBehind.add(behind);
          insertedAhead.add(front);
          for (const k of [...remaining]) if (k <= last) remaining.delete(k);
        },
      );
      expect(new Set(result.seen).size).toBe(result.seen.length);
      expect(result.seen).toEqual(byteOrder(result.seen));
      const expected = byteOrder([...initial.filter((k) => !deletedAhead.has(k)), ...insertedAhead]);
      expect(result.seen).toEqual(expected);
      for (const k of insertedBehind) expect(result.seen).not.toContain(k);
      expect(result.pages).toBeGreaterThan(10);
    });

    it('walks delivery points, assets, meters and communities the same way', async () => {
      const members: SeedMember[] = Array.from({ length: 12 }, (_, i) => ({
        key: `o-${i}`,
        delivery_points: [{ pod: `POD-${i}`, type: i % 2 ? 'pod' : 'cups' }, { pod: `pod-${i}` }],
        assets: [
          { key: `A-${i}`, asset_type: 'meter', sensor_id: `S-${i}` },
          { key: `a_${i}`, asset_type: 'pv' },
        ],
      }));
      const c = await seedCommunity(db, org.id, { key: 'walk-all', members });
      const allPods = members.flatMap((m) => m.delivery_points!.map((d) => d.pod));
      const allAssets = members.flatMap((m) => m.assets!.map((a) => a.key));
      const pods = await walk((cursor) => listDeliveryPoints(admin, 'walk-all', { limit: 5, cursor }));
      expect(pods.seen).toEqual(byteOrder(allPods));
      const assets = await walk((cursor) => listAssets(admin, 'walk-all', { limit: 5, cursor }));
      expect(assets.seen).toEqual(byteOrder(allAssets));
      const meters = await walk((cursor) => listMeters(admin, 'walk-all', { limit: 5, cursor }));
      expect(meters.seen).toEqual(byteOrder(allAssets.filter((k) => k.startsWith('A-'))));
      // Filters hold across pages.
      const cups = await walk((cursor) => listDeliveryPoints(admin, 'walk-all', { type: 'cups', limit: 2, cursor }));
      expect(cups.seen).toEqual(byteOrder(['POD-0', 'POD-2', 'POD-4', 'POD-6', 'POD-8', 'POD-10']));

      // Deleting rows not reached yet, between pages of the assets list.
      const pvs = byteOrder(allAssets.filter((k) => k.startsWith('a_')));
      const deleted = new Set<string>();
      const shrinking = await walk(
        (cursor) => listAssets(admin, 'walk-all', { asset_type: 'pv', limit: 3, cursor }),
        async (_page, last) => {
          const victim = pvs.filter((k) => k > last && !deleted.has(k)).pop();
          if (victim === undefined) return;
          deleted.add(victim);
          await softDelete(db, 'community_assets', c.members[`o-${victim.slice(2)}`]!.assets[victim]!);
        },
      );
      expect(deleted.size).toBeGreaterThan(0);
      expect(shrinking.seen).toEqual(pvs.filter((k) => !deleted.has(k)));

      for (const key of ['walk-c1', 'walk-c2', 'walk-c3']) await seedCommunity(db, org.id, { key });
      const communities = await walk((cursor) => listCommunities(admin, { limit: 1, cursor }));
      const mine = ['walk-all', 'walk-c1', 'walk-c2', 'walk-c3'];
      expect(communities.seen.filter((k) => mine.includes(k))).toEqual(mine);
      expect(communities.seen).toEqual(byteOrder([...new Set(communities.seen)]));
    });

    it('ends with a null cursor on a last page that is exactly full', async () => {
      await seedCommunity(db, org.id, { key: 'walk-exact', members: ['x-1', 'x-2', 'x-3', 'x-4'].map((key) => ({ key })) });
      const first = await listMembers(admin, 'walk-exact', { limit: 2 });
      expect(first.items.map((m) => m.key)).toEqual(['x-1', 'x-2']);
      const second = await listMembers(admin, 'walk-exact', { limit: 2, cursor: first.next_cursor! });
      expect(second).toMatchObject({ next_cursor: null });
      expect(second.items.map((m) => m.key)).toEqual(['x-3', 'x-4']);
      // The page length may change from one request to the next.
      const rest = await listMembers(admin, 'walk-exact', { limit: 500, cursor: first.next_cursor! });
      expect(rest.items.map((m) => m.key)).toEqual(['x-3', 'x-4']);
    });

    it('refuses a cursor of another list, another community, other filters, or a tampered one', async () => {
      const other = await seedCommunity(db, org.id, {
        key: 'walk-other',
        members: ['y-1', 'y-2', 'y-3'].map((key) => ({
          key,
          role: 'prosumer',
          assets: [{ key: `${key}-a`, asset_type: 'meter' as const }],
        })),
      });
      const cursor = (await listMembers(admin, 'walk-other', { limit: 1 })).next_cursor!;
      expect((await listMembers(admin, 'walk-other', { limit: 1, cursor })).items[0]!.key).toBe('y-2');
      await seedCommunity(db, org.id, { key: 'walk-other-2', members: ['y-1', 'y-2', 'y-3'].map((key) => ({ key })) });
      await expectBadCursor(listMembers(admin, 'walk-other-2', { limit: 1, cursor }));
      await expectBadCursor(listMembers(admin, 'walk-other', { limit: 1, cursor, role: 'prosumer' }));
      await expectBadCursor(listAssets(admin, 'walk-other', { limit: 1, cursor }));
      await expectBadCursor(listDeliveryPoints(admin, 'walk-other', { limit: 1, cursor }));
      await expectBadCursor(listCommunities(admin, { limit: 1, cursor }));
      const assetsCursor = (await listAssets(admin, 'walk-other', { limit: 1 })).next_cursor!;
      await expectBadCursor(listMeters(admin, 'walk-other', { limit: 1, cursor: assetsCursor }));
      await expectBadCursor(listAssets(admin, 'walk-other', { limit: 1, cursor: assetsCursor, asset_type: 'meter' }));
      await expectBadCursor(listMembers(admin, 'walk-other', { cursor: `${cursor.slice(0, 5)}x${cursor.slice(6)}` }));
      await expectBadCursor(listMembers(admin, 'walk-other', { cursor: 'eyJrIjoieS0xIn0' }));
      await expectBadCursor(listMembers(admin, 'walk-other', { cursor: 'y-1' }));
      // A cursor made by Helio, but for another organisation's list, is refused as well.
      const b = await seedOrganisation(db, 'Paging B');
      await seedCommunity(db, b.id, { key: 'walk-b', members: ['z-1', 'z-2'].map((key) => ({ key })) });
      const foreign = (await listMembers(b.as.admin, 'walk-b', { limit: 1 })).next_cursor!;
      await expectBadCursor(listMembers(admin, 'walk-other', { cursor: foreign }));
      await seedCommunity(db, b.id, { key: 'walk-b2' });
      const foreignList = (await listCommunities(b.as.admin, { limit: 1 })).next_cursor!;
      expect((await listCommunities(b.as.admin, { limit: 1, cursor: foreignList })).items[0]!.key).toBe('walk-b2');
      await expectBadCursor(listCommunities(admin, { limit: 1, cursor: foreignList }));
      expect(other.members['y-1']).toBeDefined();
    });

    it('reads a page deep in a 10,000-member community through the key indexes, as many rows as the first page', async () => {
      const pad = (i: number) => String(i).padStart(5, '0');
      const members: SeedMember[] = Array.from({ length: 10_000 }, (_, i) => ({
        key: `member-${pad(i)}`,
        // Every tenth member has a delivery point and a meter: enough for their plans, fewer rows to write.
        delivery_points: i % 10 === 0 ? [{ pod: `BIG-${pad(i)}` }] : [],
        assets: i % 10 === 0 ? [{ key: `meter-${pad(i)}`, asset_type: 'meter' as const, sensor_id: `BIG-S-${i}` }] : [],
      }));
      const big = await seedCommunity(db, org.id, { key: 'big', members });
      for (const table of ['community_members', 'community_delivery_points', 'community_assets']) await db.query(`ANALYZE ${table}`);

      // Each page query exactly as the service sends it, then its plan as executed.
      const sent: { sql: string; params: readonly unknown[] }[] = [];
      const recording = new Proxy(db, {
        get(target, prop, receiver) {
          if (prop === 'query') {
            return (sql: string, params: readonly unknown[] = []) => {
              sent.push({ sql, params });
              return target.query(sql, params);
            };
          }
          const value: unknown = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const ctx = { ...admin, db: recording };
      const planOf = async (read: () => Promise<CursorPage<unknown>>, from: string): Promise<PlanNode> => {
        sent.length = 0;
        expect((await read()).items).toHaveLength(50);
        const pageQuery = sent.find((q) => q.sql.includes(from))!;
        const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${pageQuery.sql}`, pageQuery.params);
        const raw = rows[0]!['QUERY PLAN'];
        return ((typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[])[0]!.Plan;
      };
      const lists = [
        {
          table: 'community_members',
          index: ['community_members_key_idx'],
          read: (cursor?: string) => listMembers(ctx, 'big', { limit: 50, cursor }),
          scope: listScope('members', big.id, undefined, undefined, undefined),
          middle: 'member-05000',
          deep: 'member-09900',
        },
        {
          table: 'community_delivery_points',
          index: ['community_delivery_points_community_idx'],
          read: (cursor?: string) => listDeliveryPoints(ctx, 'big', { limit: 50, cursor }),
          scope: listScope('delivery-points', big.id, undefined, undefined),
          middle: 'BIG-05000',
          deep: 'BIG-09000',
        },
        {
          table: 'community_assets',
          index: ['community_assets_key_idx'],
          read: (cursor?: string) => listAssets(ctx, 'big', { limit: 50, cursor }),
          scope: listScope('assets', big.id, undefined, undefined),
          middle: 'meter-05000',
          deep: 'meter-09000',
        },
        {
          table: 'community_assets',
          // All of them are meters here: the planner may walk either key index.
          index: ['community_assets_type_idx', 'community_assets_key_idx'],
          read: (cursor?: string) => listMeters(ctx, 'big', { limit: 50, cursor }),
          scope: listScope('meters', big.id, 'meter', undefined),
          middle: 'meter-05000',
          deep: 'meter-09000',
        },
      ];
      for (const list of lists) {
        const rowsRead: number[] = [];
        for (const after of [undefined, list.middle, list.deep]) {
          const where = `${list.table} after ${after ?? 'nothing'}`;
          const nodes = flatten(await planOf(() => list.read(after && encodeCursor(list.scope, after)), `FROM ${list.table}`));
          const scan = nodes.find((n) => n['Relation Name'] === list.table);
          expect(scan!['Node Type'], where).toMatch(/^Index (Only )?Scan$/);
          expect(list.index, where).toContain(scan!['Index Name']);
          // The seek happens in the index: one page and its look-ahead row are read, wherever the page is.
          expect(scan!['Actual Rows'], where).toBe(51);
          expect(scan!['Rows Removed by Filter'] ?? 0, where).toBe(0);
          expect(
            nodes.map((n) => n['Node Type']),
            where,
          ).not.toContain('Sort');
          expect(
            nodes.map((n) => n['Node Type']),
            where,
          ).not.toContain('Seq Scan');
          rowsRead.push(scan!['Actual Rows']!);
        }
        expect(new Set(rowsRead).size).toBe(1);
      }
      // The members page counts delivery points on the member index.
      const members50 = await listMembers(ctx, 'big', { limit: 50, cursor: encodeCursor(lists[0]!.scope, 'member-09900') });
      for (const m of members50.items) expect(m.delivery_points_count).toBe(Number(m.key.slice('member-'.length)) % 10 === 0 ? 1 : 0);
      const countPlan = flatten(await planOf(() => listMembers(ctx, 'big', { limit: 50 }), 'FROM community_members'));
      expect(countPlan.find((n) => n['Relation Name'] === 'community_delivery_points')?.['Index Name']).toBe(
        'community_delivery_points_member_idx',
      );
    }, 180_000);
  });
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Total Time'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}
