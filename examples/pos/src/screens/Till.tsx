/**
 * The till: tap products into the cart, take payment (cash with change, or card — last four
 * digits only, never a card number), and record the sale in one transaction.
 *
 * The total and the Charge button sit in their own bar: beside the cart on a tablet, pinned to the
 * bottom of the screen on a phone, so the cashier never scrolls to charge. While the cashier types
 * the cash received, that field and the change (in large type) are kept in view above those
 * pinned bars, also when the on-screen keyboard opens.
 */
import { useQuery } from '@cipherlite/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { localDay } from '../money.ts';
import { useMoney } from '../settings.tsx';
import { describeError } from '../store.ts';
import { newRowId, useShopTransaction } from '../shop-sync.tsx';
import { Banner, Card, Field } from '../ui.tsx';

type Product = { id: number; name: string; price_cents: number; stock: number | null };
type Line = Product & { qty: number };
type Payment = { method: 'cash'; givenCents: number } | { method: 'card'; last4: string };

const PAYMENT_FORM_ID = 'payment';

export function Till() {
  const money = useMoney();
  const products = useQuery<Product>('SELECT id, name, price_cents, stock FROM product WHERE archived = 0 ORDER BY name COLLATE NOCASE');
  const [cart, setCart] = useState<Line[]>([]);
  const [method, setMethod] = useState<'cash' | 'card'>('cash');
  const [given, setGiven] = useState('');
  const [last4, setLast4] = useState('');
  const [touched, setTouched] = useState(false);
  const [receipt, setReceipt] = useState<string | null>(null);
  const cashEntry = useKeptInView();

  const total = cart.reduce((s, l) => s + l.price_cents * l.qty, 0);
  const items = cart.reduce((s, l) => s + l.qty, 0);

  const paymentError = useMemo((): string | null => {
    if (method === 'card') {
      if (/\d{5,}/.test(last4.replace(/\s/g, ''))) return 'Enter only the last 4 digits — never the full card number.';
      return /^\d{4}$/.test(last4) ? null : 'Enter the last 4 digits of the card.';
    }
    if (given.trim() === '') return null; // exact amount
    try {
      return money.parse(given) >= total ? null : 'Less than the total.';
    } catch (e) {
      return (e as Error).message;
    }
  }, [method, last4, given, total, money]);

  // Through sync when the shop has several tablets: the sale records which tablet rang it up, and
  // stock (a counter column) drops by what was sold, so two tablets selling one each drop it by two.
  const checkout = useShopTransaction(async (tx, tablet, lines: Line[], payment: Payment) => {
    const sum = lines.reduce((s, l) => s + l.price_cents * l.qty, 0);
    const now = new Date();
    const r = await tx.exec('INSERT INTO sale (id, tablet, created_at, day, total_cents, method, card_last4, cash_given_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      newRowId(tablet),
      tablet,
      now.toISOString(),
      localDay(now),
      sum,
      payment.method,
      payment.method === 'card' ? payment.last4 : null,
      payment.method === 'cash' ? payment.givenCents : null,
    ]);
    for (const l of lines) {
      await tx.exec('INSERT INTO sale_line (id, sale_id, product_id, name, unit_cents, qty) VALUES (?, ?, ?, ?, ?, ?)', [newRowId(tablet), r.lastInsertRowid, l.id, l.name, l.price_cents, l.qty]);
      await tx.exec('UPDATE product SET stock = stock - ? WHERE id = ? AND stock IS NOT NULL', [l.qty, l.id]);
    }
    return Number(r.lastInsertRowid);
  });

  const add = (p: Product) => {
    setReceipt(null);
    setCart((c) => (c.some((l) => l.id === p.id) ? c.map((l) => (l.id === p.id ? { ...l, qty: l.qty + 1 } : l)) : [...c, { ...p, qty: 1 }]));
  };
  const change = (id: number, delta: number) => setCart((c) => c.flatMap((l) => (l.id !== id ? [l] : l.qty + delta > 0 ? [{ ...l, qty: l.qty + delta }] : [])));

  const charge = async () => {
    setTouched(true);
    if (cart.length === 0 || paymentError) return;
    const payment: Payment = method === 'card' ? { method, last4 } : { method, givenCents: given.trim() ? money.parse(given) : total };
    const id = await checkout.mutate(cart, payment);
    if (id === undefined) return;
    const changeDue = payment.method === 'cash' ? payment.givenCents - total : 0;
    setReceipt(`Sale #${id} recorded — ${money.format(total)} by ${payment.method === 'card' ? `card ••${payment.last4}` : 'cash'}${changeDue > 0 ? `. Change due: ${money.format(changeDue)}` : ''}.`);
    setCart([]);
    setGiven('');
    setLast4('');
    setMethod('cash');
    setTouched(false);
  };

  return (
    <div className="till">
      <Card title="Products" id="till-products">
        {products.status === 'pending' && <p className="muted">Loading…</p>}
        {products.status === 'error' && <Banner kind="error">{describeError(products.error)}</Banner>}
        {products.data?.length === 0 && (
          <p className="empty">
            No products yet. <a href="#/products">Add your first product</a>.
          </p>
        )}
        <div className="product-grid">
          {products.data?.map((p) => (
            <button key={p.id} type="button" className="product-tile" onClick={() => add(p)}>
              <span className="product-name">{p.name}</span>
              <span className="product-price">{money.format(p.price_cents)}</span>
              {p.stock !== null && <span className="product-stock">{p.stock} left</span>}
            </button>
          ))}
        </div>
      </Card>

      <Card
        title={items ? `Cart · ${items} item${items === 1 ? '' : 's'}` : 'Cart'}
        id="cart"
        actions={
          cart.length > 0 ? (
            <button type="button" className="btn btn-ghost" onClick={() => setCart([])}>
              Clear
            </button>
          ) : undefined
        }
      >
        {receipt && (
          <Banner kind="success" onClose={() => setReceipt(null)}>
            {receipt}
          </Banner>
        )}
        {checkout.status === 'error' && <Banner kind="error">{describeError(checkout.error)}</Banner>}
        {cart.length === 0 ? (
          <p className="empty">Tap a product to add it.</p>
        ) : (
          <ul className="cart" aria-label="Cart">
            {cart.map((l) => (
              <li key={l.id}>
                <span className="cart-name">{l.name}</span>
                <span className="qty">
                  <button type="button" className="btn btn-icon" aria-label={`One less ${l.name}`} onClick={() => change(l.id, -1)}>
                    −
                  </button>
                  <span aria-label={`${l.qty} × ${l.name}`}>{l.qty}</span>
                  <button type="button" className="btn btn-icon" aria-label={`One more ${l.name}`} onClick={() => change(l.id, +1)}>
                    +
                  </button>
                </span>
                <span className="cart-amount">{money.format(l.price_cents * l.qty)}</span>
              </li>
            ))}
          </ul>
        )}
        <form
          id={PAYMENT_FORM_ID}
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void charge();
          }}
        >
          <fieldset className="segmented">
            <legend className="sr-only">Payment method</legend>
            {(['cash', 'card'] as const).map((m) => (
              <label key={m} className={method === m ? 'active' : ''}>
                <input type="radio" name="method" value={m} checked={method === m} onChange={() => setMethod(m)} />
                <span>{m === 'cash' ? 'Cash' : 'Card'}</span>
              </label>
            ))}
          </fieldset>
          {method === 'cash' ? (
            <div className="cash-entry" ref={cashEntry} onFocus={(e) => e.currentTarget.scrollIntoView({ block: 'nearest' })}>
              <Field
                label="Cash received"
                hint={
                  given && !paymentError ? (
                    <strong className="change-due" data-testid="change-due">
                      Change: {money.format(money.parse(given) - total)}
                    </strong>
                  ) : (
                    'Leave empty for the exact amount.'
                  )
                }
                error={touched || given ? paymentError : null}
              >
                <input name="cash" inputMode="decimal" autoComplete="off" placeholder={money.toInput(total)} value={given} onChange={(e) => setGiven(e.target.value)} />
              </Field>
            </div>
          ) : (
            <Field label="Card — last 4 digits" hint="Only the last four digits are stored." error={touched || last4.length > 4 ? paymentError : null}>
              <input name="last4" inputMode="numeric" autoComplete="off" placeholder="1234" value={last4} onChange={(e) => setLast4(e.target.value.replace(/[^\d\s]/g, '').slice(0, 23))} />
            </Field>
          )}
        </form>
      </Card>

      <div className="charge-bar" aria-label="Total and charge" role="region">
        <div className="total">
          <span>Total</span>
          <strong data-testid="cart-total">{money.format(total)}</strong>
        </div>
        <button type="submit" form={PAYMENT_FORM_ID} className="btn btn-primary btn-lg" disabled={cart.length === 0 || checkout.isPending}>
          {checkout.isPending ? 'Recording…' : `Charge ${money.format(total)}`}
        </button>
      </div>
    </div>
  );
}

/**
 * Keeps an element (the cash field and its change) in view while its input has focus, whenever
 * the visual viewport changes (the on-screen keyboard opening); its `onFocus` does it on focus. Its CSS
 * `scroll-margin` reserves room for the bars pinned to the bottom of a phone's screen.
 */
function useKeptInView() {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const viewport = window.visualViewport;
    if (!viewport) return;
    const onResize = () => {
      if (ref.current?.contains(document.activeElement)) ref.current.scrollIntoView({ block: 'nearest' });
    };
    viewport.addEventListener('resize', onResize);
    return () => viewport.removeEventListener('resize', onResize);
  }, []);
  return ref;
}
