/**
 * The shop's settings, stored in the encrypted database (`setting` table) and read live, so a
 * change made in Admin reaches every screen and every tab: the shop's name, its currency and the
 * idle auto-lock delay.
 */
import { useQuery } from '@cipherlite/react';
import { createContext, useContext, useMemo } from 'react';
import type { ReactNode } from 'react';
import { DEFAULT_CURRENCY, moneyFor, type Money } from './money.ts';

export const SETTING = { storeName: 'store_name', currency: 'currency', autoLockMs: 'autolock_ms' } as const;

/** Idle time before a tab locks itself, unless the shop chose another in Admin. */
export const DEFAULT_AUTO_LOCK_MS = 5 * 60_000;

/** Choices offered in Admin (0 = never). */
export const AUTO_LOCK_CHOICES = [
  { ms: 60_000, label: '1 minute' },
  { ms: 2 * 60_000, label: '2 minutes' },
  { ms: 5 * 60_000, label: '5 minutes' },
  { ms: 15 * 60_000, label: '15 minutes' },
  { ms: 60 * 60_000, label: '1 hour' },
  { ms: 0, label: 'Never (not recommended)' },
] as const;

/** `?autolock=ms` in the address overrides the setting (for demos and tests). */
export const AUTO_LOCK_OVERRIDE_MS = (() => {
  const v = Number(new URLSearchParams(location.search).get('autolock'));
  return Number.isFinite(v) && v > 0 ? v : null;
})();

export interface ShopSettings {
  storeName: string;
  currency: string;
  autoLockMs: number;
  money: Money;
}

const SettingsContext = createContext<ShopSettings | null>(null);

export function SettingsProvider({ children }: { children: ReactNode }) {
  const rows = useQuery<{ key: string; value: string }>('SELECT key, value FROM setting');
  const settings = useMemo((): ShopSettings => {
    const get = (key: string) => rows.data?.find((r) => r.key === key)?.value;
    const currency = get(SETTING.currency) ?? DEFAULT_CURRENCY;
    const autoLock = Number(get(SETTING.autoLockMs));
    return {
      storeName: get(SETTING.storeName) ?? 'Till',
      currency,
      autoLockMs: get(SETTING.autoLockMs) !== undefined && Number.isFinite(autoLock) && autoLock >= 0 ? autoLock : DEFAULT_AUTO_LOCK_MS,
      money: moneyFor(currency),
    };
  }, [rows.data]);
  return <SettingsContext.Provider value={settings}>{children}</SettingsContext.Provider>;
}

export function useSettings(): ShopSettings {
  const s = useContext(SettingsContext);
  if (!s) throw new Error('useSettings() needs a <SettingsProvider>');
  return s;
}

export function useMoney(): Money {
  return useSettings().money;
}
