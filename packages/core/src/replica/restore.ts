/**
 * Restoring a database from its replica on a new device, and verifying a replica end to end.
 *
 * Restore: the secret unlocks the replica's keys object, the page state at the target (the tip,
 * or a point in time) is rebuilt from the newest snapshot at or before it plus the log entries
 * after it, every link checked (reader.ts), and the pages become a new local encrypted database
 * (through importPlaintext: SQLite's integrity_check runs on them first). The page images exist
 * in memory only, never in storage.
 */
import { secretFromMaterial } from '../container/keyslots.js';
import { wipe } from '../crypto/wipe.js';
import { MainContainer } from '../container/main-container.js';
import { fastestAead } from '../crypto/default-aead.js';
import { Database } from '../database/database.js';
import { CipherliteError, invalidArgument } from '../errors.js';
import { checkSignal, Pacer } from '../keys/cancel.js';
import { addKeyslot } from '../keys/keyslots.js';
import { assertNoFilesOf, claimNewName, deleteCreatedFilesOf, importPlaintextWith } from '../keys/plaintext.js';
import type { PasskeyChallenge } from '../keys/passkey-challenges.js';
import type { NewSecret, ProgressCallback } from '../keys/types.js';
import type { SyncStorage } from '../storage/sync-file.js';
import type { KdfParams, KeyMaterial } from '../types.js';
import { equal } from './format.js';
import { resolveTarget, type ReplicaTarget } from './options.js';
import { keysPasskeyChallenges, openReplicaWithHeader, readEntry, readImage, readSnapshot, readState, type KnownTip, type OpenedReplica } from './reader.js';

export interface RestoreOptions {
  storage: SyncStorage;
  name: string;
  replica: ReplicaTarget;
  /**
   * The seq to restore (default: the newest), or a time (ms since the epoch, or a Date): the last
   * entry written at or before it. `generation` reads an older generation (the history before a
   * rekey, opened with the secrets of that time) instead of the current one: REPLICA_MISSING when
   * retention deleted it.
   */
  pointInTime?: { seq: number; generation?: number } | { time: number | Date; generation?: number } | { generation: number };
  /** Argon2id parameters of the `newSecret` password keyslot. */
  kdf?: Partial<KdfParams>;
  /** `download`: log entries read; `copy`: pages written locally. */
  onProgress?: ProgressCallback<'download' | 'copy'>;
  signal?: AbortSignal;
}

/**
 * Creates the local database `name` from the replica and opens it with the same secret. The
 * replica opens with any secret of the database (password, recovery key, raw key, passkey), and
 * the new local file keeps every keyslot of the database (docs/REPLICA.md "Restore"): it opens
 * with each of them, as the original did. `newSecret` adds a password or raw-key keyslot to it
 * (with `kdf` for a password).
 */
export async function restoreFromReplica(options: RestoreOptions & KeyMaterial & { newSecret?: NewSecret }): Promise<Database> {
  return (await restoreGeneration(options, false)).db;
}

/** restoreFromReplica, also for a multi-writer generation's genesis (sync/join.ts): the database, the replica and the position restored. */
export async function restoreGeneration(
  options: RestoreOptions & KeyMaterial & { newSecret?: NewSecret },
  multiWriter: boolean,
): Promise<{ db: Database; r: OpenedReplica; tip: { seq: number; hash: Uint8Array } }> {
  const pacer = new Pacer(checkSignal(options.signal), 'restoreFromReplica');
  const { store, prefix } = resolveTarget(options.replica);
  const { storage, name } = options;
  const material = keyMaterialOf(options);
  // A new secret that would be refused is refused now: before the download, and not after the
  // restored database exists (it used to stay behind, open, so a second try found it there).
  if (options.newSecret !== undefined) wipe(secretFromMaterial(options.newSecret).bytes);
  const secret = secretFromMaterial(options);
  let opened;
  try {
    opened = await openReplicaWithHeader(store, prefix, secret, options.signal, options.pointInTime?.generation);
  } finally {
    wipe(secret.bytes);
  }
  const { replica: r, header } = opened;
  const pit = options.pointInTime;
  const at = pit && 'seq' in pit ? { seq: pit.seq } : pit && 'time' in pit ? { time: pit.time instanceof Date ? pit.time.getTime() : pit.time } : {};
  const { state, tip } = await readState(r, {
    ...at,
    multiWriter,
    pacer,
    onEntry: (done, total) => options.onProgress?.({ phase: 'download', done, total }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (pit && 'seq' in pit && tip.seq !== pit.seq) throw new CipherliteError('REPLICA_MISSING', `seq ${pit.seq} is not in the replica (newest: ${tip.seq})`);
  if (state.pageSize !== 0 && state.pageSize !== header.blockSize)
    throw new CipherliteError('REPLICA_CORRUPT', `the replica's pages (${state.pageSize} bytes) do not fit its database header (${header.blockSize})`);
  const image = new Uint8Array(state.pageCount * state.pageSize);
  for (let pgno = 1; pgno <= state.pageCount; pgno++) {
    const page = state.pages.get(pgno);
    if (!page) throw new CipherliteError('REPLICA_MISSING', `page ${pgno} is in no snapshot or log entry`);
    image.set(page, (pgno - 1) * state.pageSize);
  }
  // The new file gets the database's own header (file id, keyslots), so the DEK the keyslots
  // wrap is the one the pages are encrypted under; then it opens like any existing database.
  const create = async (): Promise<Database> => {
    // A backend whose handles open asynchronously (OPFS) needs the name prepared first.
    await storage.prepare?.([name]);
    const file = storage.open(name, { create: true });
    try {
      MainContainer.adopt(file, header, r.dek, { aead: fastestAead() }).close();
    } finally {
      file.close();
    }
    return Database.open({ storage, name, ...material });
  };
  let db: Database;
  try {
    if (state.pageCount === 0) {
      // As importPlaintextWith: a stray side file (`~new`, a journal) refuses before anything is created.
      assertNoFilesOf(storage, name, 'restoreFromReplica');
      const release = claimNewName(storage, name);
      try {
        db = await create();
      } catch (e) {
        deleteCreatedFilesOf(storage, name);
        throw e;
      } finally {
        release();
      }
    } else {
      const res = await importPlaintextWith(storage, name, image, create, {
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (p) => options.onProgress?.({ phase: 'copy', done: p.done, total: p.total }),
      });
      db = res.db;
    }
  } finally {
    image.fill(0);
  }
  if (options.newSecret) {
    try {
      await addKeyslot(db, material, options.newSecret, options.kdf ? { kdf: options.kdf } : {});
    } catch (e) {
      // The restore is not done: nothing of it stays (the database is closed, its files deleted).
      await db.close().catch(() => undefined);
      deleteCreatedFilesOf(storage, name);
      throw e;
    }
  }
  return { db, r, tip };
}

/** The passkey slots of the replica's keys object (see `keysPasskeyChallenges`): what to ask the authenticator for, before a restore or verify with a passkey. */
export async function replicaPasskeyChallenges(target: ReplicaTarget, generation?: number, signal?: AbortSignal): Promise<PasskeyChallenge[]> {
  const { store, prefix } = resolveTarget(target);
  return keysPasskeyChallenges(store, prefix, generation, signal);
}

/** The secret fields of `o` alone (Database.open takes exactly one of them). */
function keyMaterialOf(o: KeyMaterial): KeyMaterial {
  if (o.password !== undefined) return { password: o.password };
  if (o.key !== undefined) return { key: o.key };
  if (o.recoveryKey !== undefined) return { recoveryKey: o.recoveryKey };
  if (o.passkey !== undefined) return { passkey: o.passkey };
  return invalidArgument('restoreFromReplica needs a password, key, recoveryKey or passkey');
}

export type VerifyReplicaOptions = KeyMaterial & VerifyReplicaFields;

export interface VerifyReplicaFields {
  replica: ReplicaTarget;
  /** The last position this device saw (from `Replica.status()` / its local state): detects a rollback or fork. */
  known?: KnownTip;
  /** An older generation (opened with the secrets of its time) instead of the current one: REPLICA_MISSING when retention deleted it. */
  generation?: number;
  /** `entries`: log entries checked; `snapshots`: snapshots checked. */
  onProgress?: ProgressCallback<'entries' | 'snapshots'>;
  signal?: AbortSignal;
}

export interface VerifyReplicaResult {
  generation: number;
  tipSeq: number;
  oldestSeq: number;
  entries: number;
  snapshots: number;
  objects: number;
  bytes: number;
}

/** Downloads and checks every object of the current generation (or `generation`): authentic, complete, chained, consistent. */
export async function verifyReplica(options: VerifyReplicaOptions): Promise<VerifyReplicaResult> {
  const pacer = new Pacer(checkSignal(options.signal), 'verifyReplica');
  const { store, prefix } = resolveTarget(options.replica);
  const secret = secretFromMaterial(options);
  let r;
  try {
    r = (await openReplicaWithHeader(store, prefix, secret, options.signal, options.generation)).replica;
  } finally {
    wipe(secret.bytes);
  }
  const sig = options.signal ? { signal: options.signal } : {};
  // The state at the tip, from the newest snapshot: the restore path, with the known-tip checks.
  const { tip, listing } = await readState(r, { pacer, known: options.known ?? null, multiWriter: true, ...sig });
  // Then every entry still held, chained from the oldest, and every snapshot against its entry.
  const hashes = new Map<number, Uint8Array>();
  let prev: Uint8Array | null = null;
  for (const [i, seq] of listing.entries.entries()) {
    const { entry, hash } = await readEntry(r, seq, options.signal);
    if (prev && !equal(entry.prevHash, prev)) throw new CipherliteError('REPLICA_FORK', `replica log entry at seq ${seq} does not follow the entry before it (broken chain)`);
    hashes.set(seq, hash);
    prev = hash;
    // An image entry without its manifest (a writer cut off between the two): its chunks, through the entry.
    if (entry.kind === 'image' && !listing.snapshots.includes(seq)) await readImage(r, seq, entry.payload, pacer, options.signal);
    options.onProgress?.({ phase: 'entries', done: i + 1, total: listing.entries.length });
    await pacer.tick();
  }
  for (const [i, seq] of listing.snapshots.entries()) {
    const { manifest } = await readSnapshot(r, seq, pacer, options.signal);
    const h = hashes.get(seq);
    if (!h) throw new CipherliteError('REPLICA_MISSING', `snapshot ${seq} has no log entry at its position`);
    if (!equal(h, manifest.entryHash)) throw new CipherliteError('REPLICA_REORDERED', `snapshot ${seq} was not taken at the log entry now at its position`);
    options.onProgress?.({ phase: 'snapshots', done: i + 1, total: listing.snapshots.length });
  }
  return {
    generation: r.generation,
    tipSeq: tip.seq,
    oldestSeq: listing.entries[0]!,
    entries: listing.entries.length,
    snapshots: listing.snapshots.length,
    objects: listing.objects.length,
    bytes: listing.objects.reduce((n, o) => n + o.size, 0),
  };
}
