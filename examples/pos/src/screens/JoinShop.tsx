/**
 * First run on another tablet of a shop that syncs: "Set up this tablet from the shop's cloud".
 * `joinSyncReplica` downloads the shop's starting state, checks it, and makes it this tablet's
 * database, protected by the shop password; its first round then replays every tablet's sales.
 */
import { joinSyncReplica, type CipherliteDatabase } from '@cipherlite/worker';
import { EMPTY_SYNC, isSyncComplete, saveSyncSettings, syncOptionsOf } from '../shop-sync.tsx';
import { DB_NAME, DIRECTORY, describeError, startAndMigrate } from '../store.ts';
import { creationKdf } from '../test-hooks.ts';
import { CloudSetupCard, describeSetupError, type SetupErrorTexts } from './CloudSetupCard.tsx';
import { SyncFields } from './SyncFields.tsx';

const JOIN_ERRORS: SetupErrorTexts = {
  byCode: {
    WRONG_KEY: 'This password does not open the shop.',
    REPLICA_MISSING: 'There is no shop under this prefix.',
    REPLICA_AUTH: 'The bucket refused access.',
    REPLICA_UNAVAILABLE: 'The bucket cannot be reached (offline, wrong endpoint, or CORS not set up).',
    REPLICA_MODE: 'This prefix holds a cloud backup, not a shop’s sync.',
  },
  integrity: (code: string) => `The shop’s data failed its integrity check (${code}): nothing was set up.`,
};

export function JoinShop({ onJoined, onCancel }: { onJoined: (db: CipherliteDatabase) => void; onCancel: () => void }) {
  return (
    <CloudSetupCard
      title="Join the shop"
      intro="This tablet becomes one more till of the shop: it gets the shop's products and sales, and its own sales reach the other tablets."
      empty={EMPTY_SYNC}
      isComplete={isSyncComplete}
      fields={(form, onChange, disabled) => <SyncFields form={form} onChange={onChange} disabled={disabled} />}
      passwordName="join-password"
      submitLabel="Join the shop"
      pendingLabel="Setting up…"
      run={async (form, password) => {
        const db = await joinSyncReplica({ name: DB_NAME, directory: DIRECTORY, password, sync: syncOptionsOf(form), ...creationKdf() });
        // The shop's starting state carries the first tablet's settings: this tablet keeps its own.
        await saveSyncSettings(db, form);
        await startAndMigrate(db);
        onJoined(db);
      }}
      describeError={(e) => describeSetupError(e, JOIN_ERRORS, describeError)}
      onCancel={onCancel}
    />
  );
}
