/**
 * Key management through the worker (core's `@cipherlite/core/keys`): change the password from a
 * follower tab (every other tab locks at once), takeover with the new key, a tab holding the old key locks itself when it has to
 * take over; verify, stats and an encrypted backup.
 */
import { FAST_KDF, expect, test, ANY_PHASE } from './fixtures.ts';
import type { Page } from './fixtures.ts';
import type {} from '../test-app/main.ts';

const OLD = 'old password';
const NEW = 'new password';
const open = (page: Page, password: string) => page.evaluate((o) => window.t.open('a', o), { name: 'keys', password, kdf: FAST_KDF });

test('changePassword from a follower: old password refused, new one opens; the changing tab takes over with it', async ({ session }) => {
  const p = await session();
  const [a, b] = [await p.page('tab-a'), await p.page('tab-b')];
  expect(await open(a, OLD)).toMatchObject({ ok: true, value: { role: 'leader' } });
  await a.evaluate(() => window.t.dbs.a!.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('one')"));
  expect(await open(b, OLD)).toMatchObject({ ok: true, value: { role: 'follower' } });

  expect(await b.evaluate((n) => window.t.capture(window.t.dbs.a!.changePassword('wrong', n)), NEW)).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  const slot = await b.evaluate(([o, n]) => window.t.dbs.a!.changePassword(o!, n!, { kdf: { memoryKiB: 19 * 1024, iterations: 2 } }), [OLD, NEW]);
  expect(slot).toMatchObject({ kind: 'password' });
  expect(await b.evaluate(() => window.t.dbs.a!.listKeyslots())).toHaveLength(1);
  // The leader tab re-proves the old password it holds, fails, and locks at once (a secret
  // change reaches every tab); b takes over with the new key it adopted, without asking.
  await expect.poll(() => a.evaluate(() => window.t.dbs.a!.lockState)).toBe('locked');
  expect(await a.evaluate(() => window.t.capture(window.t.dbs.a!.query('SELECT v FROM t')))).toMatchObject({ ok: false, code: 'LOCKED' });
  await expect.poll(() => b.evaluate(() => window.t.dbs.a!.role)).toBe('leader');
  expect(await b.evaluate(() => window.t.dbs.a!.exec("INSERT INTO t VALUES ('two')"))).toMatchObject({ changes: 1 });

  const c = await p.page('tab-c');
  expect(await open(c, OLD)).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  expect(await open(c, NEW)).toMatchObject({ ok: true, value: { role: 'follower' } });
  expect(await c.evaluate(() => window.t.dbs.a!.query('SELECT v FROM t ORDER BY v'))).toEqual([{ v: 'one' }, { v: 'two' }]);
});

test('a tab still holding the old password locks itself when it must take over; the new password unlocks it', async ({ session }) => {
  const p = await session();
  const [a, b] = [await p.page('tab-a'), await p.page('tab-b')];
  expect(await open(a, OLD)).toMatchObject({ ok: true, value: { role: 'leader' } });
  await a.evaluate(() => window.t.dbs.a!.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept')"));
  expect(await open(b, OLD)).toMatchObject({ ok: true, value: { role: 'follower' } });
  await a.evaluate(([o, n]) => window.t.dbs.a!.changePassword(o!, n!), [OLD, NEW]);
  await a.close();
  await expect.poll(() => b.evaluate(() => window.t.dbs.a!.lockState), { timeout: 15_000 }).toBe('locked');
  expect(await b.evaluate(() => window.t.capture(window.t.dbs.a!.query('SELECT v FROM t')))).toMatchObject({ ok: false, code: 'LOCKED' });
  expect(await b.evaluate((o) => window.t.capture(window.t.dbs.a!.unlock(o)), OLD)).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  await b.evaluate((n) => window.t.dbs.a!.unlock(n), NEW);
  expect(await b.evaluate(() => window.t.dbs.a!.query('SELECT v FROM t'))).toEqual([{ v: 'kept' }]);
});

test('verify, stats and an encrypted backup through the client', ANY_PHASE, async ({ session }) => {
  const page = await (await session()).page('tab');
  expect(await open(page, OLD)).toMatchObject({ ok: true });
  const marker = `BACKUPMARK${crypto.randomUUID().replaceAll('-', '')}`;
  const r = await page.evaluate(
    async ([password, marker]) => {
      const db = window.t.dbs.a!;
      await db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT)');
      await db.batch(Array.from({ length: 100 }, (_, i) => ({ sql: 'INSERT INTO items (v) VALUES (?)', params: [`${marker} ${i}`] })));
      const verify = await db.verify();
      const stats = await db.stats();
      const backup = await db.backup(password!);
      const text = new TextDecoder('latin1').decode(backup.bytes);
      return {
        verify: { ok: verify.ok, failures: verify.failures.length, integrity: verify.integrity },
        stats: { pageSize: stats.pageSize, cipher: stats.cipher, items: stats.tables.find((t) => t.name === 'items') },
        backup: { size: backup.bytes.length, tables: backup.meta.tables, leaks: text.includes(marker!) || text.includes('SQLite format 3') },
      };
    },
    [OLD, marker],
  );
  expect(r.verify).toEqual({ ok: true, failures: 0, integrity: ['ok'] });
  expect(r.stats).toMatchObject({ pageSize: 4096, cipher: 'AES-256-GCM', items: { name: 'items', rows: 100 } });
  expect(r.backup.size).toBeGreaterThan(8192);
  expect(r.backup.tables).toEqual([{ name: 'items', rows: 100 }]);
  expect(r.backup.leaks).toBe(false);
});

test('recovery key: shown once, unlocks after lock; removing it; explicit plaintext export is a standard SQLite file', ANY_PHASE, async ({ session }) => {
  const p = await session();
  const page = await p.page('tab');
  expect(await open(page, OLD)).toMatchObject({ ok: true });
  const r = await page.evaluate(async (password) => {
    const db = window.t.dbs.a!;
    await db.exec("CREATE TABLE notes (v TEXT); INSERT INTO notes VALUES ('kept')");
    const wrong = await window.t.capture(db.addRecoveryKey('not the password'));
    const { recoveryKey, slot } = await db.addRecoveryKey(password);
    const slots = await db.listKeyslots();
    await db.lock();
    const badRecovery = await window.t.capture(db.unlock({ recoveryKey: 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA' }));
    await db.unlock({ recoveryKey: recoveryKey.toLowerCase() }); // case and dashes do not matter
    const rows = await db.query('SELECT v FROM notes');
    const afterRemove = await db.removeKeyslot(password, slot.index);
    const plain = await db.exportPlaintext();
    return {
      wrong,
      format: /^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$/.test(recoveryKey),
      kinds: slots.map((s) => s.kind),
      badRecovery,
      rows,
      afterRemove: afterRemove.map((s) => s.kind),
      magic: new TextDecoder().decode(plain.subarray(0, 15)),
      kept: new TextDecoder('latin1').decode(plain).includes('kept'),
    };
  }, OLD);
  expect(r.wrong).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  expect(r.format).toBe(true);
  expect(r.kinds).toEqual(['password', 'recovery']);
  expect(r.badRecovery).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  expect(r.rows).toEqual([{ v: 'kept' }]);
  expect(r.afterRemove).toEqual(['password']);
  expect(r.magic).toBe('SQLite format 3');
  expect(r.kept).toBe(true);
});

test('rekey through the worker: new data key, data intact, other tabs keep working, the password still opens after a reload', async ({ session }) => {
  const p = await session();
  const [a, b] = [await p.page('tab-a'), await p.page('tab-b')];
  expect(await open(a, OLD)).toMatchObject({ ok: true, value: { role: 'leader' } });
  expect(await open(b, OLD)).toMatchObject({ ok: true, value: { role: 'follower' } });
  await a.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT)');
    await db.batch(Array.from({ length: 300 }, (_, i) => ({ sql: 'INSERT INTO r (v) VALUES (?)', params: [`row ${i}`] })));
    await db.addRecoveryKey('old password');
  });
  expect(await a.evaluate(() => window.t.capture(window.t.dbs.a!.rekey('wrong password')))).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  const result = await a.evaluate(() => window.t.dbs.a!.rekey('old password'));
  expect(result.droppedKeyslots.map((s) => s.kind)).toEqual(['recovery']);
  expect(await a.evaluate(() => window.t.dbs.a!.get('SELECT count(*) AS n FROM r'))).toEqual({ n: 300 });
  // The follower goes on through the leader's new handle.
  expect(await b.evaluate(() => window.t.dbs.a!.exec("INSERT INTO r (v) VALUES ('after rekey')"))).toMatchObject({ changes: 1 });
  expect(await b.evaluate(() => window.t.dbs.a!.verify())).toMatchObject({ ok: true, failures: [] });
  await a.close();
  await b.close();
  const c = await p.page('tab-c');
  expect(await open(c, OLD)).toMatchObject({ ok: true, value: { role: 'leader' } });
  expect(await c.evaluate(() => window.t.dbs.a!.get('SELECT count(*) AS n FROM r'))).toEqual({ n: 301 });
  expect(await c.evaluate(() => window.t.dbs.a!.listKeyslots())).toHaveLength(1);
});
