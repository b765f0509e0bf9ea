/** Money is stored as integer cents; these helpers are the only place that formats or parses it. */
const CURRENCY = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' });

export function formatCents(cents: number): string {
  return CURRENCY.format(cents / 100);
}

/** "2.5", "2,50", "€ 2.50" → 250. Throws a message for the form when it is not an amount. */
export function parseMoney(input: string): number {
  const s = input.trim().replace(/^€\s*/, '').replace(',', '.');
  if (!/^\d{1,6}(\.\d{0,2})?$/.test(s)) throw new Error('Enter an amount like 2.50');
  const [whole, frac = ''] = s.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
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
