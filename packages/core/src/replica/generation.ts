/**
 * Creating a replica generation: its keys object (the database's keyslot header, MAC'd under the
 * data key), then its genesis entry at seq 0, both with a conditional create so two devices
 * starting the same generation at once end with one of them refused (REPLICA_FORK).
 *
 * The genesis entry's payload says which kind of generation it is (docs/REPLICA.md
 * "Generations"): a single-writer generation's log holds `pages` entries (one writer, physical
 * page images); a multi-writer generation's genesis ends with the `SYNC_GENESIS_MARK` and its log
 * holds `changeset`/`schema` entries from any device (logical changes, ordered by conditional
 * creates). Readers refuse the kind they were not asked for (REPLICA_MODE).
 */
import { deriveHeaderMacKey } from '../crypto/subkeys.js';
import { randomBytes } from '../crypto/random.js';
import type { Database } from '../database/database.js';
import { internals } from '../database/internals.js';
import { CipherliteError } from '../errors.js';
import { encodeMainHeader } from '../format/main-header.js';
import { ID_SIZE, keysName, replicaKey, writeEnvelope, ZERO_HASH } from './format.js';
import { ReplicaLog } from './log.js';
import type { ObjectStore } from './object-store.js';
import { bucketHeader, encodeKeysObject } from './payloads.js';
import { position, type OpenedReplica } from './reader.js';

export interface CreatedGeneration {
  r: OpenedReplica;
  log: ReplicaLog;
  /** The genesis entry's hash (seq 0). */
  hash: Uint8Array;
}

/** Writes generation `generation` of `db`'s replica under `prefix` with `genesisPayload` at seq 0. */
export async function createGeneration(
  store: ObjectStore,
  prefix: string,
  generation: number,
  db: Database,
  genesisPayload: Uint8Array,
  now: number,
  replicaId: Uint8Array = randomBytes(ID_SIZE),
): Promise<CreatedGeneration> {
  const { container } = internals(db);
  const dek = container.dek;
  const generationId = randomBytes(ID_SIZE);
  const r: OpenedReplica = {
    store,
    prefix,
    generation,
    generationId,
    replicaId,
    dek,
    logKey: replicaKey(dek, generationId, 'log'),
    snapKey: replicaKey(dek, generationId, 'snapshot'),
  };
  // The bucket gets the keyslot header without the local WAL binding (payloads.ts bucketHeader).
  const header = encodeMainHeader(bucketHeader(container.header), deriveHeaderMacKey(dek, container.fileId));
  const keys = encodeKeysObject(writeEnvelope('keys', position(r, 0), new Uint8Array(12)), header, replicaKey(dek, generationId, 'keys-mac'));
  if ((await store.put(keysName(prefix, generation), keys, { ifNoneMatch: true })) === 'taken') {
    throw new CipherliteError('REPLICA_FORK', `another writer created generation ${generation} of the replica under "${prefix}" at the same time`);
  }
  const log = new ReplicaLog(r);
  const genesis = log.seal(0, { prevHash: ZERO_HASH, deviceId: randomBytes(ID_SIZE), time: now, kind: 'genesis', payload: genesisPayload });
  const res = await log.append(0, genesis);
  if (!res.appended) throw new CipherliteError('REPLICA_FORK', `another writer wrote the genesis entry of generation ${generation} under "${prefix}"`);
  return { r, log, hash: res.hash };
}
