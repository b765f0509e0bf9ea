/** Replica options are validated before anything is sent; the writer refuses what it does not support. */
import { afterEach, describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../../src/index.js';
import { MemoryObjectStore, startReplica } from '../../src/replica/index.js';
import { S3ObjectStore } from '../../src/replica/s3-store.js';
import { FAST_KDF } from '../helpers.js';
import { PASSWORD } from './replica-helpers.js';

const open: Database[] = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
});

describe('replica options', () => {
  it.each([[''], ['a/../b'], ['trailing/'], ['/abs'], ['x'.repeat(201)], ['sp ace']])('prefix %j is INVALID_ARGUMENT', async (prefix) => {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'a.db', password: PASSWORD, kdf: FAST_KDF });
    open.push(db);
    expect(() => startReplica(db, { store: new MemoryObjectStore(), prefix })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
  });

  it('the S3 store needs a URL, a valid bucket name and exactly one of credentials or signer', () => {
    const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
    const signer = () => Promise.resolve({ url: 'http://x' });
    for (const bad of [
      { endpoint: 'ftp://x', bucket: 'bkt', credentials },
      { endpoint: 'http://127.0.0.1:1', bucket: 'Bad_Bucket', credentials },
      { endpoint: 'http://127.0.0.1:1', bucket: 'bkt' },
      { endpoint: 'http://127.0.0.1:1', bucket: 'bkt', credentials, signer },
    ]) {
      expect(() => new S3ObjectStore(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
    }
  });

  it('retention.oldGenerations takes one of its three rules', async () => {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'a.db', password: PASSWORD, kdf: FAST_KDF });
    open.push(db);
    const start = (oldGenerations: unknown) => () => startReplica(db, { store: new MemoryObjectStore(), prefix: 'p', retention: { oldGenerations } as never });
    expect(start('sometimes')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
    const replica = start('keep')();
    await replica.stop();
  });
});
