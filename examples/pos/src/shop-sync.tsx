/**
 * Several tablets, one shop: multi-device sync of the shop's database through the shop's own
 * S3-compatible bucket (`db.sync`, docs/SYNC.md in the repository). The first tablet creates the
 * shop's sync (Admin → "Sync with other tablets"); the others are set up from it on their first
 * run ("Set up this tablet from the shop's cloud"). Every tablet sells offline; back online, each
 * ends with every sale of every tablet, and stock lowered by all of them (a counter column).
 *
 * The settings (bucket, access keys, this tablet's name) live in the encrypted database
 * (`setting` table, written outside sync: each tablet keeps its own), never in plaintext storage.
 * While a shop syncs, its sales, refunds and products are written through `db.sync.transaction`
 * (`useShopTransaction`), with ids drawn at random: two tablets numbering sales 1, 2, 3 offline
 * would collide. Shop settings (name, currency, auto-lock) stay per tablet.
 */
import { useMutation, useQuery } from '@cipherlite/react';
import type { CipherliteDatabase, SyncDeviceInfo, SyncOptions, SyncStatus, Transaction } from '@cipherlite/worker';
import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { SCHEMA_VERSION, SHOP_TABLES } from './schema.ts';

export const SYNC = {
  endpoint: 'sync_endpoint',
  bucket: 'sync_bucket',
  prefix: 'sync_prefix',
  accessKeyId: 'sync_access_key',
  secretAccessKey: 'sync_secret',
  tablet: 'sync_tablet',
} as const;

export interface SyncSettings {
  endpoint: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** This tablet's name: on its sales, in the other tablets' device lists. */
  tablet: string;
}

export const EMPTY_SYNC: SyncSettings = { endpoint: '', bucket: '', prefix: '', accessKeyId: '', secretAccessKey: '', tablet: '' };

export function isSyncComplete(s: SyncSettings): boolean {
  return (Object.keys(SYNC) as (keyof SyncSettings)[]).every((k) => s[k].trim() !== '');
}

export function syncOptionsOf(s: SyncSettings): SyncOptions {
  return {
    replica: { endpoint: s.endpoint.trim(), bucket: s.bucket.trim(), prefix: s.prefix.trim(), credentials: { accessKeyId: s.accessKeyId.trim(), secretAccessKey: s.secretAccessKey } },
    tables: SHOP_TABLES,
    maxSchemaVersion: SCHEMA_VERSION,
    deviceName: s.tablet.trim(),
  };
}

function settingsOf(rows: readonly { key: string; value: string }[] | undefined): SyncSettings {
  const get = (key: string) => rows?.find((r) => r.key === key)?.value ?? '';
  return Object.fromEntries(Object.entries(SYNC).map(([field, key]) => [field, get(key)])) as unknown as SyncSettings;
}

/** The sync settings as stored, read once (opening the till, before the pages render). */
export async function storedSyncOptions(db: CipherliteDatabase): Promise<SyncOptions | null> {
  if (!(await db.get(`SELECT 1 AS found FROM sqlite_schema WHERE name = 'setting'`))) return null;
  const s = settingsOf(await db.query<{ key: string; value: string }>('SELECT key, value FROM setting WHERE key LIKE ?', ['sync_%']));
  return isSyncComplete(s) ? syncOptionsOf(s) : null;
}

/** The sync settings as stored (live: a change in any tab reaches every tab). */
export function useSyncSettings(): SyncSettings {
  const rows = useQuery<{ key: string; value: string }>('SELECT key, value FROM setting WHERE key LIKE ?', ['sync_%']);
  return useMemo(() => settingsOf(rows.data), [rows.data]);
}

/** Saved outside sync: the settings are this tablet's own. */
export function saveSyncSettings(db: CipherliteDatabase, s: SyncSettings): Promise<unknown> {
  return db.batch(Object.entries(SYNC).map(([field, key]) => ({ sql: 'INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)', params: [key, s[field as keyof SyncSettings].trim()] })));
}

export type ShopSync = { kind: 'off' } | { kind: 'starting' } | { kind: 'status'; status: SyncStatus; devices: SyncDeviceInfo[] } | { kind: 'failed'; message: string };

/**
 * Starts sync in this tab's worker whenever complete settings change (the tab that leads runs the
 * rounds), follows its status and the shop's devices, and asks for a round as soon as the
 * browser is back online (instead of waiting for the retry backoff).
 */
export function useShopSync(db: CipherliteDatabase): ShopSync {
  const settings = useSyncSettings();
  const key = isSyncComplete(settings) ? JSON.stringify(settings) : '';
  const [status, setStatus] = useState<{ key: string; status: SyncStatus } | null>(null);
  const [devices, setDevices] = useState<SyncDeviceInfo[]>([]);
  const [failure, setFailure] = useState<{ key: string; message: string } | null>(null);
  useEffect(() => db.sync.onStatus((s) => setStatus({ key, status: s })), [db, key]);
  useEffect(() => {
    if (!key) return;
    let current = true;
    db.sync
      .start(syncOptionsOf(JSON.parse(key) as SyncSettings))
      .then(() => db.sync.status())
      .then(
        (s) => current && setStatus({ key, status: s }),
        (e: unknown) => current && setFailure({ key, message: e instanceof Error ? e.message : String(e) }),
      );
    const online = () => void db.sync.pushNow().catch((e: unknown) => console.warn(`sync after reconnecting: ${e instanceof Error ? e.message : String(e)}`));
    addEventListener('online', online);
    return () => {
      current = false;
      removeEventListener('online', online);
    };
  }, [db, key]);
  // The device list (names, last contact) follows the log position.
  const seq = status?.key === key ? status.status.seq : -1;
  useEffect(() => {
    if (seq < 0) return;
    let current = true;
    db.sync.devices().then(
      (d) => current && setDevices(d),
      (e: unknown) => console.warn(`sync devices: ${e instanceof Error ? e.message : String(e)}`),
    );
    return () => {
      current = false;
    };
  }, [db, seq]);
  if (!key) return { kind: 'off' };
  if (failure?.key === key) return { kind: 'failed', message: failure.message };
  return status?.key === key ? { kind: 'status', status: status.status, devices } : { kind: 'starting' };
}

const TabletContext = createContext<{ db: CipherliteDatabase | null; tablet: string | null }>({ db: null, tablet: null });

/** Tells the screens whether this till syncs, and under which tablet name. */
export function ShopSyncProvider({ db, sync, children }: { db: CipherliteDatabase; sync: ShopSync; children: ReactNode }) {
  const settings = useSyncSettings();
  const tablet = sync.kind === 'off' ? null : settings.tablet.trim() || null;
  const value = useMemo(() => ({ db, tablet }), [db, tablet]);
  return <TabletContext.Provider value={value}>{children}</TabletContext.Provider>;
}

/** This tablet's name while the shop syncs; null on a till of its own. */
export function useTablet(): string | null {
  return useContext(TabletContext).tablet;
}

/** A new row id: SQLite's next (null) on a till of its own; random while several tablets write (53 bits: no two tablets collide in practice). */
export function newRowId(tablet: string | null): number | null {
  if (tablet === null) return null;
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  return (hi! & 0x1fffff) * 2 ** 32 + lo! || 1;
}

/**
 * `useTransaction` for the shop's tables: through `db.sync.transaction` while the shop syncs (a
 * plain transaction is not captured for sync), `db.transaction` otherwise. `fn` gets the tablet
 * name (null: no sync).
 */
export function useShopTransaction<A extends unknown[], R>(fn: (tx: Transaction, tablet: string | null, ...args: A) => Promise<R>) {
  const { db, tablet } = useContext(TabletContext);
  return useMutation((live, ...args: A) => {
    if (tablet !== null && db) return db.sync.transaction((tx) => fn(tx, tablet, ...args));
    return live.transaction((tx) => fn(tx as Transaction, null, ...args));
  });
}

/** "3 min ago" for a last contact. */
export function ago(at: number | null, now = Date.now()): string {
  if (at === null) return 'never';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(at).toLocaleString();
}

/** The indicator on every screen: synced / pending N / offline / error, with the other tablets' last contact. */
export function SyncStatusPill({ state }: { state: ShopSync }) {
  if (state.kind === 'off') return null;
  const [cls, text, title] = describeSync(state);
  return (
    <a href="#/admin" className={`pill ${cls}`} title={title} data-sync={text.split(' ·')[0]}>
      ⇄ {text}
    </a>
  );
}

function describeSync(state: ShopSync): [string, string, string] {
  if (state.kind === 'starting' || state.kind === 'off') return ['pill-warn', 'connecting', 'Connecting to the shop’s other tablets'];
  if (state.kind === 'failed') return ['pill-error', 'error', state.message];
  const { status, devices } = state;
  const others = devices.filter((d) => !d.self && d.removedSeq === null);
  const contact = others.map((d) => `${d.name ?? d.device.slice(0, 8)}: last contact ${ago(d.lastSeenAt)}`).join('\n');
  const newest = others.reduce<number | null>((m, d) => (d.lastSeenAt !== null && (m === null || d.lastSeenAt > m) ? d.lastSeenAt : m), null);
  const suffix = others.length > 0 ? ` · ${others.length} other tablet${others.length > 1 ? 's' : ''}, ${ago(newest)}` : '';
  switch (status.state) {
    case 'offline':
      return ['pill-warn', `offline${suffix}`, `No connection to the shop’s bucket; ${status.pending} sale(s) wait and go out once online\n${contact}`];
    case 'error':
      return ['pill-error', 'error', status.lastError ? `${status.lastError.code}: ${status.lastError.message}` : 'Sync error'];
    case 'paused':
      return ['pill-warn', 'paused', 'Sync paused'];
    default:
      return status.pending > 0 ? ['pill-warn', `pending ${status.pending}${suffix}`, contact] : ['pill-ok', `synced${suffix}`, contact || 'No other tablet has written yet'];
  }
}
