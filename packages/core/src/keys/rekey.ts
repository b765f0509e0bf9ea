/**
 * rekey: a new random data key, every page re-encrypted, old key material useless for the result.
 *
 * docs/DESIGN.md "Rotation": never in place. The live connection is copied with SQLite's backup API
 * into `<name>~new`, a fresh container with a new DEK and a new file id; then `replaceFile` swaps
 * it in crash-safely (see storage/file-replacement.ts): where the storage renames atomically (Node
 * files, memory, OPFS with `move()`, IndexedDB) one rename is the swap and the commit point;
 * otherwise a marker is the commit point and the new file is copied over the old one (recovery
 * redoes the copy). Until the commit point the old database is what opens; afterwards the new one.
 *
 * Keyslots: only the secret given as `current` can be carried over — it is re-run through its KDF
 * (same Argon2id parameters, new salt) for the new DEK. Other slots (a recovery key, another
 * device key) wrap the *old* DEK and we do not know their secrets, so they are dropped and listed
 * in the result; add a new recovery key afterwards.
 *
 * The `db` passed in is closed once the copy is complete and verified (writes queued behind the
 * copy fail with a read-only error rather than being lost). If anything fails before that, `db`
 * stays open and unchanged; if the swap itself fails, `db` is closed and the file holds exactly
 * one consistent version (the old one unless the commit point was passed) — reopen it with
 * `current`. On success the result holds the reopened database.
 */
import { announceReplaced, internals } from '../database/internals.js';
import { Database, openWithInternalOptions } from '../database/database.js';
import { CipherliteError, invalidArgument } from '../errors.js';
import type { KeyMaterial } from '../types.js';
import { checkProgress, copyDatabase, COPY_DEST_CACHE_KIB, creationFor, kdfFor, keyslotInfo, proveKey, withReadProgress } from './_shared.js';
import { checkSignal, Pacer } from './cancel.js';
import { wipe } from '../crypto/wipe.js';
import { recoverPendingReplace, replaceAuthority, replaceFile, replaceMarkerName, replaceSourceName, type ReplaceAuthority } from '../storage/file-replacement.js';
import { carryReplicaState } from './replica-state.js';
import type { KeyslotInfo, ProgressCallback, RekeyResult, ReopenOptions } from './types.js';

export type RekeyPhase = 'copy' | 'check' | 'hash' | 'swap';

export interface RekeyOptions {
  /**
   * Progress: `copy` counts pages re-encrypted into the new file; `check` pages of the new file
   * read back by its quick_check (ending once the new file is closed and durable); `hash` and
   * `swap` count bytes of the new file checksummed and copied over the old one — where the
   * storage renames, there is no `hash` phase and `swap` goes from 0 to the file's size at once.
   */
  onProgress?: ProgressCallback<RekeyPhase>;
  /** Options for reopening the database afterwards (cache size, journal mode, synchronous). */
  reopen?: ReopenOptions;
  /**
   * Cancels the rekey (CANCELLED) until the copy is complete and verified, i.e. during the `copy`
   * phase: the database stays open on its old key and the temporary copy is deleted. From the
   * swap on (`hash`, `swap`) the operation is past its point of no return and the signal is ignored.
   */
  signal?: AbortSignal;
}

/**
 * Re-encrypts the whole database under a new random data key. Closes `db`; returns the database
 * reopened (with `current`, which keeps working) and the keyslots that were dropped.
 */
export async function rekey(db: Database, current: KeyMaterial, options: RekeyOptions = {}): Promise<RekeyResult> {
  internals(db).requireRollbackJournal('rekey');
  const onProgress = checkProgress(options.onProgress);
  const pacer = new Pacer(checkSignal(options.signal), 'rekey');
  if (!(db instanceof Database)) invalidArgument('rekey needs an open Database');
  const { storage, name } = db;
  pacer.check();
  const proof = await proveKey(db, current);
  pacer.check();
  const container = internals(db).container;
  const pageSize = container.blockSize;
  const dropped: KeyslotInfo[] = container.header.keyslots.map(keyslotInfo).filter((s) => s.index !== proof.index);
  const kdf = kdfFor(undefined, proof.slot);

  const tmp = replaceSourceName(name);
  if (storage.exists(replaceMarkerName(name))) {
    throw new CipherliteError('BUSY', `an earlier replacement of "${name}" is pending; reopen the database to finish it`);
  }
  for (const leftover of [tmp, `${tmp}-journal`]) if (storage.exists(leftover)) storage.delete(leftover);

  // A fresh container: new DEK, new file id, and a slot for `current` (its KDF runs again here).
  const fresh = await openWithInternalOptions({ storage, name: tmp, ...current, kdf, pageSize, create: true, journalMode: 'MEMORY', synchronous: 'OFF' }, creationFor(current, proof));
  let freshOpen = true;
  let readOnly = false;
  // The two databases that may finish the swap after a crash (the marker carries a MAC for each).
  const authorities: ReplaceAuthority[] = [replaceAuthority(container), replaceAuthority(internals(fresh).container)];
  try {
    pacer.check();
    const { sqlite3, db: src } = internals(db).sqlite;
    const dest = internals(fresh).sqlite.db;
    // The copy runs in one queue slot. At its end the old connection turns read-only, so a write
    // queued behind it fails loudly instead of landing in a file that is about to be replaced.
    await internals(db).exclusive(async () => {
      await copyDatabase(
        sqlite3,
        { pointer: src.pointer as number, binding: internals(db).binding },
        { pointer: dest.pointer as number, binding: internals(fresh).binding, db: dest },
        { onPages: (done, total) => onProgress?.({ phase: 'copy', done, total }), pacer, destCacheKiB: COPY_DEST_CACHE_KIB, flushDestEachStep: true },
      );
      internals(db).call(() => src.exec('PRAGMA query_only = 1'));
      readOnly = true;
    });
    let pages = 0;
    await internals(fresh).exclusive(() => {
      const conn = internals(fresh).sqlite.db;
      pages = Number(conn.selectValue('PRAGMA page_count'));
      // Drop the pages the copy left in the cache: quick_check then reads (and reports) them all,
      // instead of ending with a silent stretch over cached pages.
      conn.exec('PRAGMA shrink_memory');
      // The phase ends once the copy is closed (durable) too, so `done` stays below `total` until
      // then — capped, not dropped: quick_check reads pages again after it has seen every one of
      // them (a silent stretch of ~0.1 s per 40 MB, measured), and those reports must still reach
      // the caller.
      const report = onProgress && ((done: number, total: number) => onProgress({ phase: 'check', done: Math.min(done, total - 1), total }));
      const check = withReadProgress(fresh, pages, report, () => conn.selectValue('PRAGMA quick_check'));
      if (check !== 'ok') throw new CipherliteError('CORRUPT', `the re-encrypted copy failed quick_check: ${typeof check === 'string' ? check : typeof check}`);
    });
    // The replica's device state gets a record under the new key, so a writer started on the
    // rekeyed database still knows its replica (keys/replica-state.ts).
    carryReplicaState(storage, name, container, internals(fresh).container);
    await fresh.close();
    freshOpen = false;
    onProgress?.({ phase: 'check', done: pages, total: pages });
    // The last moment to cancel: closing `db` starts the swap. A cancel sent during the check
    // arrives as a message, so it gets one macrotask to land first.
    await pacer.lastCheck();
    await db.close();
    for (const leftover of [`${tmp}-journal`]) if (storage.exists(leftover)) storage.delete(leftover);
    await replaceFile(storage, name, authorities, (phase, done, total) => onProgress?.({ phase: phase === 'hash' ? 'hash' : 'swap', done, total }));
  } catch (e) {
    if (freshOpen) await fresh.close().catch(() => undefined);
    if (readOnly && !db.closed)
      await internals(db)
        .exclusive(() => internals(db).call(() => internals(db).sqlite.db.exec('PRAGMA query_only = 0')))
        .catch(() => undefined);
    // Not committed (or committed and finished by recovery): leave exactly one consistent file.
    // The old database's authority: its key is the one proven above.
    await recoverPendingReplace(storage, name, authorities[0]!).catch(() => undefined);
    throw e;
  } finally {
    for (const a of authorities) wipe(a.macKey);
  }
  const reopened = await Database.open({ ...(options.reopen ?? {}), storage, name, ...current, create: false });
  announceReplaced(db, reopened);
  return { db: reopened, droppedKeyslots: dropped };
}
