/**
 * The app shell. Boot: is there a store on this device? → create it (first run) or unlock it.
 * Once a database handle exists it is put in <DatabaseProvider>, and its lock state decides
 * between the unlock screen (after the lock button or the idle auto-lock) and the pages.
 */
import { DatabaseProvider, useLockState, useUnlock } from '@cipherlite/react';
import type { CipherliteDatabase } from '@cipherlite/worker';
import { useEffect, useState } from 'react';
import { Admin } from './screens/Admin.tsx';
import { Orders } from './screens/Orders.tsx';
import { Products } from './screens/Products.tsx';
import { RecoverForm } from './screens/Recover.tsx';
import { Setup } from './screens/Setup.tsx';
import { Till } from './screens/Till.tsx';
import { UnlockForm, useHasPasskey } from './screens/Unlock.tsx';
import { DB_NAME, DIRECTORY, describeError, describePasskeyError, openStore, storeExists } from './store.ts';
import { AUTO_LOCK_OVERRIDE_MS, SettingsProvider, useSettings } from './settings.tsx';
import { workerAutoLockMs } from './test-hooks.ts';
import { Banner, PageTitle, Spinner, useOnline } from './ui.tsx';
import { CloudStatusPill, useCloudBackup } from './cloud.tsx';
import { ShopSyncProvider, SyncStatusPill, useShopSync } from './shop-sync.tsx';

type Boot = { kind: 'checking' } | { kind: 'setup' } | { kind: 'unlock' } | { kind: 'open'; db: CipherliteDatabase } | { kind: 'failed'; message: string };

export function App() {
  const [boot, setBoot] = useState<Boot>({ kind: 'checking' });
  useEffect(() => {
    storeExists().then(
      (exists) => setBoot({ kind: exists ? 'unlock' : 'setup' }),
      (e: unknown) => setBoot({ kind: 'failed', message: describeError(e) }),
    );
  }, []);

  switch (boot.kind) {
    case 'checking':
      return (
        <main className="center">
          <Spinner />
        </main>
      );
    case 'failed':
      return (
        <main className="center">
          <Banner kind="error">{boot.message}</Banner>
        </main>
      );
    case 'setup':
      return <Setup onCreated={(db) => setBoot({ kind: 'open', db })} />;
    case 'unlock':
      return <FirstUnlock onOpen={(db) => setBoot({ kind: 'open', db })} onMissing={() => setBoot({ kind: 'setup' })} />;
    case 'open':
      return (
        <DatabaseProvider database={boot.db}>
          <Shell db={boot.db} />
        </DatabaseProvider>
      );
  }
}

/** This tab has no database handle yet: opening it is the unlock (the worker proves the password). */
function FirstUnlock({ onOpen, onMissing }: { onOpen: (db: CipherliteDatabase) => void; onMissing: () => void }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const hasPasskey = useHasPasskey(DB_NAME, DIRECTORY);
  const open = (secret: string | { passkey: true }) => {
    setPending(true);
    setError(null);
    openStore(secret, false).then(onOpen, (e: unknown) => {
      setPending(false);
      if ((e as { code?: string }).code === 'NOT_A_DATABASE') onMissing();
      else setError(typeof secret === 'string' ? describeError(e) : describePasskeyError(e));
    });
  };
  const [recovering, setRecovering] = useState(false);
  if (recovering) return <RecoverForm open={(recoveryKey) => openStore({ recoveryKey }, false)} onDone={onOpen} onCancel={() => setRecovering(false)} />;
  return (
    <UnlockForm
      title="Unlock the till"
      subtitle="The shop's data is encrypted on this device. Enter the password to open it."
      pending={pending}
      error={error}
      onForgot={() => setRecovering(true)}
      onSubmit={open}
      onPasskey={hasPasskey ? () => open({ passkey: true }) : undefined}
    />
  );
}

const PAGES = [
  { id: 'till', label: 'Till', icon: 'M4 7h16M4 7l1.5 12h13L20 7M9 7V5a3 3 0 0 1 6 0v2' },
  { id: 'products', label: 'Products', icon: 'M4 8l8-4 8 4-8 4-8-4zm0 0v8l8 4 8-4V8M12 12v8' },
  { id: 'orders', label: 'Orders', icon: 'M6 3h12v18l-3-2-3 2-3-2-3 2V3zm3 5h6m-6 4h6' },
  { id: 'admin', label: 'Admin', icon: 'M12 3l8 3v6c0 4.5-3.4 8-8 9-4.6-1-8-4.5-8-9V6l8-3z' },
] as const;
type PageId = (typeof PAGES)[number]['id'];

function useHashPage(): PageId {
  const read = (): PageId => {
    const id = location.hash.replace(/^#\/?/, '');
    return PAGES.find((p) => p.id === id)?.id ?? 'till';
  };
  const [page, setPage] = useState<PageId>(read);
  useEffect(() => {
    const on = () => setPage(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return page;
}

function Shell({ db }: { db: CipherliteDatabase }) {
  const lockState = useLockState();
  const unlock = useUnlock();
  // Re-read on every lock: a passkey may have been added or removed in Admin meanwhile.
  const hasPasskey = useHasPasskey(DB_NAME, DIRECTORY, lockState);
  const [viaPasskey, setViaPasskey] = useState(false);
  // Kept while the recovery form runs: unlocking flips the lock state before the new password is set.
  const [recovering, setRecovering] = useState(false);
  if (recovering) {
    return (
      <RecoverForm
        open={async (recoveryKey) => {
          await db.unlock({ recoveryKey });
          return db;
        }}
        onDone={() => setRecovering(false)}
        onCancel={() => setRecovering(false)}
      />
    );
  }
  if (lockState !== 'unlocked') {
    return (
      <UnlockForm
        title="Till locked"
        subtitle="Locked after being idle or with the lock button. Enter the password to continue."
        pending={unlock.isPending || lockState === 'unlocking'}
        error={unlock.status === 'error' ? (viaPasskey ? describePasskeyError : describeError)(unlock.error) : null}
        onSubmit={(password) => {
          setViaPasskey(false);
          void unlock.unlock(password);
        }}
        onPasskey={
          hasPasskey
            ? () => {
                setViaPasskey(true);
                void unlock.unlock({ passkey: true });
              }
            : undefined
        }
        onForgot={() => setRecovering(true)}
      />
    );
  }
  return (
    <SettingsProvider>
      <Pages db={db} />
    </SettingsProvider>
  );
}

/** Applies the shop's auto-lock setting to this tab's worker whenever it changes (in any tab). */
function useAutoLockSetting(db: CipherliteDatabase): void {
  const { autoLockMs } = useSettings();
  useEffect(() => {
    if (AUTO_LOCK_OVERRIDE_MS !== null) return;
    db.setAutoLock(workerAutoLockMs(autoLockMs)).catch((e: unknown) => console.warn(`auto-lock not changed: ${describeError(e)}`));
  }, [db, autoLockMs]);
}

function Pages({ db }: { db: CipherliteDatabase }) {
  const page = useHashPage();
  const online = useOnline();
  const { storeName: name } = useSettings();
  useAutoLockSetting(db);
  const cloud = useCloudBackup(db);
  const sync = useShopSync(db);
  const label = PAGES.find((p) => p.id === page)!.label;
  useEffect(() => {
    document.title = `${label} · ${name}`;
  }, [label, name]);
  return (
    <ShopSyncProvider db={db} sync={sync}>
      <div className="shell">
        <header className="topbar">
          <div className="brand">
            <img src="/favicon.svg" alt="" width={28} height={28} />
            <span className="brand-name">{name}</span>
          </div>
          <nav className="tabs" aria-label="Pages">
            {PAGES.map((p) => (
              <a key={p.id} href={`#/${p.id}`} className={page === p.id ? 'tab active' : 'tab'} aria-current={page === p.id ? 'page' : undefined}>
                <svg className="tab-icon" width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
                  <path d={p.icon} fill="none" stroke="currentColor" strokeWidth="1.9" strokeLinecap="round" strokeLinejoin="round" />
                </svg>
                <span>{p.label}</span>
              </a>
            ))}
          </nav>
          <div className="topbar-right">
            <CloudStatusPill state={cloud} />
            <SyncStatusPill state={sync} />
            <span className={online ? 'pill pill-ok' : 'pill pill-warn'} title={online ? 'Online' : 'No network: everything still works on this device'}>
              {online ? 'Online' : 'Offline'}
            </span>
            <button type="button" className="btn btn-ghost" onClick={() => void db.lock({ allTabs: true })} title="Lock the till (all tabs)">
              <LockIcon /> Lock
            </button>
          </div>
        </header>
        <main className="page">
          <PageTitle visible={page !== 'till'}>{page === 'till' ? `Till · ${name}` : label}</PageTitle>
          {page === 'till' && <Till />}
          {page === 'products' && <Products />}
          {page === 'orders' && <Orders />}
          {page === 'admin' && <Admin db={db} cloud={cloud} sync={sync} />}
        </main>
      </div>
    </ShopSyncProvider>
  );
}

function LockIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true">
      <path d="M7 11V8a5 5 0 0 1 10 0v3" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" />
      <rect x="4.5" y="11" width="15" height="10" rx="2.5" fill="currentColor" />
    </svg>
  );
}
