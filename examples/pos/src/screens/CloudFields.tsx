/** The bucket and access fields of both cloud forms (Admin's settings, the new tablet's restore). */
import type { CloudAccess, CloudSettings } from '../cloud.tsx';
import { Field } from '../ui.tsx';

type Spec = { field: keyof CloudSettings; label: string; hint?: string; secret?: boolean };

const ACCESS_FIELDS: Record<CloudAccess, Spec[]> = {
  keys: [
    { field: 'accessKeyId', label: 'Access key' },
    { field: 'secretAccessKey', label: 'Secret key', hint: 'Kept inside the encrypted database only.', secret: true },
  ],
  presign: [
    { field: 'signerUrl', label: 'Presign URL', hint: "Your server's endpoint that signs each upload (e.g. /api/s3-presign): no S3 key on this tablet." },
    { field: 'signerToken', label: 'Presign token', hint: 'Optional; sent as a bearer token. Kept inside the encrypted database only.', secret: true },
  ],
};

export function CloudFields({ form, onChange, target, disabled = false }: { form: CloudSettings; onChange: (edit: Partial<CloudSettings>) => void; target: Spec[]; disabled?: boolean }) {
  const fields = [...target, ...ACCESS_FIELDS[form.access]];
  return (
    <>
      <Field label="Access">
        <select name="cloud-access" value={form.access} onChange={(e) => onChange({ access: e.target.value as CloudAccess })} disabled={disabled}>
          <option value="keys">Access keys</option>
          <option value="presign">Presign endpoint</option>
        </select>
      </Field>
      {fields.map(({ field, label, hint, secret }) => (
        <Field key={field} label={label} {...(hint ? { hint } : {})}>
          <input name={`cloud-${field}`} type={secret ? 'password' : 'text'} autoComplete="off" value={form[field]} onChange={(e) => onChange({ [field]: e.target.value })} disabled={disabled} />
        </Field>
      ))}
    </>
  );
}
