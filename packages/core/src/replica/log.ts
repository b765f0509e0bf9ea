/**
 * The replica's log as an abstract append-only sequence, the interface multi-device sync builds
 * on: `tip()`, `read(fromSeq)`, and `append(seq, entry)` which succeeds only at a free position
 * (conditional create) — a total order without a server.
 *
 * A retried append is idempotent: the caller passes the same sealed bytes again, and a position
 * already holding exactly those bytes counts as appended (the first try succeeded but its answer
 * was lost). A position holding other bytes is `'taken'`: another writer got there first.
 */
import { CipherliteError } from '../errors.js';
import { encodeEntry, entryName, equal, objectHash, seal, type Entry } from './format.js';
import { listGeneration, position, readEntry, type OpenedReplica, type ReadEntry } from './reader.js';

export type AppendResult = { appended: true; hash: Uint8Array } | { appended: false };

export class ReplicaLog {
  readonly replica: OpenedReplica;

  constructor(replica: OpenedReplica) {
    this.replica = replica;
  }

  /** Seals `entry` for position `seq` (new random nonce: seal once, retry with the same bytes). */
  seal(seq: number, entry: Entry): Uint8Array {
    return seal('entry', position(this.replica, seq), this.replica.logKey, encodeEntry(entry));
  }

  /** Creates the entry at `seq` only if the position is free (or already holds exactly `bytes`). */
  async append(seq: number, bytes: Uint8Array, signal?: AbortSignal): Promise<AppendResult> {
    const name = entryName(this.replica.prefix, this.replica.generation, seq);
    const opts = signal ? { ifNoneMatch: true, signal } : { ifNoneMatch: true };
    if ((await this.replica.store.put(name, bytes, opts)) === 'created') return { appended: true, hash: objectHash(bytes) };
    const there = await this.replica.store.get(name, signal ? { signal } : {});
    if (there && equal(there, bytes)) return { appended: true, hash: objectHash(bytes) };
    return { appended: false };
  }

  /** The highest seq present (null: an empty log), from a listing. */
  async tip(signal?: AbortSignal): Promise<number | null> {
    const { entries } = await listGeneration(this.replica, signal);
    return entries.length ? entries[entries.length - 1]! : null;
  }

  /** Entries from `fromSeq` to the tip, each authenticated and checked to chain to `prevHash` (when given) and to the one before. */
  async *read(fromSeq: number, prevHash?: Uint8Array, signal?: AbortSignal): AsyncGenerator<ReadEntry & { seq: number }> {
    const tip = await this.tip(signal);
    let prev = prevHash;
    for (let seq = fromSeq; tip !== null && seq <= tip; seq++) {
      const e = await readEntry(this.replica, seq, signal);
      if (prev && !equal(e.entry.prevHash, prev)) {
        const name = entryName(this.replica.prefix, this.replica.generation, seq);
        throw new CipherliteError('REPLICA_FORK', `replica log entry ${name} does not follow the entry before it (broken chain)`, { object: name });
      }
      prev = e.hash;
      yield { ...e, seq };
    }
  }
}
