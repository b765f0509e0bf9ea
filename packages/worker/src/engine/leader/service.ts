/**
 * The leader's service to other tabs: it listens on the `rpc` channel, answers each follower on
 * its own reply channel — or, for a request that came over a follower's port of the direct line
 * (`../direct-line.ts`), on that port — and enforces the serving rules, the same for both:
 * - a request is taken once per `(tab, id)`: a follower resends requests it has no answer for,
 *   and a resend must never run twice. A resend of a request still running is answered with
 *   `started` again; of one that finished, with its answer again (kept for calls that must not
 *   run twice) or by running it again where that is harmless (`isRepeatable`: reads, and writes
 *   the request log answers from its record) — so a lost answer never leaves a call hanging;
 * - only tabs that proved their key material (`auth`) are served; others are told to re-prove
 *   (`retry: 'reauth'`);
 * - a leader stepping down refuses new and queued requests with `retry: 'resend'` (they were
 *   never started, so the next leader may run them);
 * - `started` is sent when a request begins executing, so the follower knows whether its outcome
 *   is unknown if this leader vanishes;
 * - a request that asked for progress gets `progress` messages on the same reply channel, so they
 *   arrive before its result; a `cancel` from its tab aborts that request only (tab and id).
 */
import { CipherliteError, toWire } from '@cipherlite/core';
import type { Diagnostics } from '../../shared/diagnostics.js';
import type { BusChannel, LinePort, WorkerPlatform } from '../runtime/platform.js';
import type { PasskeyChallenge, Progress } from '@cipherlite/core/keys';
import type { CallHooks } from '../runtime/progress.js';
import type { busNames } from '../../shared/protocol.js';
import { isRepeatable, type BusMessage, type LeaderRequest } from '../../shared/bus.js';

/** Rejection reason for jobs a stepping-down leader never started (safe to resend). */
export class SteppedDown extends Error {
  constructor() {
    super('the tab that owned the database stepped down before running this call');
    this.name = 'SteppedDown';
  }
}

/** How many forwarded request ids are remembered for deduplication. */
const SEEN_LIMIT = 10_000;
/** How many answers of finished non-repeatable calls are kept for a follower that lost one. */
const ANSWER_LIMIT = 256;

/** A request this leader took: running (`answer` null), or finished. */
interface Taken {
  readonly req: LeaderRequest;
  started: boolean;
  finished: boolean;
  /** The answer, kept while the call is among the newest `ANSWER_LIMIT` non-repeatable ones. */
  answer: BusMessage | null;
}

/** What the service needs from the leader it serves for. */
export interface ServingLeader {
  readonly epoch: string;
  readonly stepping: boolean;
  execute(from: string, req: LeaderRequest, onStart: () => void, hooks: CallHooks): Promise<unknown>;
  /** The tab `from` locked or closed: roll back what it left open. */
  forget(from: string): void;
  /** The passkey challenges of the open file (public header). */
  passkeyChallenges(): PasskeyChallenge[];
}

export class LeaderService {
  readonly #leader: ServingLeader;
  readonly #names: ReturnType<typeof busNames>;
  readonly #platform: WorkerPlatform;
  readonly #log: Diagnostics;
  readonly #authorized = new Set<string>();
  /** `${tab}:${id}` of requests already taken, oldest first. */
  readonly #taken = new Map<string, Taken>();
  /** Keys of the finished calls whose answers are kept, oldest first. */
  readonly #answers: string[] = [];
  readonly #replies = new Map<string, BusChannel>();
  /** Abort controllers of the requests running or queued, by `${tab}:${id}`. */
  readonly #running = new Map<string, AbortController>();
  #rpc: BusChannel | null = null;
  /** The followers' ports of the direct line, and what ends this leader's registration with the broker. */
  readonly #ports = new Set<LinePort>();
  #unregister: (() => void) | null = null;

  constructor(leader: ServingLeader, names: ReturnType<typeof busNames>, platform: WorkerPlatform, log: Diagnostics) {
    this.#leader = leader;
    this.#names = names;
    this.#platform = platform;
    this.#log = log;
  }

  /** `tab` proved its key material (or is the leader's own tab). */
  authorize(tab: string): void {
    this.#authorized.add(tab);
  }

  listen(): void {
    this.#rpc = this.#platform.openChannel(this.#names.rpc);
    this.#rpc.listen((msg) => this.#onRpc(msg));
    this.#unregister = this.#platform.broker?.register(this.#names.leaderLock, this.#leader.epoch, (tab, port) => this.#acceptPort(tab, port)) ?? null;
  }

  close(): void {
    this.#unregister?.();
    this.#unregister = null;
    for (const port of this.#ports) port.close();
    this.#ports.clear();
    this.#rpc?.close();
    for (const ch of this.#replies.values()) ch.close();
    this.#replies.clear();
  }

  /** A follower's port (the broker paired it with this leader): served like the `rpc` channel, answered on the port. */
  #acceptPort(tab: string, port: LinePort): void {
    if (this.#leader.stepping) {
      port.close();
      return;
    }
    this.#ports.add(port);
    port.listen((msg) => {
      // A port speaks for the tab it was paired for only.
      if ('from' in msg && msg.from === tab) this.#onRpc(msg, port);
    });
    port.onGone(() => {
      this.#ports.delete(port);
      port.close();
    });
  }

  #onRpc(msg: BusMessage, port?: LinePort): void {
    if (msg.kind === 'bye') {
      this.#authorized.delete(msg.from);
      this.#leader.forget(msg.from);
      return;
    }
    // Another tab speaks over the BroadcastChannels: reach the direct line's broker (once), so
    // that tab's follower can be paired (engine/runtime/broker-client.ts).
    if (!port) this.#platform.broker?.wanted();
    if (msg.kind === 'challengesReq') {
      // The header is public: any tab may ask, authenticated or not (it has no key yet).
      let answer: BusMessage;
      try {
        answer = { kind: 'challenges', id: msg.id, ok: true, challenges: this.#leader.passkeyChallenges() };
      } catch (e) {
        answer = { kind: 'challenges', id: msg.id, ok: false, error: toWire(e) };
      }
      (port ?? this.#replyChannel(msg.from)).post(answer);
      return;
    }
    if (msg.kind === 'cancel') {
      this.#running.get(`${msg.from}:${msg.id}`)?.abort();
      return;
    }
    if (msg.kind !== 'req') return;
    const key = `${msg.from}:${msg.id}`;
    const reply = port ?? this.#replyChannel(msg.from);
    const post = (m: BusMessage) => {
      try {
        reply.post(m);
      } catch (e) {
        // A result that cannot be cloned still must answer the follower.
        if (m.kind === 'res' && m.ok) reply.post({ kind: 'res', id: msg.id, ok: false, error: toWire(e) });
        else this.#log.report('error', 'leader.reply-failed', e);
      }
    };
    const taken = this.#taken.get(key);
    if (taken && !this.#answerAgain(taken, msg.id, post)) return;
    this.#take(key, msg.req);

    if (this.#leader.stepping) {
      this.#taken.delete(key);
      post({ kind: 'res', id: msg.id, ok: false, error: toWire(new SteppedDown()), retry: 'resend' });
      return;
    }
    if (msg.req.op !== 'auth' && !this.#authorized.has(msg.from)) {
      this.#taken.delete(key);
      post({ kind: 'res', id: msg.id, ok: false, error: toWire(new CipherliteError('LOCKED', 'this tab has not proven its key to the owning tab')), retry: 'reauth' });
      return;
    }
    const entry = this.#taken.get(key)!;
    const finish = (answer: BusMessage) => {
      this.#running.delete(key);
      entry.finished = true;
      if (!isRepeatable(entry.req)) this.#keepAnswer(key, entry, answer);
      post(answer);
    };
    const abort = new AbortController();
    this.#running.set(key, abort);
    const hooks: CallHooks = {
      signal: abort.signal,
      ...('progress' in msg.req && msg.req.progress ? { onProgress: (progress: Progress) => post({ kind: 'progress', id: msg.id, progress }) } : {}),
    };
    this.#leader
      .execute(
        msg.from,
        msg.req,
        () => {
          entry.started = true;
          post({ kind: 'started', id: msg.id, epoch: this.#leader.epoch });
        },
        hooks,
      )
      .then(
        (value) => finish({ kind: 'res', id: msg.id, ok: true, value }),
        (e: unknown) => {
          if (e instanceof SteppedDown) {
            this.#running.delete(key);
            this.#taken.delete(key);
            post({ kind: 'res', id: msg.id, ok: false, error: toWire(e), retry: 'resend' });
            return;
          }
          finish({ kind: 'res', id: msg.id, ok: false, error: toWire(e) });
        },
      );
  }

  /**
   * A request taken before arrives again (its follower has no answer yet). Answers it from what
   * is known; returns true when it must run again instead.
   */
  #answerAgain(taken: Taken, id: number, post: (m: BusMessage) => void): boolean {
    if (!taken.finished) {
      // Still queued or running: its answer will come. Repeat `started` so the follower knows.
      if (taken.started) post({ kind: 'started', id, epoch: this.#leader.epoch });
      return false;
    }
    if (taken.answer) {
      post(taken.answer);
      return false;
    }
    if (isRepeatable(taken.req)) return true;
    // Its answer was dropped from the bounded cache long ago: say so rather than stay silent.
    post({ kind: 'res', id, ok: false, error: toWire(new CipherliteError('BUSY', 'the answer to this call was lost; it may or may not have completed')) });
    return false;
  }

  #take(key: string, req: LeaderRequest): void {
    this.#taken.delete(key);
    this.#taken.set(key, { req, started: false, finished: false, answer: null });
    if (this.#taken.size > SEEN_LIMIT) this.#taken.delete(this.#taken.keys().next().value!);
  }

  #keepAnswer(key: string, entry: Taken, answer: BusMessage): void {
    entry.answer = answer;
    this.#answers.push(key);
    if (this.#answers.length > ANSWER_LIMIT) {
      const old = this.#taken.get(this.#answers.shift()!);
      if (old) old.answer = null;
    }
  }

  #replyChannel(tabId: string): BusChannel {
    let ch = this.#replies.get(tabId);
    if (!ch) {
      ch = this.#platform.openChannel(this.#names.reply(tabId));
      this.#replies.set(tabId, ch);
    }
    return ch;
  }
}
