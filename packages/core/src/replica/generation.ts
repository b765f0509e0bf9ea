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
import { CipherliteError, isCipherliteError } from '../errors.js';
import { encodeMainHeader } from '../format/main-header.js';
import { entryName, equal, generationDir, ID_SIZE, keysName, objectHash, readEnvelope, replicaKey, seqOf, writeEnvelope, ZERO_HASH } from './format.js';
import type { LocalReplicaState } from '../keys/replica-state.js';
import { decodeMainHeaderCopy } from '../format/main-header.js';
import { listAll } from './object-store.js';
import { ReplicaLog } from './log.js';
import type { ObjectStore } from './object-store.js';
import { bucketHeader, encodeKeysObject, splitKeysObject } from './payloads.js';
import { bindKeys, currentGeneration, position, type OpenedReplica } from './reader.js';

export interface CreatedGeneration {
  r: OpenedReplica;
  log: ReplicaLog;
  /** The genesis entry's hash (seq 0). */
  hash: Uint8Array;
}

/**
 * Writes generation `generation` of `db`'s replica under `prefix` with `genesisPayload` at seq 0.
 * `chain`: the genesis's predecessor (a later generation: the previous generation's last entry)
 * and the writing device (default: none, a random device id). With `resume`, a keys object
 * already there that opens under the database's data key and names `replicaId` is taken as this
 * device's own, left by an attempt cut off before its genesis entry: the genesis goes under it
 * (still conditional, so a second writer is refused there).
 */
export async function createGeneration(
  store: ObjectStore,
  prefix: string,
  generation: number,
  db: Database,
  genesisPayload: Uint8Array,
  now: number,
  replicaId: Uint8Array = randomBytes(ID_SIZE),
  chain: { prevHash: Uint8Array; deviceId: Uint8Array; resume?: boolean } = { prevHash: ZERO_HASH, deviceId: randomBytes(ID_SIZE) },
): Promise<CreatedGeneration> {
  const { container } = internals(db);
  const dek = container.dek;
  const generationId = randomBytes(ID_SIZE);
  let r: OpenedReplica = {
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
    const there = chain.resume ? await ownKeysObject(store, prefix, generation, dek, replicaId) : null;
    if (!there) throw new CipherliteError('REPLICA_FORK', `another writer created generation ${generation} of the replica under "${prefix}" at the same time`);
    r = there;
  }
  const log = new ReplicaLog(r);
  const genesis = log.seal(0, { prevHash: chain.prevHash, deviceId: chain.deviceId, time: now, kind: 'genesis', payload: genesisPayload });
  const res = await log.append(0, genesis);
  if (!res.appended) throw new CipherliteError('REPLICA_FORK', `another writer wrote the genesis entry of generation ${generation} under "${prefix}"`);
  return { r, log, hash: res.hash };
}

/** The generation's keys object when it opens under `dek` and names `replicaId`, else null. */
async function ownKeysObject(store: ObjectStore, prefix: string, generation: number, dek: Uint8Array, replicaId: Uint8Array): Promise<OpenedReplica | null> {
  const name = keysName(prefix, generation);
  const bytes = await store.get(name);
  if (!bytes) return null;
  try {
    const r = bindKeys(store, prefix, generation, 0, name, bytes, dek);
    return equal(r.replicaId, replicaId) ? r : null;
  } catch (e) {
    if (isCipherliteError(e)) return null;
    throw e;
  }
}

/**
 * The predecessor of the genesis entry this device still owes generation `r` (its keys object is
 * there, under this device's data key, and its log is empty: an attempt cut off between the two),
 * or null when there is none. Generation 0 of a device that never recorded a position chains to
 * nothing; a later one to the last entry this device pushed in the generation before.
 */
export async function unfinishedGeneration(r: OpenedReplica, local: LocalReplicaState | null): Promise<Uint8Array | null> {
  if ((await new ReplicaLog(r).tip()) !== null) return null;
  if (r.generation === 0 && !local) return ZERO_HASH;
  if (local && local.generation === r.generation - 1 && equal(local.replicaId, r.replicaId)) return local.hash;
  return null;
}

/**
 * A database rekeyed while no writer was connected cannot open the bucket's current generation
 * (its keys derive from the old data key, which is gone). What it can check without that key:
 * the generation is the one this device last wrote (`known`, its device state, carried over by
 * the rekey), its keys object carries another file id (the rekey gave the database a new one)
 * and this device's replica id, and its log ends at the entry this device pushed last, holding
 * exactly those bytes (SHA-256). Anything else is REPLICA_FOREIGN (another database, or a keys
 * object replaced under a database that was not rekeyed), REPLICA_ROLLBACK or REPLICA_FORK.
 */
export async function proveLastEntry(store: ObjectStore, prefix: string, known: LocalReplicaState, fileId: Uint8Array): Promise<void> {
  const foreign = (why: string): never => {
    throw new CipherliteError('REPLICA_FOREIGN', `the replica under "${prefix}" is not the one this device writes (${why})`);
  };
  const generation = await currentGeneration(store, prefix);
  if (generation === null || generation < known.generation)
    throw new CipherliteError('REPLICA_ROLLBACK', `the bucket's newest generation under "${prefix}" is older than generation ${known.generation}, which this device wrote`);
  if (generation > known.generation) foreign(`generation ${generation} was written by another database`);
  const name = keysName(prefix, generation);
  const keys = await store.get(name);
  if (!keys) throw new CipherliteError('REPLICA_MISSING', `replica keys object ${name} is missing`, { object: name });
  const { position: p, header } = splitKeysObject(keys, name);
  const decoded = decodeMainHeaderCopy(header);
  if (!decoded.ok || !equal(p.replicaId, known.replicaId)) foreign('another replica id');
  if (decoded.ok && equal(decoded.header.fileId, fileId)) foreign('its keys object does not open under this database, which was not rekeyed');
  const dir = `${generationDir(prefix, generation)}/log`;
  const seqs = (await listAll(store, `${dir}/`)).map(({ key }) => seqOf(key, dir)).filter((s): s is number => s !== null);
  const tip = Math.max(-1, ...seqs);
  if (tip < known.seq) throw new CipherliteError('REPLICA_ROLLBACK', `the bucket's log ends at seq ${tip}, but this device already pushed seq ${known.seq}: rolled back or truncated`);
  if (tip > known.seq) throw new CipherliteError('REPLICA_FORK', `generation ${generation} holds entries after seq ${known.seq}, the last this device pushed before its rekey`);
  const last = entryName(prefix, generation, known.seq);
  const bytes = await store.get(last);
  if (!bytes) throw new CipherliteError('REPLICA_ROLLBACK', `replica log entry ${last}, pushed by this device, is gone from the bucket`, { object: last });
  if (!equal(objectHash(bytes), known.hash) || !equal(readEnvelope(bytes, 'entry', last).replicaId, known.replicaId)) {
    throw new CipherliteError('REPLICA_FORK', `replica log entry ${last} is not the one this device pushed`, { object: last });
  }
}
