/**
 * First run on a new tablet: "Set up this tablet from the cloud backup". The encrypted replica is
 * downloaded, every object checked (a damaged or tampered bucket is refused), and becomes this
 * device's database, opened with the shop password. The restored database has its own key, so
 * this tablet backs up under a new prefix (the old one stays as the old till's history).
 */
import { restoreFromReplica, type CipherliteDatabase } from '@cipherlite/worker';
import { EMPTY_CLOUD, isComplete, replicaOf, saveCloudSettings, type CloudSettings } from '../cloud.tsx';
import { migrate } from '../schema.ts';
import { DB_NAME, DIRECTORY, describeError } from '../store.ts';
import { CloudSetupCard, describeSetupError, type SetupErrorTexts } from './CloudSetupCard.tsx';
import { CloudFields } from './CloudFields.tsx';

const TARGET: { field: keyof CloudSettings; label: string }[] = [
  { field: 'endpoint', label: 'Endpoint' },
  { field: 'bucket', label: 'Bucket' },
  { field: 'prefix', label: 'Prefix of the backup' },
];

const RESTORE_ERRORS: SetupErrorTexts = {
  byCode: {
    WRONG_KEY: 'This password does not open the backup.',
    REPLICA_MISSING: 'There is no backup under this prefix (or parts of it are missing).',
    REPLICA_AUTH: 'The bucket (or the presign endpoint) refused access.',
    REPLICA_UNAVAILABLE: 'The bucket cannot be reached (offline, wrong endpoint, or CORS not set up).',
  },
  integrity: (code: string) => `The backup failed its integrity check (${code}): nothing was restored.`,
};

export function RestoreFromCloud({ onRestored, onCancel }: { onRestored: (db: CipherliteDatabase) => void; onCancel: () => void }) {
  return (
    <CloudSetupCard
      title="Set up from the cloud backup"
      intro="The backup is decrypted on this tablet only. Enter the bucket it is in and the shop password."
      empty={EMPTY_CLOUD}
      isComplete={isComplete}
      fields={(form, onChange, disabled) => <CloudFields form={form} target={TARGET} onChange={onChange} disabled={disabled} />}
      passwordName="restore-password"
      submitLabel="Restore this tablet"
      pendingLabel="Restoring…"
      run={async (form, password, report) => {
        const db = await restoreFromReplica({
          name: DB_NAME,
          directory: DIRECTORY,
          password,
          replica: replicaOf(form),
          onProgress: (p) => report(`${p.phase === 'download' ? 'Downloading' : 'Writing'} ${p.done} / ${p.total}`),
        });
        await migrate(db);
        // This tablet continues under its own prefix: the restored database has a new key.
        await saveCloudSettings(db, { ...form, prefix: `${form.prefix.trim()}-restored-${Date.now().toString(36)}` });
        onRestored(db);
      }}
      describeError={(e) => describeSetupError(e, RESTORE_ERRORS, describeError)}
      onCancel={onCancel}
    />
  );
}
