/** Admin's shop settings: currency and idle auto-lock, stored in the encrypted database. */
import { useMutation } from '@cipherlite/react';
import { CURRENCIES } from '../money.ts';
import { AUTO_LOCK_CHOICES, AUTO_LOCK_OVERRIDE_MS, SETTING, useSettings } from '../settings.tsx';
import { describeError } from '../store.ts';
import { Banner, Card, Field } from '../ui.tsx';

const currencyName = new Intl.DisplayNames(undefined, { type: 'currency' });

export function ShopSettingsCard() {
  const settings = useSettings();
  const save = useMutation((db, key: string, value: string) => db.exec('INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)', [key, value]));
  const currencies: readonly string[] = CURRENCIES.includes(settings.currency as (typeof CURRENCIES)[number]) ? CURRENCIES : [settings.currency, ...CURRENCIES];
  return (
    <Card title="Shop settings" id="settings">
      {save.status === 'error' && <Banner kind="error">{describeError(save.error)}</Banner>}
      <div className="stack-form">
        <Field label="Currency" hint="Prices and sales keep their amounts: changing the currency does not convert them.">
          <select name="currency" value={settings.currency} onChange={(e) => void save.mutate(SETTING.currency, e.target.value)}>
            {currencies.map((c) => (
              <option key={c} value={c}>
                {c} — {currencyName.of(c)}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Lock automatically after"
          hint={AUTO_LOCK_OVERRIDE_MS !== null ? `Overridden by ?autolock=${AUTO_LOCK_OVERRIDE_MS} in the address.` : 'Without any use of the till in this tab. The lock button locks at once.'}
        >
          <select name="autolock" value={String(settings.autoLockMs)} onChange={(e) => void save.mutate(SETTING.autoLockMs, e.target.value)}>
            {(AUTO_LOCK_CHOICES.some((c) => c.ms === settings.autoLockMs) ? AUTO_LOCK_CHOICES : [...AUTO_LOCK_CHOICES, { ms: settings.autoLockMs, label: `${settings.autoLockMs} ms` }]).map((c) => (
              <option key={c.ms} value={String(c.ms)}>
                {c.label}
              </option>
            ))}
          </select>
        </Field>
      </div>
    </Card>
  );
}
