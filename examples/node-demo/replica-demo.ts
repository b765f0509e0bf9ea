/**
 * The encrypted replica in a few steps, against the local Ceph RGW (`bash scripts/s3.sh start`,
 * which `npm run demo:replica` runs first): a till pushes its sales, a "new tablet" restores them
 * with the password, and the bucket is listed — names and sizes, nothing readable.
 */
import { Database, MemoryStorage } from '@cipherlite/core';
import { createBucket, listAll, restoreFromReplica, S3ObjectStore, startReplica } from '@cipherlite/core/replica';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const endpoint = readFileSync(fileURLToPath(new URL('../../.tmp/s3/endpoint', import.meta.url)), 'utf8').trim();
const target = { endpoint, bucket: 'demo', prefix: `shop/till-${Date.now()}`, credentials: { accessKeyId: 'TESTKEY', secretAccessKey: 'TESTSECRET' } };
const password = 'demo password';
const kdf = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 }; // demo speed; the default is stronger

await createBucket(target);
const till = await Database.open({ storage: new MemoryStorage(), name: 'till.db', password, kdf });
await till.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT, cents INTEGER)');
const replica = startReplica(till, { ...target, snapshotEvery: 3 });
replica.onStatus((s) => console.log(`replica: ${s.state}, pending ${s.pendingCommits}, last pushed seq ${s.lastPushedSeq ?? '-'}`));
for (const [item, cents] of [
  ['espresso', 250],
  ['croissant', 320],
  ['latte', 380],
] as const) {
  await till.exec('INSERT INTO sales (item, cents) VALUES (?, ?)', [item, cents]);
  await replica.pushNow();
}
await replica.stop();

console.log(`\nthe bucket (${target.bucket}/${target.prefix}):`);
for (const o of await listAll(new S3ObjectStore(target), `${target.prefix}/`)) console.log(`  ${o.key.slice(target.prefix.length + 1).padEnd(40)} ${o.size} bytes`);

const tablet = await restoreFromReplica({ storage: new MemoryStorage(), name: 'tablet.db', replica: target, password, kdf });
console.log('\nrestored on the new tablet:', await tablet.query('SELECT item, cents FROM sales ORDER BY id'));
await tablet.close();
await till.close();
console.log('\nthe local RGW keeps running: `npm run s3:stop` ends it.');
