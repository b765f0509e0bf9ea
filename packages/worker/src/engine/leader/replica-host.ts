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
 * The access (credentials or signer endpoint spec) is kept in this object only. Credentials: the
 * writer asks for them per request (core accepts a credentials function), so `setCredentials`
 * swaps them without restarting it. A signer endpoint: core's store POSTs each request to it and
 * caches the answers (core's signer-endpoint.ts); `setSigner` starts the writer again with the new
 * spec (a push under way finishes first), since the cache belongs to the old one.
 */
import { CipherliteError } from '@cipherlite/core';
import type { Database } from '@cipherlite/core';
import type { Replica } from '@cipherlite/core/replica';
import type { Diagnostics } from '../../shared/diagnostics.js';
import {
  assertReplicaCredentials,
  assertReplicaOptions,
  assertReplicaSigner,
  withAccess,
  type ReplicaAccessCall,
  type ReplicaCall,
  type ReplicaStatus,
  type WorkerReplicaOptions,
} from '../../shared/replica.js';
import type { BusChannel, LeaderStorage } from '../runtime/platform.js';
import type { WorkerOpenOptions } from '../../shared/protocol.js';

/** Where core's writer keeps this device's position (core's `localStateName`). */
const deviceStateName = (name: string): string => `${name}-replica`;

export class ReplicaHost {
  #replica!: Replica;
  #db: Database;
  #options: WorkerReplicaOptions;
  readonly #events: BusChannel;
  readonly #log: Diagnostics;
  #offStatus: () => void = () => undefined;

  private constructor(db: Database, options: WorkerReplicaOptions, events: BusChannel, log: Diagnostics) {
    this.#db = db;
    this.#options = options;
    this.#events = events;
    this.#log = log;
  }

  /** Starts the writer on `db` (WAL or rollback journal: core's writer reads committed pages through SQLite). */
  static async start(db: Database, storage: LeaderStorage, options: WorkerReplicaOptions, events: BusChannel, log: Diagnostics): Promise<ReplicaHost> {
    // OPFS opens handles ahead of time: the device state file must be prepared before the writer reads it.
    await storage.files.prepare?.([deviceStateName(db.name)]);
    const host = new ReplicaHost(db, options, events, log);
    await host.#start();
    return host;
  }

  async #start(): Promise<void> {
    // Loaded on first use: a database without a replica never downloads the S3 client and format.
    const { startReplica } = await import('@cipherlite/core/replica');
    const { credentials: _kept, ...rest } = this.#options;
    // Credentials are read per request from this object, so new ones apply without a restart.
    this.#replica = startReplica(this.#db, rest.signer ? rest : { ...rest, credentials: () => Promise.resolve(this.#options.credentials!) });
    this.#offStatus = this.#watch(this.#replica);
  }

  async #restart(): Promise<void> {
    this.#offStatus();
    await this.#replica.stop();
    await this.#start();
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
    this.#db = db;
    await this.#restart();
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
      case 'setSigner': {
        assertAccess(call);
        const restart = call.action === 'setSigner' || this.#options.signer !== undefined;
        this.#options = withAccess(this.#options, call);
        this.#log.report('info', 'replica.credentials-replaced');
        if (restart) await this.#restart();
        // A writer waiting on refused credentials tries again at once.
        else if (this.#replica.status().state === 'error') this.#replica.pushNow().catch(this.#log.ignored('replica.retry-after-credentials-failed'));
        return this.#replica.status();
      }
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
  opened.options = { ...opened.options, replica: options };
  await leader?.startReplica(options);
}

function assertAccess(call: ReplicaAccessCall): void {
  if (call.action === 'setCredentials') assertReplicaCredentials(call.credentials);
  else assertReplicaSigner(call.signer);
}

/**
 * `db.replica.setCredentials` / `setSigner` in a tab. Credentials and signer headers never travel
 * to another tab: this tab keeps them for when it leads, and its leader (if it is one) takes them
 * now; a follower answers with the leader's status (`ask`). Every tab is given the new ones, as
 * with `start`.
 */
export async function accessInTab(opened: HoldsOptions, leader: ReplicaLeader | null, call: ReplicaAccessCall, ask: (c: ReplicaCall) => Promise<ReplicaStatus>): Promise<ReplicaStatus> {
  assertAccess(call);
  const replica = opened.options.replica;
  if (!replica) throw new CipherliteError('INVALID_ARGUMENT', 'this tab has no replica options (openDatabase({ replica }) or db.replica.start)');
  opened.options = { ...opened.options, replica: withAccess(replica, call) };
  return leader ? leader.replicaCall(call) : ask({ action: 'status' });
}
