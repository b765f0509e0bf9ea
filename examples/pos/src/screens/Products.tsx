/**
 * Products: add, rename, reprice, count stock, archive (sales keep their own copy of name and
 * price). On a shop with several tablets every change goes through sync (shop-sync.tsx); stock
 * is a counter there, so a change to it adds its difference to what the other tablets did.
 */
import { useQuery } from '@cipherlite/react';
import { useState } from 'react';
import { useMoney } from '../settings.tsx';
import { describeError } from '../store.ts';
import { newRowId, useShopTransaction } from '../shop-sync.tsx';
import { Banner, Card, Field } from '../ui.tsx';

type Product = { id: number; name: string; price_cents: number; stock: number | null; sold: number };

function friendly(e: unknown): string {
  const msg = (e as Error).message ?? '';
  if (/UNIQUE constraint failed/.test(msg)) return 'A product with this name already exists.';
  return describeError(e);
}

export function Products() {
  const money = useMoney();
  const products = useQuery<Product>(
    'SELECT p.id, p.name, p.price_cents, p.stock, coalesce(sum(l.qty), 0) AS sold FROM product p LEFT JOIN sale_line l ON l.product_id = p.id WHERE p.archived = 0 GROUP BY p.id ORDER BY p.name COLLATE NOCASE',
  );
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [touched, setTouched] = useState(false);
  const add = useShopTransaction((tx, tablet, n: string, cents: number) => tx.exec('INSERT INTO product (id, name, price_cents) VALUES (?, ?, ?)', [newRowId(tablet), n, cents]));

  let priceError: string | null = null;
  let cents = 0;
  try {
    cents = money.parse(price);
  } catch (e) {
    priceError = (e as Error).message;
  }
  const nameError = name.trim() ? null : 'Enter a name.';

  return (
    <div className="stack">
      <Card title="Add a product" id="add-product">
        <form
          className="inline-form"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            setTouched(true);
            if (nameError || priceError) return;
            if ((await add.mutate(name.trim(), cents)) !== undefined) {
              setName('');
              setPrice('');
              setTouched(false);
            }
          }}
        >
          <Field label="Name" error={touched ? nameError : null}>
            <input
              name="name"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                // The "already exists" message was about the name typed before: drop it.
                if (add.status === 'error') add.reset();
              }}
              placeholder="e.g. Flat white"
            />
          </Field>
          <Field label="Price" error={touched ? priceError : null}>
            <input name="price" inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} placeholder={money.toInput(320)} />
          </Field>
          <button className="btn btn-primary" disabled={add.isPending}>
            Add product
          </button>
        </form>
        {add.status === 'error' && <Banner kind="error">{friendly(add.error)}</Banner>}
      </Card>
      <Card title={`Products${products.data ? ` · ${products.data.length}` : ''}`} id="product-list">
        {products.status === 'error' && <Banner kind="error">{describeError(products.error)}</Banner>}
        {products.data?.length === 0 && <p className="empty">No products yet.</p>}
        {products.data && products.data.length > 0 && (
          <table className="table table-products" aria-label="Products">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Price</th>
                <th className="num">Sold</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {products.data.map((p) => (
                <ProductRow key={p.id} product={p} />
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}

function ProductRow({ product }: { product: Product }) {
  const money = useMoney();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(product.name);
  const [price, setPrice] = useState(money.toInput(product.price_cents));
  const [stock, setStock] = useState(stockInput(product.stock));
  const [error, setError] = useState<string | null>(null);
  // Stock is written only when it was edited: the form's copy may be older than a sale made since.
  const save = useShopTransaction(async (tx, _tablet, n: string, cents: number, newStock: { value: number | null } | null) => {
    await tx.exec('UPDATE product SET name = ?, price_cents = ? WHERE id = ?', [n, cents, product.id]);
    if (newStock) await tx.exec('UPDATE product SET stock = ? WHERE id = ?', [newStock.value, product.id]);
  });
  const archive = useShopTransaction((tx) => tx.exec('UPDATE product SET archived = 1 WHERE id = ?', [product.id]));

  if (!editing) {
    return (
      <tr>
        <td className="product-cell-name">
          {product.name}
          {product.stock !== null && <span className="product-stock"> · {product.stock} in stock</span>}
        </td>
        <td className="num">{money.format(product.price_cents)}</td>
        <td className="num">
          {product.sold}
          <span className="sr-only"> sold</span>
        </td>
        <td className="actions">
          <button
            type="button"
            className="btn"
            onClick={() => {
              setName(product.name);
              setPrice(money.toInput(product.price_cents));
              setStock(stockInput(product.stock));
              setEditing(true);
            }}
            aria-label={`Edit ${product.name}`}
          >
            Edit
          </button>
        </td>
      </tr>
    );
  }
  return (
    <tr className="editing">
      <td className="product-cell-name">
        <input aria-label={`Name of ${product.name}`} value={name} onChange={(e) => setName(e.target.value)} aria-describedby={error ? `edit-error-${product.id}` : undefined} />
        {error && (
          <div className="field-error" id={`edit-error-${product.id}`}>
            {error}
          </div>
        )}
      </td>
      <td className="num">
        <input aria-label={`Price of ${product.name}`} inputMode="decimal" className="num-input" value={price} onChange={(e) => setPrice(e.target.value)} />
      </td>
      <td className="num">
        {/* While editing, the sold count's place holds the stock (empty: not counted). */}
        <input aria-label={`Stock of ${product.name}`} inputMode="numeric" className="stock-input" placeholder="Stock" value={stock} onChange={(e) => setStock(e.target.value)} />
      </td>
      <td className="actions">
        <button
          type="button"
          className="btn btn-primary"
          onClick={async () => {
            let cents: number;
            try {
              cents = money.parse(price);
            } catch (e) {
              return setError((e as Error).message);
            }
            if (!name.trim()) return setError('Enter a name.');
            if (stock.trim() !== '' && !/^-?\d+$/.test(stock.trim())) return setError('Stock is a whole number (or empty: not counted).');
            const edited = stock !== stockInput(product.stock) ? { value: stock.trim() === '' ? null : Number(stock.trim()) } : null;
            try {
              await save.mutateAsync(name.trim(), cents, edited);
              setError(null);
              setEditing(false);
            } catch (e) {
              setError(friendly(e));
            }
          }}
        >
          Save
        </button>
        <button type="button" className="btn" onClick={() => setEditing(false)}>
          Cancel
        </button>
        <button type="button" className="btn btn-danger" onClick={() => void archive.mutate()} title="Hide from the till (past sales keep it)">
          Archive
        </button>
      </td>
    </tr>
  );
}

const stockInput = (stock: number | null): string => (stock === null ? '' : String(stock));
