/** Order history: totals per day (cash / card) and the orders of the selected day — all live. */
import { useQuery } from '@cipherlite/react';
import { useState } from 'react';
import { formatCents, localDay } from '../money.ts';
import { describeError } from '../store.ts';
import { Banner, Card } from '../ui.tsx';

type DayTotal = { day: string; orders: number; total: number; cash: number; card: number };
type Order = { id: number; created_at: string; total_cents: number; method: 'cash' | 'card'; card_last4: string | null; items: string };

export function Orders() {
  const today = localDay();
  const [day, setDay] = useState(today);
  const days = useQuery<DayTotal>(
    `SELECT day, count(*) AS orders, sum(total_cents) AS total,
            sum(CASE WHEN method = 'cash' THEN total_cents ELSE 0 END) AS cash,
            sum(CASE WHEN method = 'card' THEN total_cents ELSE 0 END) AS card
       FROM sale GROUP BY day ORDER BY day DESC LIMIT 31`,
  );
  const orders = useQuery<Order>(
    `SELECT s.id, s.created_at, s.total_cents, s.method, s.card_last4,
            group_concat(l.qty || ' × ' || l.name, ', ') AS items
       FROM sale s JOIN sale_line l ON l.sale_id = s.id
      WHERE s.day = ? GROUP BY s.id ORDER BY s.id DESC`,
    [day],
  );
  const todayRow = days.data?.find((d) => d.day === today);

  return (
    <div className="stack">
      <div className="kpis">
        <Kpi label="Today's sales" value={formatCents(todayRow?.total ?? 0)} testId="kpi-total" />
        <Kpi label="Orders today" value={String(todayRow?.orders ?? 0)} testId="kpi-orders" />
        <Kpi label="Cash" value={formatCents(todayRow?.cash ?? 0)} />
        <Kpi label="Card" value={formatCents(todayRow?.card ?? 0)} />
      </div>
      <div className="two-col">
        <Card title="Daily totals">
          {days.status === 'error' && <Banner kind="error">{describeError(days.error)}</Banner>}
          {days.data?.length === 0 && <p className="empty">No sales yet.</p>}
          {days.data && days.data.length > 0 && (
            <table className="table table-click" aria-label="Daily totals">
              <thead>
                <tr>
                  <th>Day</th>
                  <th className="num">Orders</th>
                  <th className="num">Cash</th>
                  <th className="num">Card</th>
                  <th className="num">Total</th>
                </tr>
              </thead>
              <tbody>
                {days.data.map((d) => (
                  <tr key={d.day} className={d.day === day ? 'selected' : ''} onClick={() => setDay(d.day)}>
                    <td>{d.day === today ? 'Today' : d.day}</td>
                    <td className="num">{d.orders}</td>
                    <td className="num">{formatCents(d.cash)}</td>
                    <td className="num">{formatCents(d.card)}</td>
                    <td className="num strong">{formatCents(d.total)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title={`Orders · ${day === today ? 'today' : day}`}>
          {orders.status === 'error' && <Banner kind="error">{describeError(orders.error)}</Banner>}
          {orders.data?.length === 0 && <p className="empty">No orders on this day.</p>}
          {orders.data && orders.data.length > 0 && (
            <table className="table" aria-label="Orders">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Time</th>
                  <th>Items</th>
                  <th>Paid</th>
                  <th className="num">Total</th>
                </tr>
              </thead>
              <tbody>
                {orders.data.map((o) => (
                  <tr key={o.id}>
                    <td>{o.id}</td>
                    <td>{new Date(o.created_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</td>
                    <td className="items">{o.items}</td>
                    <td>{o.method === 'card' ? `Card ••${o.card_last4}` : 'Cash'}</td>
                    <td className="num strong">{formatCents(o.total_cents)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
    </div>
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
