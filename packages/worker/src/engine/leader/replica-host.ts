/**
 * The leader's replica writer: core's `startReplica` on the leader's `Database`, its status
 * posted to every tab on the `events` channel, and the calls tabs make on it (status, pushNow,
 * pause, resume, setCredentials).
 *
 * Only the leader pushes. Leadership moving is a crash as far as the writer is concerned: the
 * new leader starts a writer on the same files, which reads the device state (`<name>-replica`,
 * sealed under the database's key) and the bucket back and pushes whatever was committed since
 * the last confirmed entry — nothing is lost, and a retried entry is the same object, never a
 * second history (docs/REPLICA.md, "Durability").
 *
 * The credentials are kept in this object only: the writer asks for them per request (core
 * accepts a credentials function), so `setCredentials` swaps them without restarting it.
 */
import { CipherliteError } from '@cipherlite/core';
import type { Database } from '@cipherlite/core';
import type { Replica } from '@cipherlite/core/replica';
import type { Diagnostics } from '../../shared/diagnostics.js';
import { assertReplicaCredentials, assertReplicaOptions, type ReplicaCall, type ReplicaCredentials, type ReplicaStatus, type WorkerReplicaOptions } from '../../shared/replica.js';
import type { BusChannel, LeaderStorage } from '../runtime/platform.js';
import type { WorkerOpenOptions } from '../../shared/protocol.js';

/** Where core's writer keeps this device's position (core's `localStateName`). */
const deviceStateName = (name: string): string => `${name}-replica`;

export class ReplicaHost {
  #replica!: Replica;
  #credentials: ReplicaCredentials;
  readonly #options: WorkerReplicaOptions;
  readonly #events: BusChannel;
  readonly #log: Diagnostics;
  #offStatus: () => void = () => undefined;

  private constructor(options: WorkerReplicaOptions, events: BusChannel, log: Diagnostics) {
    this.#options = options;
    this.#credentials = options.credentials;
    this.#events = events;
    this.#log = log;
  }

  /** Starts the writer on `db` (a rollback-journal database: core refuses WAL with UNSUPPORTED). */
  static async start(db: Database, storage: LeaderStorage, options: WorkerReplicaOptions, events: BusChannel, log: Diagnostics): Promise<ReplicaHost> {
    // OPFS opens handles ahead of time: the device state file must be prepared before the writer reads it.
    await storage.files.prepare?.([deviceStateName(db.name)]);
    const host = new ReplicaHost(options, events, log);
    // Loaded on first use: a database without a replica never downloads the S3 client and format.
    const { startReplica } = await import('@cipherlite/core/replica');
    host.#replica = host.#startOn(db, startReplica);
    host.#offStatus = host.#watch(host.#replica);
    return host;
  }

  #startOn(db: Database, startReplica: typeof import('@cipherlite/core/replica').startReplica): Replica {
    const { credentials: _kept, ...rest } = this.#options;
    return startReplica(db, { ...rest, credentials: () => Promise.resolve(this.#credentials) });
  }

  #watch(replica: Replica): () => void {
    const off = replica.onStatus((status) => this.#events.post({ kind: 'replica', status }));
    this.#events.post({ kind: 'replica', status: replica.status() });
    return off;
  }

  /** Whether `o` names the bucket and prefix this writer pushes to. */
  sameTarget(o: WorkerReplicaOptions): boolean {
    const t = this.#options;
    return t.endpoint === o.endpoint && t.bucket === o.bucket && t.prefix === o.prefix && (t.region ?? '') === (o.region ?? '');
  }

  /** The leader's database was reopened (IndexedDB save failed, rekey): the writer follows it. */
  async moveTo(db: Database): Promise<void> {
    this.#offStatus();
    await this.#replica.stop();
    this.#replica = this.#startOn(db, (await import('@cipherlite/core/replica')).startReplica);
    this.#offStatus = this.#watch(this.#replica);
  }

  async call(call: ReplicaCall): Promise<ReplicaStatus> {
    switch (call.action) {
      case 'status':
        return this.#replica.status();
      case 'pushNow':
        return this.#replica.pushNow();
      case 'pause':
        this.#replica.pause();
        return this.#replica.status();
      case 'resume':
        this.#replica.resume();
        return this.#replica.status();
      case 'setCredentials':
        assertReplicaCredentials(call.credentials);
        this.#credentials = call.credentials;
        this.#log.report('info', 'replica.credentials-replaced');
        // A writer waiting on refused credentials tries again at once.
        if (this.#replica.status().state === 'error') this.#replica.pushNow().catch(this.#log.ignored('replica.retry-after-credentials-failed'));
        return this.#replica.status();
      default:
        throw new CipherliteError('INVALID_ARGUMENT', 'unknown replica call');
    }
  }

  /** Stops pushing (a push under way finishes first); the leader closes the database after. */
  async stop(): Promise<void> {
    this.#offStatus();
    await this.#replica.stop();
  }
}

/** What keeps a tab's open options (the engine's `OpenedDatabase`). */
interface HoldsOptions {
  options: WorkerOpenOptions;
}

/** The part of the leader a tab's replica calls reach when it leads. */
interface ReplicaLeader {
  startReplica(options: WorkerReplicaOptions): Promise<void>;
  replicaCall(call: ReplicaCall): Promise<ReplicaStatus>;
}

/**
 * `db.replica.start` in a tab: keeps `options` as this tab's replica options, for when it leads
 * (now or after a takeover), and starts the writer if it leads now.
 */
export async function startInTab(opened: HoldsOptions, leader: ReplicaLeader | null, options: WorkerReplicaOptions): Promise<void> {
  assertReplicaOptions(options);
  if (opened.options.journalMode === 'WAL') throw new CipherliteError('INVALID_ARGUMENT', "a replica needs the rollback journal; this tab opened with journalMode 'WAL'");
  opened.options = { ...opened.options, replica: options };
  await leader?.startReplica(options);
}

/**
 * `db.replica.setCredentials` in a tab. Credentials never travel to another tab: this tab keeps
 * them for when it leads, and its leader (if it is one) takes them now; a follower answers with
 * the leader's status (`ask`). Every tab is given the new ones, as with `start`.
 */
export async function credentialsInTab(
  opened: HoldsOptions,
  leader: ReplicaLeader | null,
  call: ReplicaCall & { action: 'setCredentials' },
  ask: (c: ReplicaCall) => Promise<ReplicaStatus>,
): Promise<ReplicaStatus> {
  assertReplicaCredentials(call.credentials);
  const replica = opened.options.replica;
  if (!replica) throw new CipherliteError('INVALID_ARGUMENT', 'this tab has no replica options (openDatabase({ replica }) or db.replica.start)');
  opened.options = { ...opened.options, replica: { ...replica, credentials: call.credentials } };
  return leader ? leader.replicaCall(call) : ask({ action: 'status' });
}
