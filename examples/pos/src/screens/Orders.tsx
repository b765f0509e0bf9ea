/**
 * Order history: totals per day (sales, refunds, net by cash / card) and the orders of the
 * selected day, each refundable line by line — all live. On a shop with several tablets the
 * totals count every tablet's sales (they all reach every tablet through sync), and the selected
 * day is also broken down by the tablet that rang each sale up or gave each refund.
 *
 * A refund is money going back on the day it is given, so it counts in that day's totals (as a
 * till's end-of-day report does), and references the sale it reverses.
 */
import { useQuery } from '@cipherlite/react';
import { useState } from 'react';
import { localDay } from '../money.ts';
import { useMoney } from '../settings.tsx';
import { describeError } from '../store.ts';
import { Banner, Card } from '../ui.tsx';
import { RefundPanel } from './Refund.tsx';

type DayTotal = { day: string; orders: number; sales: number; refunds: number; cash: number; card: number; net: number };
type Order = { id: number; tablet: string | null; created_at: string; total_cents: number; method: 'cash' | 'card'; card_last4: string | null; items: string; refunded: number };
type TabletTotal = { tablet: string; orders: number; sales: number; refunds: number; net: number };

/** Sales add, refunds subtract, each under its own payment method and day. */
const DAY_TOTALS_SQL = `
  SELECT day, sum(orders) AS orders, sum(sales) AS sales, sum(refunds) AS refunds,
         sum(CASE WHEN method = 'cash' THEN sales - refunds ELSE 0 END) AS cash,
         sum(CASE WHEN method = 'card' THEN sales - refunds ELSE 0 END) AS card,
         sum(sales) - sum(refunds) AS net
    FROM (SELECT day, method, 1 AS orders, total_cents AS sales, 0 AS refunds FROM sale
          UNION ALL
          SELECT day, method, 0, 0, total_cents FROM refund)
   GROUP BY day ORDER BY day DESC LIMIT 31`;

/** One day's totals per tablet (sales by the tablet that rang them up, refunds by the one that gave them). */
const TABLET_TOTALS_SQL = `
  SELECT tablet, sum(orders) AS orders, sum(sales) AS sales, sum(refunds) AS refunds, sum(sales) - sum(refunds) AS net
    FROM (SELECT coalesce(tablet, '') AS tablet, 1 AS orders, total_cents AS sales, 0 AS refunds FROM sale WHERE day = ?
          UNION ALL
          SELECT coalesce(tablet, ''), 0, 0, total_cents FROM refund WHERE day = ?)
   GROUP BY tablet ORDER BY tablet`;

export function Orders() {
  const money = useMoney();
  const today = localDay();
  const [day, setDay] = useState(today);
  const [refunding, setRefunding] = useState<number | null>(null);
  const days = useQuery<DayTotal>(DAY_TOTALS_SQL);
  const orders = useQuery<Order>(
    `SELECT s.id, s.tablet, s.created_at, s.total_cents, s.method, s.card_last4,
            group_concat(l.qty || ' × ' || l.name, ', ') AS items,
            (SELECT coalesce(sum(r.total_cents), 0) FROM refund r WHERE r.sale_id = s.id) AS refunded
       FROM sale s JOIN sale_line l ON l.sale_id = s.id
      WHERE s.day = ? GROUP BY s.id ORDER BY s.created_at DESC, s.id DESC`,
    [day],
  );
  const byTablet = useQuery<TabletTotal>(TABLET_TOTALS_SQL, [day, day]);
  const todayRow = days.data?.find((d) => d.day === today);
  const dayLabel = (d: string) => (d === today ? 'Today' : d);

  return (
    <div className="stack">
      <div className="kpis">
        <Kpi label="Net sales today" value={money.format(todayRow?.net ?? 0)} testId="kpi-total" />
        <Kpi label="Orders today" value={String(todayRow?.orders ?? 0)} testId="kpi-orders" />
        <Kpi label="Refunds today" value={money.format(todayRow?.refunds ?? 0)} testId="kpi-refunds" />
        <Kpi label="Cash · Card" value={`${money.format(todayRow?.cash ?? 0)} · ${money.format(todayRow?.card ?? 0)}`} testId="kpi-methods" />
      </div>
      <div className="two-col">
        <div className="stack">
          <Card title="Daily totals" id="daily-totals">
            {days.status === 'error' && <Banner kind="error">{describeError(days.error)}</Banner>}
            {days.data?.length === 0 && <p className="empty">No sales yet.</p>}
            {days.data && days.data.length > 0 && (
              <div className="table-scroll">
                <table className="table" aria-label="Daily totals">
                  <thead>
                    <tr>
                      <th>Day</th>
                      <th className="num">Orders</th>
                      <th className="num">Refunds</th>
                      <th className="num col-wide">Cash</th>
                      <th className="num col-wide">Card</th>
                      <th className="num">Net</th>
                    </tr>
                  </thead>
                  <tbody>
                    {days.data.map((d) => (
                      <tr key={d.day} className={d.day === day ? 'selected' : ''}>
                        <td>
                          {/* A button, so the day can be chosen from the keyboard too. */}
                          <button type="button" className="btn-cell" aria-pressed={d.day === day} onClick={() => setDay(d.day)} aria-label={`Show the orders of ${dayLabel(d.day)}`}>
                            {dayLabel(d.day)}
                          </button>
                        </td>
                        <td className="num">{d.orders}</td>
                        <td className="num">{d.refunds ? `−${money.format(d.refunds)}` : '—'}</td>
                        <td className="num col-wide">{money.format(d.cash)}</td>
                        <td className="num col-wide">{money.format(d.card)}</td>
                        <td className="num strong">{money.format(d.net)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          {byTablet.data?.some((t) => t.tablet !== '') && <TabletTotals day={dayLabel(day)} rows={byTablet.data} />}
        </div>
        <div className="stack">
          {refunding !== null && <RefundPanel key={refunding} saleId={refunding} onClose={() => setRefunding(null)} />}
          <Card title={`Orders · ${day === today ? 'today' : day}`} id="orders">
            {orders.status === 'error' && <Banner kind="error">{describeError(orders.error)}</Banner>}
            {orders.data?.length === 0 && <p className="empty">No orders on this day.</p>}
            {orders.data && orders.data.length > 0 && (
              <div className="table-scroll">
                <table className="table table-orders" aria-label="Orders">
                  <thead>
                    <tr>
                      <th>#</th>
                      <th>Time</th>
                      <th>Items</th>
                      <th>Paid</th>
                      <th className="num">Total</th>
                      <th>
                        <span className="sr-only">Refund</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {orders.data.map((o) => (
                      <tr key={o.id}>
                        <td className="o-id">
                          {o.tablet && <span className="o-tablet">{o.tablet} · </span>}
                          {o.id}
                        </td>
                        <td className="o-time">{new Date(o.created_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</td>
                        <td className="items o-items">{o.items}</td>
                        <td className="o-paid">{o.method === 'card' ? `Card ••${o.card_last4}` : 'Cash'}</td>
                        <td className="num strong o-total">
                          {money.format(o.total_cents)}
                          {o.refunded > 0 && <span className="refunded">−{money.format(o.refunded)} refunded</span>}
                        </td>
                        <td className="actions o-action">
                          {o.refunded < o.total_cents ? (
                            <button type="button" className="btn" onClick={() => setRefunding(o.id)} aria-label={`Refund order ${o.id}`}>
                              Refund
                            </button>
                          ) : (
                            <span className="pill pill-warn">Refunded</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
        </div>
      </div>
    </div>
  );
}

function TabletTotals({ day, rows }: { day: string; rows: TabletTotal[] }) {
  const money = useMoney();
  const all = rows.reduce((s, r) => ({ orders: s.orders + r.orders, refunds: s.refunds + r.refunds, net: s.net + r.net }), { orders: 0, refunds: 0, net: 0 });
  return (
    <Card title={`By tablet · ${day}`} id="tablet-totals">
      <div className="table-scroll">
        <table className="table" aria-label="Totals by tablet">
          <thead>
            <tr>
              <th>Tablet</th>
              <th className="num">Orders</th>
              <th className="num">Refunds</th>
              <th className="num">Net</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.tablet} data-tablet={r.tablet}>
                <td>{r.tablet || 'Before sync'}</td>
                <td className="num">{r.orders}</td>
                <td className="num">{r.refunds ? `−${money.format(r.refunds)}` : '—'}</td>
                <td className="num strong">{money.format(r.net)}</td>
              </tr>
            ))}
            <tr data-tablet="*">
              <td className="strong">All tablets</td>
              <td className="num">{all.orders}</td>
              <td className="num">{all.refunds ? `−${money.format(all.refunds)}` : '—'}</td>
              <td className="num strong">{money.format(all.net)}</td>
            </tr>
          </tbody>
        </table>
      </div>
    </Card>
  );
}

function Kpi({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="kpi">
      <span className="kpi-label">{label}</span>
      <span className="kpi-value" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}
