/**
 * Refunding an order, whole or line by line. The refund goes back the way the sale was paid
 * (cash from the drawer, or to the same card) and references the sale and each line it reverses.
 * The quantities offered stop at what is left unrefunded; the database's triggers refuse anything
 * beyond that too (a second tab refunding the same order at the same time, for instance).
 */
import { useQuery } from '@cipherlite/react';
import { useState } from 'react';
import { localDay } from '../money.ts';
import { REFUND_EXCEEDS_SALE } from '../schema.ts';
import { useMoney } from '../settings.tsx';
import { describeError } from '../store.ts';
import { newRowId, useShopTransaction } from '../shop-sync.tsx';
import { Banner, Card } from '../ui.tsx';

type SaleLine = { id: number; name: string; unit_cents: number; qty: number; refunded: number };
type Sale = { id: number; method: 'cash' | 'card'; card_last4: string | null; total_cents: number };

function refundError(e: unknown): string {
  if (((e as Error).message ?? '').includes(REFUND_EXCEEDS_SALE)) return 'This would refund more than was sold: the order has been refunded meanwhile. Check the amounts again.';
  return describeError(e);
}

export function RefundPanel({ saleId, onClose }: { saleId: number; onClose: () => void }) {
  const money = useMoney();
  const sale = useQuery<Sale>('SELECT id, method, card_last4, total_cents FROM sale WHERE id = ?', [saleId]);
  const lines = useQuery<SaleLine>(
    `SELECT l.id, l.name, l.unit_cents, l.qty,
            (SELECT coalesce(sum(rl.qty), 0) FROM refund_line rl WHERE rl.sale_line_id = l.id) AS refunded
       FROM sale_line l WHERE l.sale_id = ? ORDER BY l.id`,
    [saleId],
  );
  const [qty, setQty] = useState<Record<number, number>>({});
  const [done, setDone] = useState<string | null>(null);

  const refund = useShopTransaction(async (tx, tablet, s: Sale, picked: { line: SaleLine; qty: number }[]) => {
    const total = picked.reduce((n, p) => n + p.line.unit_cents * p.qty, 0);
    const now = new Date();
    const r = await tx.exec('INSERT INTO refund (id, tablet, sale_id, created_at, day, total_cents, method) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      newRowId(tablet),
      tablet,
      s.id,
      now.toISOString(),
      localDay(now),
      total,
      s.method,
    ]);
    for (const p of picked) {
      await tx.exec('INSERT INTO refund_line (id, refund_id, sale_line_id, qty, amount_cents) VALUES (?, ?, ?, ?, ?)', [
        newRowId(tablet),
        r.lastInsertRowid,
        p.line.id,
        p.qty,
        p.line.unit_cents * p.qty,
      ]);
    }
    return total;
  });

  const s = sale.data?.[0];
  const picked = (lines.data ?? []).map((line) => ({ line, qty: Math.min(qty[line.id] ?? 0, line.qty - line.refunded) })).filter((p) => p.qty > 0);
  const amount = picked.reduce((n, p) => n + p.line.unit_cents * p.qty, 0);
  const destination = s?.method === 'card' ? `to card ••${s.card_last4}` : 'in cash';

  return (
    <Card
      title={`Refund order #${saleId}`}
      id="refund"
      actions={
        <button type="button" className="btn btn-ghost" onClick={onClose}>
          Close
        </button>
      }
    >
      {done ? (
        <>
          <Banner kind="success">{done}</Banner>
          <button type="button" className="btn btn-primary" onClick={onClose}>
            Done
          </button>
        </>
      ) : (
        <>
          <p className="muted">Choose what comes back. The money goes back the way it was paid ({destination}).</p>
          {refund.status === 'error' && <Banner kind="error">{refundError(refund.error)}</Banner>}
          <ul className="cart refund-lines" aria-label="Lines to refund">
            {lines.data?.map((l) => {
              const left = l.qty - l.refunded;
              const n = Math.min(qty[l.id] ?? 0, left);
              const set = (v: number) => setQty((q) => ({ ...q, [l.id]: Math.max(0, Math.min(left, v)) }));
              return (
                <li key={l.id}>
                  <span className="cart-name">
                    {l.name}
                    <span className="line-note">
                      {l.qty} sold × {money.format(l.unit_cents)}
                      {l.refunded > 0 && ` · ${l.refunded} refunded`}
                    </span>
                  </span>
                  <span className="qty">
                    <button type="button" className="btn btn-icon" aria-label={`Refund one less ${l.name}`} disabled={n === 0} onClick={() => set(n - 1)}>
                      −
                    </button>
                    <span aria-label={`${n} × ${l.name} to refund`}>{n}</span>
                    <button type="button" className="btn btn-icon" aria-label={`Refund one more ${l.name}`} disabled={n >= left} onClick={() => set(n + 1)}>
                      +
                    </button>
                  </span>
                  <span className="cart-amount">{money.format(l.unit_cents * n)}</span>
                </li>
              );
            })}
          </ul>
          <div className="row refund-actions">
            <button type="button" className="btn" onClick={() => setQty(Object.fromEntries((lines.data ?? []).map((l) => [l.id, l.qty - l.refunded])))}>
              Select everything left
            </button>
            <button
              type="button"
              className="btn btn-danger"
              disabled={!s || amount === 0 || refund.isPending}
              onClick={async () => {
                if (!s) return;
                const total = await refund.mutate(s, picked);
                if (total === undefined) return;
                setQty({});
                setDone(`Refund recorded: ${money.format(total)} back ${destination} for order #${s.id}.`);
              }}
            >
              {refund.isPending ? 'Recording…' : `Refund ${money.format(amount)}`}
            </button>
          </div>
        </>
      )}
    </Card>
  );
}
