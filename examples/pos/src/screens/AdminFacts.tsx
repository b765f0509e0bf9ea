/**
 * The facts at the top of Admin, in a shop owner's words: how much is stored, that it is
 * encrypted, the ways to unlock, whether the browser keeps it, and what the till holds (sales,
 * refunds, products — not SQL table names). The cryptographic details (cipher, key derivation,
 * keyslots, format, key epoch) sit behind a "Technical details" disclosure.
 */
import { useEffect, useState } from 'react';
import type { CipherliteDatabase, DatabaseStats, KeyslotInfo } from '@cipherlite/worker';
import { formatBytes } from '../money.ts';
import { describeError } from '../store.ts';
import { Banner, Card, Spinner } from '../ui.tsx';

/** The data's size, measured the same way in the technical details and the restore comparison. */
export const DATA_SIZE_LABEL = 'Size of the data';

/** What each table of the shop holds, as Admin names it; the till's own bookkeeping tables share one name. */
const TABLE_LABELS: Readonly<Record<string, string>> = {
  setting: 'Shop settings',
  product: 'Products',
  sale: 'Sales',
  sale_line: 'Items sold',
  refund: 'Refunds',
  refund_line: 'Items refunded',
};

export function tableLabel(name: string): string {
  return TABLE_LABELS[name] ?? (/^_?cipherlite_/.test(name) ? 'Till bookkeeping' : name);
}

const KEY_KINDS: Readonly<Record<KeyslotInfo['kind'], string>> = { password: 'password', raw: 'app key', recovery: 'recovery key', passkey: 'passkey' };

export function StorageCard({ db, stats, error }: { db: CipherliteDatabase; stats: DatabaseStats | null; error: unknown }) {
  const password = stats?.keyslots.find((k) => k.kind === 'password')?.kdf;
  // openDatabase does not wait for the browser's answer (Firefox asks the user): it arrives later.
  const [persisted, setPersisted] = useState(db.persisted);
  useEffect(() => db.onPersisted(setPersisted), [db]);
  return (
    <Card title="Storage & encryption" id="storage">
      {error ? <Banner kind="error">{describeError(error)}</Banner> : null}
      {!stats ? (
        <p className="muted">
          <Spinner /> Reading…
        </p>
      ) : (
        <>
          <dl className="facts">
            <dt>Stored on this device</dt>
            <dd data-testid="db-size">
              {formatBytes(stats.totalBytes)}
              <span className="fact-note">unreadable without the password or the recovery key</span>
            </dd>
            <dt>Encryption</dt>
            <dd>
              <span className="pill pill-ok">On</span> everything the till stores is encrypted
            </dd>
            <dt>Ways to unlock</dt>
            <dd>{[...new Set(stats.keyslots.map((k) => KEY_KINDS[k.kind]))].join(', ')}</dd>
            <dt>Kept by the browser</dt>
            <dd>
              {persisted === true
                ? 'Yes — the browser will not clear this data to free space'
                : persisted === false
                  ? 'Not promised — the browser may clear it when space runs out: keep backups'
                  : 'Not answered yet'}
            </dd>
          </dl>
          <details className="tech-details">
            <summary>Technical details</summary>
            <dl className="facts">
              <dt>{DATA_SIZE_LABEL}</dt>
              <dd data-testid="data-size">
                {formatBytes(stats.pageCount * stats.pageSize)}
                <span className="fact-note">
                  {stats.pageCount} SQLite pages × {formatBytes(stats.pageSize)}, as compared when restoring
                </span>
              </dd>
              <dt>Cipher</dt>
              <dd>
                {stats.cipher}, every {formatBytes(stats.blockSize)} page, with a nonce and an authentication tag per page
              </dd>
              <dt>Key derivation</dt>
              <dd>{password ? `Argon2id · ${password.memoryKiB / 1024} MiB · ${password.iterations} passes · ${password.parallelism} lane${password.parallelism > 1 ? 's' : ''}` : 'raw key'}</dd>
              <dt>Keyslots</dt>
              <dd>
                {stats.keyslots.map((k) => k.kind).join(', ')} ({stats.keyslotCount} of 4)
              </dd>
              <dt>Format</dt>
              <dd>
                cipherlite v{stats.formatVersion} · {stats.freePages} free pages
              </dd>
              <dt>Key epoch</dt>
              <dd>
                {stats.epoch.current} ({stats.epoch.writesInEpoch.toLocaleString()} of {stats.epoch.limit.toLocaleString()} writes)
              </dd>
            </dl>
          </details>
        </>
      )}
    </Card>
  );
}

export function TablesCard({ stats }: { stats: DatabaseStats | null }) {
  return (
    <Card title="What the till holds" id="tables">
      {stats && (
        <table className="table" aria-label="Tables">
          <thead>
            <tr>
              <th>Records</th>
              <th className="num">Count</th>
              <th className="num">Size</th>
            </tr>
          </thead>
          <tbody>
            {stats.tables.map((t) => (
              <tr key={t.name} title={t.name}>
                <td>{tableLabel(t.name)}</td>
                <td className="num">{t.rows.toLocaleString()}</td>
                <td className="num">{formatBytes(t.bytes + t.indexBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
