/**
 * Drizzle and Kysely over the worker's database handle, in the browser (test-app/orm.html): two
 * tabs of one profile share the database; migrations started by both at once run once; a
 * transaction held open in one tab is invisible to the other until it commits; a live query in
 * one tab reloads after a write in the other.
 */
import { expect, openPage, test, BASE_URL } from './fixtures.ts';
import type { Page, Profile } from './fixtures.ts';

const ORM_URL = `${BASE_URL}orm.html`;

async function twoTabs(profile: Profile, name: string): Promise<[Page, Page]> {
  const a = await openPage(profile.context, 'a', ORM_URL);
  const b = await openPage(profile.context, 'b', ORM_URL);
  expect(await a.evaluate((n) => window.orm.open(n), name)).toBe('leader');
  expect(await b.evaluate((n) => window.orm.open(n), name)).toBe('follower');
  return [a, b];
}

test('migrations from two tabs at once run once; a failing one leaves nothing; both adapters join', async ({ profile }) => {
  const [a, b] = await twoTabs(await profile(), 'orm-migrate');
  const [fromA, fromB] = await Promise.all([a.evaluate(() => window.orm.migrate('a')), b.evaluate(() => window.orm.migrate('b'))]);
  expect([...fromA, ...fromB].sort()).toEqual(['0000_init', '0001_order_note', 'hook']);
  expect(await b.evaluate(() => window.orm.hookRuns())).toHaveLength(1);
  expect(await a.evaluate(() => window.orm.migrate('a'))).toEqual([]);

  const failed = await b.evaluate(() => window.orm.failingMigration());
  expect(failed.code).toBe('MIGRATION_FAILED');
  expect(failed.tables).not.toContain('half_done');

  expect(await a.evaluate(() => window.orm.joins())).toEqual({ viaDrizzle: [{ name: 'Joiner', total: 450 }], viaKysely: [{ name: 'Joiner', note: 'oat milk' }] });
  expect(await b.evaluate(() => window.orm.rollbacks())).toEqual(['Joiner']);
});

for (const via of ['drizzle', 'kysely'] as const) {
  test(`${via}: a transaction held open in one tab is invisible to the other until it commits; live queries follow writes from the other tab`, async ({ profile }) => {
    const [a, b] = await twoTabs(await profile(), `orm-${via}`);
    await a.evaluate(() => window.orm.migrate('a'));

    await a.evaluate((v) => (v === 'drizzle' ? window.orm.holdDrizzle('Ada', 'Grace') : window.orm.holdKysely('Ada', 'Grace')), via);
    // Tab b reads while a's transaction has written one of its two rows.
    const read = b.evaluate((v) => (v === 'drizzle' ? window.orm.countDrizzle() : window.orm.countKysely()), via);
    await b.waitForTimeout(300);
    await a.evaluate(() => window.orm.release());
    // Both rows or none: never the one written before the hold.
    expect((await read).n).toBe(2);

    await a.evaluate((v) => window.orm.watch('names', v), via);
    await a.waitForFunction(() => window.orm.seen('names').names?.length === 2);
    await b.evaluate((v) => (v === 'drizzle' ? window.orm.insertDrizzle('Linus') : window.orm.insertKysely('Linus')), via);
    await a.waitForFunction(() => window.orm.seen('names').names?.includes('Linus'));
    expect((await a.evaluate(() => window.orm.seen('names'))).names).toEqual(['Ada', 'Grace', 'Linus']);
  });
}
