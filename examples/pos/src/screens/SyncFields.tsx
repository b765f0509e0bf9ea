/** The bucket, access and tablet-name fields of both sync forms (Admin's "create", a new tablet's "join"). */
import type { SyncSettings } from '../shop-sync.tsx';
import { Field } from '../ui.tsx';

const FIELDS: { field: keyof SyncSettings; label: string; hint?: string; secret?: boolean }[] = [
  { field: 'endpoint', label: 'Endpoint', hint: 'e.g. https://s3.eu-west-1.amazonaws.com; the bucket must honour conditional writes (AWS S3, R2, MinIO, Ceph RGW)' },
  { field: 'bucket', label: 'Bucket', hint: 'The bucket needs CORS for this site (PUT, GET, HEAD, DELETE).' },
  { field: 'prefix', label: 'Shop prefix', hint: 'The same on every tablet of the shop, e.g. shop/main-street' },
  { field: 'accessKeyId', label: 'Access key' },
  { field: 'secretAccessKey', label: 'Secret key', hint: 'Kept inside the encrypted database only.', secret: true },
  { field: 'tablet', label: 'This tablet’s name', hint: 'On its sales and in the other tablets’ list, e.g. Counter 2' },
];

export function SyncFields({ form, onChange, disabled = false }: { form: SyncSettings; onChange: (edit: Partial<SyncSettings>) => void; disabled?: boolean }) {
  return (
    <>
      {FIELDS.map(({ field, label, hint, secret }) => (
        <Field key={field} label={label} {...(hint ? { hint } : {})}>
          <input name={`sync-${field}`} type={secret ? 'password' : 'text'} autoComplete="off" value={form[field]} onChange={(e) => onChange({ [field]: e.target.value })} disabled={disabled} />
        </Field>
      ))}
    </>
  );
}
