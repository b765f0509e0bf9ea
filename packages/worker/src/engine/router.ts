/**
 * Sends a tab's calls to whoever owns the database: its own `Leader` when this tab leads, or the
 * leader of another tab when it follows — over a MessagePort to the leader's worker where the
 * broker hands one over (`direct-line.ts`), over BroadcastChannels otherwise. The transport never
 * changes what is decided below: a request and its resend may take different ones.
 *
 * Leadership can move at any time (the leader's tab closes or locks). Every forwarded call is
 * kept until answered, and what happens to it on a move depends on how far it got:
 * - not started (the leader refused it unstarted, or it was never sent to it): resent to the next
 *   leader, or run locally if this tab becomes the leader. A resend is never run twice: leaders
 *   drop request ids they have already taken.
 * - sent, with no word back yet: the vanished leader's `started` (or answer, or refusal) can be in
 *   flight when this tab learns of the new leader (a raw-key takeover is that fast). Held for
 *   `ORPHAN_GRACE_MS` while that leader's last messages land (a retired port of the direct line
 *   still delivers them), then settled by the rules here.
 * - started on a leader that vanished: calls that cannot write (`tables`, `auth`, `SELECT`/`VALUES`
 *   queries) are resent. Writes carry a request id the leader records in the same SQLite
 *   transaction (`leader/request-log.ts`), so they are resent too and the next leader either answers
 *   from the record (it committed) or runs them (it did not): exactly once. A statement of an
 *   interactive transaction rejects with `BUSY`: its transaction was rolled back with the leader
 *   (a known outcome). Only writes that cannot be recorded (`BEGIN`, `VACUUM`, `PRAGMA`, ...)
 *   reject with `BUSY` "outcome unknown".
 * - started on a leader that is still there, but no answer came: asked again every
 *   `PROBE_AFTER_MS` (the leader repeats `started`, or the answer it sent).
 */
import { CipherliteError, fromWire, isWireError } from '@cipherlite/core';
import type { Diagnostics } from '../shared/diagnostics.js';
import type { Leader } from './leader/leader.js';
import type { BusChannel, WorkerPlatform } from './runtime/platform.js';
import { isRepeatable, type BusMessage, type LeaderRequest } from '../shared/bus.js';
import { busNames } from '../shared/protocol.js';
import { canRecord } from './leader/request-log.js';
import { DirectLine } from './direct-line.js';
import type { LineCounts } from '../shared/protocol.js';
import type { Secret } from './runtime/secret.js';
import type { CallHooks } from './runtime/progress.js';

interface Pending {
  readonly id: number;
  readonly req: LeaderRequest;
  /** Epoch of the leader that started it, or null when not started. */
  startedBy: string | null;
  /**
   * The leader it was last sent to — its epoch, `UNKNOWN_LEADER` when this tab did not know it
   * yet — or null when not sent, or refused unstarted (`resend`, `reauth`). A leader that vanishes
   * may have started it though its `started` has not arrived yet (`#settleOrphans` waits for it).
   */
  sentTo: string | null;
  lastSent: number;
  /** Waiting for (re-)authentication before it is sent again. */
  held: boolean;
  /** Progress receiver and abort signal of the call (see `request`). */
  readonly hooks: CallHooks;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/** `Pending.sentTo` of a request sent before this tab learnt the leader's epoch. */
const UNKNOWN_LEADER = '?';

/** Request ids are unique for the worker's life (leaders drop ids they have seen, per tab). */
let lastRequestId = 0;

/** Resend a not-started request if no leader took it within this long (covers hand-over gaps). */
const RESEND_AFTER_MS = 750;
const RESEND_TICK_MS = 250;
/**
 * Ask again about a started request after this long without an answer: the leader repeats
 * `started` while it runs, or its answer if the first one was lost — no call waits forever on a
 * message that never came.
 */
const PROBE_AFTER_MS = 3000;

/**
 * After a leader change, how long a call the vanished leader may have started (sent to it, no
 * word back) waits for that leader's messages still in flight before it is settled.
 */
const ORPHAN_GRACE_MS = 250;

/** Why a call started by a vanished leader cannot be resent. */
function orphanError(req: LeaderRequest): CipherliteError {
  if ('txId' in req && req.txId !== undefined) {
    return new CipherliteError('BUSY', 'the tab that owned the database closed during this transaction; it was rolled back');
  }
  return new CipherliteError('BUSY', 'the tab that owned the database closed while running this call; it may or may not have completed');
}

function cancelled(): CipherliteError {
  return new CipherliteError('CANCELLED', 'the call was cancelled before it was sent');
}

export interface RouterHooks {
  /** The current leader rejected this tab's key material (e.g. the password was changed). */
  onKeyRejected(error: CipherliteError): void;
}

export class Router {
  readonly #tabId: string;
  #secret: Secret;
  readonly #hooks: RouterHooks;
  readonly #log: Diagnostics;
  readonly #rpc: BusChannel;
  readonly #reply: BusChannel;
  readonly #line: DirectLine;
  readonly #pending = new Map<number, Pending>();
  #local: Leader | null = null;
  /** Authentication with the current remote leader (reset when leadership moves). */
  #auth: Promise<void> | null = null;
  #leaderEpoch: string | null = null;
  #timer: ReturnType<typeof setInterval>;
  #disposed: CipherliteError | null = null;

  constructor(tabId: string, names: ReturnType<typeof busNames>, secret: Secret, hooks: RouterHooks, platform: WorkerPlatform, log: Diagnostics) {
    this.#tabId = tabId;
    this.#secret = secret;
    this.#hooks = hooks;
    this.#log = log;
    this.#rpc = platform.openChannel(names.rpc);
    this.#reply = platform.openChannel(names.reply(tabId));
    this.#reply.listen((msg) => {
      this.#line.countBroadcast();
      this.#onReply(msg);
    });
    this.#line = new DirectLine(platform.broker, names.leaderLock, tabId, log, (msg) => this.#onReply(msg));
    this.#timer = setInterval(() => this.#resendStale(), RESEND_TICK_MS);
  }

  get isLeader(): boolean {
    return this.#local !== null;
  }

  /**
   * Runs `req` wherever the database is owned now. `hooks.onProgress` receives the leader's
   * (throttled) progress; aborting `hooks.signal` cancels the call there — by a `cancel` message
   * when another tab runs it — and a call not sent yet is rejected here without being sent.
   */
  request(req: LeaderRequest, hooks: CallHooks = {}): Promise<unknown> {
    if (this.#disposed) return Promise.reject(this.#disposed);
    if (hooks.signal?.aborted) return Promise.reject(cancelled());
    if (this.#local) return this.#runLocal(this.#local, req, hooks);
    if (req.op === 'auth') return this.#send(req, hooks);
    return this.#authenticated().then(() => (this.#local ? this.#runLocal(this.#local, req, hooks) : this.#send(req, hooks)));
  }

  /** This tab's key material changed (its own `changePassword`); the old one is wiped by the caller. */
  replaceSecret(secret: Secret): void {
    this.#secret = secret;
  }

  /** Proves this tab's key material again (the keyslots changed); WRONG_KEY reaches `onKeyRejected`. */
  reauthenticate(): Promise<void> {
    if (this.#local) return Promise.resolve();
    this.#auth = null;
    return this.#authenticated();
  }

  /** Proves this tab's key material to the current leader (no-op when this tab leads). */
  authenticate(): Promise<void> {
    return this.#authenticated();
  }

  #authenticated(): Promise<void> {
    if (this.#local) return Promise.resolve();
    if (!this.#auth) {
      const attempt: Promise<void> = this.#send({ op: 'auth', key: this.#secret.toKeyMaterial() }).then(
        () => undefined,
        (e: unknown) => {
          if (this.#auth === attempt) this.#auth = null;
          if (e instanceof CipherliteError && e.code === 'WRONG_KEY') this.#hooks.onKeyRejected(e);
          throw e;
        },
      );
      this.#auth = attempt;
    }
    return this.#auth;
  }

  #runLocal(leader: Leader, req: LeaderRequest, hooks: CallHooks): Promise<unknown> {
    // This tab opened the database with its own key material: that is the proof.
    if (req.op === 'auth') return Promise.resolve();
    return leader.execute(this.#tabId, req, undefined, hooks);
  }

  #send(request: LeaderRequest, hooks: CallHooks = {}): Promise<unknown> {
    if (hooks.signal?.aborted) return Promise.reject(cancelled());
    return new Promise((resolve, reject) => {
      const id = ++lastRequestId;
      let req = this.#withRecord(request, `${this.#tabId}:${id}`);
      if (hooks.onProgress && req.op !== 'auth' && req.op !== 'txBegin' && req.op !== 'txEnd' && req.op !== 'replica' && req.op !== 'sync') req = { ...req, progress: true };
      const signal = hooks.signal;
      const onAbort = () => {
        if (!this.#pending.has(id)) return;
        // Posted at most once to the leader it went to; one that never got it never runs it (below).
        if (p.lastSent > 0) this.#line.send({ kind: 'cancel', id, from: this.#tabId }, this.#rpc);
        else {
          this.#pending.delete(id);
          reject(cancelled());
        }
      };
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T) => {
          signal?.removeEventListener('abort', onAbort);
          fn(v);
        };
      const p: Pending = { id, req, startedBy: null, sentTo: null, lastSent: 0, held: false, hooks, resolve: settle(resolve), reject: settle(reject) };
      this.#pending.set(p.id, p);
      signal?.addEventListener('abort', onAbort);
      this.#post(p);
    });
  }

  /** Writes get a request id the leader records with them (exactly once across a leader change). */
  #withRecord(req: LeaderRequest, record: string): LeaderRequest {
    if (req.op === 'txEnd') return req.commit ? { ...req, record } : req;
    if (req.op === 'auth' || req.op === 'txBegin' || req.op === 'replica' || req.op === 'sync') return req;
    return canRecord(req.op, req.args, req.txId) ? { ...req, record } : req;
  }

  #post(p: Pending): void {
    if (!this.#pending.has(p.id)) return;
    if (p.hooks.signal?.aborted) {
      // Cancelled while it waited to be (re)sent: it never runs.
      this.#pending.delete(p.id);
      p.reject(cancelled());
      return;
    }
    p.held = false;
    p.lastSent = Date.now();
    p.sentTo = this.#leaderEpoch ?? UNKNOWN_LEADER;
    this.#line.send({ kind: 'req', id: p.id, from: this.#tabId, req: p.req }, this.#rpc);
  }

  #onReply(msg: BusMessage): void {
    if (msg.kind === 'progress') {
      const p = this.#pending.get(msg.id);
      // Already throttled by the leader; the engine forwards it to this tab's main thread.
      if (p) p.hooks.onProgress?.(msg.progress);
      return;
    }
    if (msg.kind === 'started') {
      const p = this.#pending.get(msg.id);
      if (p) p.startedBy = msg.epoch;
      // A tab that unlocked after the leader's announcement learns its epoch here.
      if (!this.#local && (this.#leaderEpoch === null || this.#leaderEpoch === msg.epoch)) this.#line.use(msg.epoch);
      return;
    }
    if (msg.kind !== 'res') return;
    const p = this.#pending.get(msg.id);
    if (!p) return;
    if (msg.ok) {
      this.#pending.delete(p.id);
      p.resolve(msg.value);
      return;
    }
    if (msg.retry === 'resend') {
      p.startedBy = null;
      p.sentTo = null; // refused unstarted
      p.lastSent = 0; // picked up by the next tick, once a leader is there
      return;
    }
    if (msg.retry === 'reauth' && p.req.op !== 'auth') {
      p.startedBy = null;
      p.sentTo = null; // refused unstarted
      // Already waiting to be sent (a re-authentication, or the grace after a leader change): that sends it.
      if (p.held) return;
      this.#auth = null;
      p.held = true;
      this.#authenticated().then(
        () => this.#post(p),
        (e: unknown) => {
          this.#pending.delete(p.id);
          p.reject(e);
        },
      );
      return;
    }
    this.#pending.delete(p.id);
    p.reject(isWireError(msg.error) ? fromWire(msg.error) : msg.error);
  }

  #resendStale(): void {
    if (this.#local) return;
    const now = Date.now();
    for (const p of this.#pending.values()) {
      if (p.held) continue;
      const waited = now - p.lastSent;
      if (p.startedBy === null ? waited >= RESEND_AFTER_MS : waited >= PROBE_AFTER_MS) this.#post(p);
    }
  }

  /**
   * Calls sent to a leader that vanished: resend the harmless ones (repeatable, or never sent to
   * it, or `txBegin` — a transaction dies with its leader). For the others, what that leader
   * posted last — `started`, the answer, a refusal — can still be in flight when this tab learns
   * of the new leader (a raw-key takeover is that fast): they are held for `ORPHAN_GRACE_MS`
   * while those messages land. Then one still waiting is failed if it was started there (`BUSY`,
   * outcome unknown: never run twice), and resent otherwise — the leader never got it, or
   * refused it, or queued it unstarted as it stepped down.
   */
  #settleOrphans(currentEpoch: string, resend: (p: Pending) => void): void {
    const uncertain: Pending[] = [];
    for (const p of [...this.#pending.values()]) {
      if (p.startedBy === currentEpoch) continue;
      if (isRepeatable(p.req) || (p.startedBy === null && (p.sentTo === null || p.sentTo === currentEpoch || p.req.op === 'txBegin'))) {
        p.startedBy = null;
        resend(p);
        continue;
      }
      p.held = true; // not resent by the timer meanwhile
      uncertain.push(p);
    }
    if (uncertain.length === 0) return;
    setTimeout(() => {
      for (const p of uncertain) {
        if (this.#disposed || this.#pending.get(p.id) !== p) continue; // answered or failed meanwhile
        if (p.startedBy === null) {
          this.#resendToCurrent(p);
        } else {
          this.#pending.delete(p.id);
          p.reject(orphanError(p.req));
        }
      }
    }, ORPHAN_GRACE_MS);
  }

  /** Sends `p` again to whoever leads now: this tab, or another once this tab proved its key to it. */
  #resendToCurrent(p: Pending): void {
    const local = this.#local;
    if (local) {
      this.#pending.delete(p.id);
      this.#runLocal(local, p.req, p.hooks).then(p.resolve, p.reject);
      return;
    }
    p.held = true;
    this.#authenticated().then(
      () => this.#post(p),
      (e: unknown) => {
        if (this.#pending.delete(p.id)) p.reject(e);
      },
    );
  }

  /** Another tab announced it leads now (epoch `epoch`). */
  leaderChanged(epoch: string): void {
    if (this.#local || this.#disposed || epoch === this.#leaderEpoch) return;
    this.#leaderEpoch = epoch;
    // Before anything is resent: the old leader's port goes now, the new one's comes when paired.
    this.#line.use(epoch);
    // Re-prove the key before anything is resent; earlier authentications are answered by it.
    const staleAuths = [...this.#pending.values()].filter((p) => p.req.op === 'auth');
    for (const p of staleAuths) this.#pending.delete(p.id);
    this.#auth = null;
    const auth = this.#authenticated();
    // Its failure reaches every call held below; here it only must not go unhandled.
    auth.catch(this.#log.ignored('router.reauth-failed', 'debug'));
    for (const p of staleAuths) auth.then(() => p.resolve(undefined), p.reject);
    this.#settleOrphans(epoch, (p) => {
      if (p.req.op === 'auth') return;
      p.held = true;
      auth.then(
        () => this.#post(p),
        (e: unknown) => {
          if (this.#pending.delete(p.id)) p.reject(e);
        },
      );
    });
  }

  /** This tab became the leader: run what is still waiting here. */
  becameLeader(leader: Leader): void {
    this.#local = leader;
    this.#line.retire();
    this.#auth = null;
    this.#leaderEpoch = leader.epoch;
    this.#settleOrphans(leader.epoch, (p) => {
      this.#pending.delete(p.id);
      this.#runLocal(leader, p.req, p.hooks).then(p.resolve, p.reject);
    });
  }

  /** This tab stopped leading (it is locking or closing). */
  leftLeadership(): void {
    this.#local = null;
  }

  /** Rejects every forwarded call still waiting (a takeover failed); the router stays usable. */
  failPending(error: CipherliteError): void {
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    this.#auth = null;
  }

  /** Rejects everything still waiting with `error`, says goodbye to the leader, stops. */
  dispose(error: CipherliteError): void {
    if (this.#disposed) return;
    this.#disposed = error;
    clearInterval(this.#timer);
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    // After this tab's requests, on the transport they took.
    if (!this.#local) this.#line.send({ kind: 'bye', from: this.#tabId }, this.#rpc);
    this.#line.drop();
    this.#rpc.close();
    this.#reply.close();
  }

  /** Diagnostics: messages exchanged with a remote leader, per transport. */
  lineCounts(): LineCounts {
    return this.#line.counts();
  }
}
