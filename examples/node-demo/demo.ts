/**
 * cipherlite in Node, end to end: create an encrypted database file, write, close, reopen with
 * the password, read back — then show what is actually on disk (ciphertext) and what a wrong
 * password gets (a typed error).
 *
 * Run: npm run demo:node   (from the repository root)
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, isCipherliteError, NodeFsStorage } from '@cipherlite/core/node';

const dir = mkdtempSync(join(tmpdir(), 'cipherlite-demo-'));
const storage = new NodeFsStorage(dir);
const password = 'correct horse battery staple';

console.log(`cipherlite demo — files in ${dir}\n`);

let started = performance.now();
const db = await Database.open({ storage, name: 'pos.db', password });
console.log(`created pos.db (Argon2id m=64 MiB t=3 took part of ${(performance.now() - started).toFixed(0)} ms)`);
await db.exec('CREATE TABLE orders(id INTEGER PRIMARY KEY, item TEXT, cents INTEGER, card_last4 TEXT)');
await db.transaction(async (tx) => {
  for (const [item, cents, last4] of [
    ['espresso', 350, '4242'],
    ['croissant', 295, null],
    ['flat white', 420, '0005'],
  ] as const) {
    await tx.exec('INSERT INTO orders(item, cents, card_last4) VALUES (?, ?, ?)', [item, cents, last4]);
  }
});
await db.close();

started = performance.now();
const again = await Database.open({ storage, name: 'pos.db', password });
console.log(`reopened with the password in ${(performance.now() - started).toFixed(0)} ms`);
console.table(await again.query('SELECT id, item, cents, card_last4 FROM orders ORDER BY id'));
console.log(await again.get('SELECT sum(cents) / 100.0 AS total_eur FROM orders'));
await again.close();

const bytes = readFileSync(join(dir, 'pos.db'));
const hex = (from: number, n: number) =>
  Array.from(bytes.subarray(from, from + n), (b) => b.toString(16).padStart(2, '0'))
    .join(' ')
    .replace(/((?:\S\S ){16})/g, '$1\n');
console.log(`\nfiles on disk: ${readdirSync(dir).join(', ')}; pos.db is ${bytes.length} bytes`);
console.log('header (plaintext, no secrets) — magic "cipherlt", version, block size, file id:');
console.log(hex(0, 32));
console.log('\nfirst page as stored (epoch, length, nonce, then AES-256-GCM ciphertext):');
console.log(hex(8192, 64));
const text = bytes.toString('latin1');
for (const needle of ['SQLite format 3', 'espresso', 'croissant', 'CREATE TABLE']) {
  console.log(`  "${needle}" on disk: ${text.includes(needle) ? 'FOUND (bad!)' : 'not found'}`);
}

try {
  await Database.open({ storage, name: 'pos.db', password: 'wrong password' });
} catch (e) {
  if (isCipherliteError(e)) console.log(`\nwrong password → CipherliteError code=${e.code}: ${e.message}`);
  else throw e;
}
