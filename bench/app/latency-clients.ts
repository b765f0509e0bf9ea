/**
 * The same calls, main thread → worker → result, through four clients:
 * - cipherlite: `openDatabase()` of @cipherlite/worker (Comlink, leader election, encryption);
 * - bare: a dedicated worker answering with `postMessage` on plain opfs-sahpool (the floor);
 * - bareComlink: the same worker reached through Comlink (what the RPC layer alone costs);
 * - sqlocal: SQLocal (plain sqlite-wasm on the "opfs" VFS; needs cross-origin isolation).
 * Each uses its product's defaults (journal mode, locking); the bare worker uses cipherlite's
 * page cache size and durability.
 */
import { openDatabase, type CipherliteDatabase } from '@cipherlite/worker';
import { SQLocal } from 'sqlocal';
import * as Comlink from 'comlink';
import type { BareRequest, BareResponse, ClientKind, DistributiveOmit, Stmt } from './latency-protocol.ts';

export interface Client {
  readonly kind: ClientKind;
  get(s: Stmt): Promise<unknown>;
  query(s: Stmt): Promise<unknown[]>;
  exec(s: Stmt): Promise<unknown>;
  /** An interactive transaction: begin, one round trip per statement, commit. */
  transaction(stmts: Stmt[]): Promise<void>;
  /** All statements in one transaction and one round trip. */
  batch(stmts: Stmt[]): Promise<void>;
  close(): Promise<void>;
}

export const PASSWORD = 'latency benchmark password';

/** cipherlite refuses a parameter list for a statement without parameters: pass none then. */
const paramsOf = (s: Stmt): Stmt['params'] | undefined => (s.params.length === 0 ? undefined : s.params);

/** `key` (a raw 32-byte key: no Argon2id) where the KDF would hide what is measured. */
export async function openCipherlite(name: string, key?: Uint8Array): Promise<Client & { db: CipherliteDatabase }> {
  const db = await openDatabase({ name, ...(key ? { key } : { password: PASSWORD }), directory: 'bench-latency' });
  return {
    kind: 'cipherlite',
    db,
    get: (s) => db.get(s.sql, paramsOf(s)),
    query: (s) => db.query(s.sql, paramsOf(s)),
    exec: (s) => db.exec(s.sql, paramsOf(s)),
    transaction: (stmts) =>
      db.transaction(async (tx) => {
        for (const s of stmts) await tx.exec(s.sql, paramsOf(s));
      }),
    batch: async (stmts) => void (await db.batch(stmts)),
    close: () => db.close(),
  };
}

/**
 * The bare floor's client. `bare`: request ids matched to promises over raw `postMessage`, nothing
 * else. `bareComlink`: the same worker code reached through a Comlink proxy.
 */
export class BareClient implements Client {
  readonly kind: 'bare' | 'bareComlink';
  readonly #worker: Worker;
  readonly #send: (req: DistributiveOmit<BareRequest, 'id'>) => Promise<unknown>;

  private constructor(kind: 'bare' | 'bareComlink') {
    this.kind = kind;
    if (kind === 'bareComlink') {
      this.#worker = new Worker(new URL('./bare-comlink-worker.ts', import.meta.url), { type: 'module' });
      const remote = Comlink.wrap<{ request(req: DistributiveOmit<BareRequest, 'id'>): unknown }>(this.#worker);
      this.#send = (req) => remote.request(req);
      return;
    }
    this.#worker = new Worker(new URL('./bare-worker.ts', import.meta.url), { type: 'module' });
    const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
    let next = 0;
    this.#worker.onmessage = (e: MessageEvent<BareResponse>) => {
      const p = pending.get(e.data.id)!;
      pending.delete(e.data.id);
      if ('error' in e.data) p.reject(new Error(e.data.error));
      else p.resolve(e.data.result);
    };
    this.#send = (req) => {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        this.#worker.postMessage({ ...req, id });
      });
    };
  }

  static async open(name: string, kind: 'bare' | 'bareComlink' = 'bare'): Promise<BareClient> {
    const c = new BareClient(kind);
    await c.request({ op: 'open', name, pool: kind === 'bare' ? 'bench-bare' : 'bench-bare-comlink' });
    return c;
  }

  request(req: DistributiveOmit<BareRequest, 'id'>): Promise<unknown> {
    return this.#send(req);
  }

  get(s: Stmt) {
    return this.request({ op: 'get', ...s });
  }
  query(s: Stmt) {
    return this.request({ op: 'all', ...s }) as Promise<unknown[]>;
  }
  exec(s: Stmt) {
    return this.request({ op: 'run', ...s });
  }
  async transaction(stmts: Stmt[]) {
    await this.request({ op: 'run', sql: 'BEGIN', params: [] });
    try {
      for (const s of stmts) await this.exec(s);
    } catch (e) {
      await this.request({ op: 'run', sql: 'ROLLBACK', params: [] });
      throw e;
    }
    await this.request({ op: 'run', sql: 'COMMIT', params: [] });
  }
  async batch(stmts: Stmt[]) {
    await this.request({ op: 'batch', stmts });
  }
  async close() {
    await this.request({ op: 'close' });
    this.#worker.terminate();
  }
}

export async function openSqlocal(name: string): Promise<Client> {
  const db = new SQLocal({ databasePath: `${name}.sqlite3` });
  await db.sql('PRAGMA cache_size = -32768');
  return {
    kind: 'sqlocal',
    get: async (s) => (await db.sql(s.sql, ...s.params))[0],
    query: (s) => db.sql(s.sql, ...s.params),
    exec: (s) => db.sql(s.sql, ...s.params),
    transaction: (stmts) =>
      db.transaction(async (tx) => {
        for (const s of stmts) await tx.sql(s.sql, ...s.params);
      }),
    batch: async (stmts) => void (await db.batch(() => stmts)),
    close: () => db.destroy(),
  };
}

export function openClient(kind: ClientKind, name: string): Promise<Client> {
  if (kind === 'cipherlite') return openCipherlite(name);
  if (kind === 'bare' || kind === 'bareComlink') return BareClient.open(name, kind);
  return openSqlocal(name);
}
