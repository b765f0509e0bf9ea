/**
 * Admin's "Sync with other tablets": the first tablet creates the shop's sync in its bucket (its
 * database as it is now becomes every tablet's starting point); once the shop syncs, the card
 * shows the state, each tablet's last contact, and removes a lost tablet (its later sales are
 * refused by every other tablet).
 */
import type { CipherliteDatabase } from '@cipherlite/worker';
import { useState } from 'react';
import { ago, EMPTY_SYNC, isSyncComplete, saveSyncSettings, syncOptionsOf, type ShopSync, type SyncSettings } from '../shop-sync.tsx';
import { describeError } from '../store.ts';
import { Banner, Card } from '../ui.tsx';
import { SyncFields } from './SyncFields.tsx';

type Message = { kind: 'error' | 'success'; text: string } | null;

export function SyncCard({ db, state, cloudOn }: { db: CipherliteDatabase; state: ShopSync; cloudOn: boolean }) {
  const [form, setForm] = useState<SyncSettings>(EMPTY_SYNC);
  const [pending, setPending] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  if (state.kind !== 'off') return <SyncDetail db={db} state={state} />;
  return (
    <Card title="Sync with other tablets" id="sync">
      <p className="muted">
        Several tablets, one shop: every tablet sells offline, and once online each one shows every sale, the same totals and the stock lowered by all of them. The bucket sees ciphertext only. Create
        the shop&apos;s sync here on the first tablet; set up the others from it on their first run (“Set up this tablet from the shop’s cloud”).
      </p>
      {cloudOn && <Banner kind="info">This till runs a cloud backup. The shop’s sync replaces it (its log is the backup): set it up on a till without one.</Banner>}
      {message && <Banner kind={message.kind}>{message.text}</Banner>}
      <form
        className="stack-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!isSyncComplete(form)) return setMessage({ kind: 'error', text: 'Fill in every field.' });
          setPending(true);
          setMessage(null);
          try {
            await db.sync.create(syncOptionsOf(form));
            await saveSyncSettings(db, form);
          } catch (err) {
            setMessage({ kind: 'error', text: describeError(err) });
          } finally {
            setPending(false);
          }
        }}
      >
        <SyncFields form={form} onChange={(edit) => setForm({ ...form, ...edit })} disabled={pending || cloudOn} />
        <button type="submit" className="btn btn-primary" disabled={pending || cloudOn}>
          {pending ? 'Creating…' : 'Create the shop’s sync'}
        </button>
      </form>
    </Card>
  );
}

function SyncDetail({ db, state }: { db: CipherliteDatabase; state: Exclude<ShopSync, { kind: 'off' }> }) {
  const [message, setMessage] = useState<Message>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const status = state.kind === 'status' ? state.status : null;
  const devices = state.kind === 'status' ? state.devices : [];
  const act = (run: () => Promise<unknown>, done: string) =>
    run().then(
      () => setMessage({ kind: 'success', text: done }),
      (err: unknown) => setMessage({ kind: 'error', text: describeError(err) }),
    );
  return (
    <Card title="Sync with other tablets" id="sync">
      {message && <Banner kind={message.kind}>{message.text}</Banner>}
      {state.kind === 'failed' && <Banner kind="error">{state.message}</Banner>}
      {status && (
        <p className="muted" data-testid="sync-detail">
          State: {status.state} · pending {status.pending} · last synced {status.lastPullAt ? new Date(status.lastPullAt).toLocaleTimeString() : 'not yet'}
          {status.lastError ? ` · ${status.lastError.code}` : ''}
        </p>
      )}
      {devices.length > 0 && (
        <div className="table-scroll">
          <table className="table" aria-label="Tablets">
            <thead>
              <tr>
                <th>Tablet</th>
                <th>Last contact</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {devices.map((d) => (
                <tr key={d.device} data-device={d.device}>
                  <td>{d.name ?? d.device.slice(0, 8)}</td>
                  <td>{d.self ? 'This tablet' : d.removedSeq !== null ? 'Removed' : ago(d.lastSeenAt)}</td>
                  <td className="actions">
                    {!d.self && d.removedSeq === null && (
                      <button
                        type="button"
                        className={removing === d.device ? 'btn btn-danger' : 'btn'}
                        onClick={() => {
                          if (removing !== d.device) return setRemoving(d.device);
                          setRemoving(null);
                          void act(() => db.sync.removeDevice(d.device), `${d.name ?? 'The tablet'} was removed: its sales from now on are refused.`);
                        }}
                      >
                        {removing === d.device ? 'Confirm removal' : 'Remove'}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="row">
        <button type="button" className="btn" disabled={!status} onClick={() => void act(() => db.sync.pushNow(), 'Everything is in sync.')}>
          Sync now
        </button>
      </div>
    </Card>
  );
}
