/**
 * Money is stored as integer minor units (cents for EUR, yen for JPY); these helpers are the only
 * place that formats or parses it. The shop's currency is a setting (see settings.tsx); how many
 * decimals it has comes from Intl, so amounts stay integers whatever the currency.
 */

/** Currencies offered in Admin. Any ISO 4217 code Intl knows would work; these are a shop's usual ones. */
export const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'CAD', 'AUD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'JPY'] as const;
export const DEFAULT_CURRENCY = 'EUR';

/** The largest amount a form accepts, in major units (a till, not a bank). */
const MAX_MAJOR_DIGITS = 6;

export interface Money {
  currency: string;
  /** Decimals of the currency's minor unit (2 for EUR, 0 for JPY). */
  digits: number;
  format(minor: number): string;
  /** "2.5", "2,50", "€ 2.50" → 250 (for EUR). Throws a message for the form when it is not an amount. */
  parse(input: string): number;
  /** Minor units as the plain number a person types ("4.40"), for pre-filling an input. */
  toInput(minor: number): string;
}

const cache = new Map<string, Money>();

export function moneyFor(currency: string): Money {
  const hit = cache.get(currency);
  if (hit) return hit;
  const formatter = new Intl.NumberFormat(undefined, { style: 'currency', currency });
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  const scale = 10 ** digits;
  const pattern = new RegExp(`^\\d{1,${MAX_MAJOR_DIGITS}}${digits > 0 ? `(\\.\\d{0,${digits}})?` : ''}$`);
  const example = digits > 0 ? (2.5).toFixed(digits) : '250';
  const money: Money = {
    currency,
    digits,
    format: (minor) => formatter.format(minor / scale),
    parse(input) {
      // Strip a currency symbol or code typed before or after the number.
      const s = input
        .trim()
        .replace(/^[^\d.,]+/, '')
        .replace(/[^\d.,]+$/, '')
        .replace(',', '.');
      if (!pattern.test(s)) throw new Error(`Enter an amount like ${example}`);
      const [whole, frac = ''] = s.split('.');
      return Number(whole) * scale + Number(frac.padEnd(digits, '0') || 0);
    },
    toInput: (minor) => (minor / scale).toFixed(digits),
  };
  cache.set(currency, money);
  return money;
}

/** Local calendar day (YYYY-MM-DD) — daily totals follow the shop's clock, not UTC. */
export function localDay(d = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}
