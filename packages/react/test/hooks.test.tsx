// @vitest-environment happy-dom
/** The hooks in a rendered React tree, with a real encrypted database behind them (core on MemoryStorage). */
import { act, cleanup, configure, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryStorage } from '@cipherlite/core';
import { StrictMode, useState } from 'react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseProvider, useDatabase, useLockState, useMutation, useQuery, useTransaction, useUnlock } from '../src/index.js';
import { openCoreDatabase, type CoreLiveDatabase } from '../src/core-adapter.js';
import type { LiveDatabase } from '../src/types.js';
import { counting, FAST_KDF, openTestDatabase, PASSWORD, tick } from './helpers.js';

type Product = { id: number; name: string; price_cents: number };

/** How long a test waits for a database the provider opens itself (one or two Argon2id runs). */
const OPEN_TIMEOUT_MS = 10_000;
// Every findBy/waitFor here may wait on an Argon2id run (unlock, a lock screen's retry), which a
// loaded 2-core CI machine stretches past testing-library's 1 s default.
configure({ asyncUtilTimeout: OPEN_TIMEOUT_MS });

let opened: CoreLiveDatabase[] = [];
afterEach(async () => {
  cleanup();
  for (const db of opened) await db.close();
  opened = [];
});
async function open() {
  const db = await openTestDatabase();
  opened.push(db);
  return db;
}

function ProductList({ onRender }: { onRender?: () => void }) {
  const { data, status, error } = useQuery<Product>('SELECT id, name, price_cents FROM product ORDER BY name');
  onRender?.();
  if (status === 'pending') return <p>loading</p>;
  if (status === 'error') return <p role="alert">{error.code}</p>;
  return (
    <ul>
      {data.map((p) => (
        <li key={p.id}>
          {p.name} {p.price_cents}
        </li>
      ))}
    </ul>
  );
}

function wrap(db: LiveDatabase, children: ReactNode) {
  return render(
    <StrictMode>
      <DatabaseProvider database={db}>{children}</DatabaseProvider>
    </StrictMode>,
  );
}

describe('DatabaseProvider / useDatabase', () => {
  it('a hook outside a provider fails with an actionable message', () => {
    function Orphan() {
      useDatabase();
      return null;
    }
    function OrphanQuery() {
      useQuery('SELECT 1');
      return null;
    }
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => render(<Orphan />)).toThrow(/^useDatabase\(\) needs a <DatabaseProvider>: wrap your component tree/);
      expect(() => render(<OrphanQuery />)).toThrow(/^useQuery\(\) needs a <DatabaseProvider>/);
    } finally {
      console.error = quiet;
    }
  });

  it('open= opens the database once, shows the fallback meanwhile, and closes it on unmount', async () => {
    const storage = new MemoryStorage();
    let db: CoreLiveDatabase | null = null;
    let opens = 0;
    const view = render(
      <DatabaseProvider
        open={async () => {
          opens++;
          db = await openCoreDatabase({ storage, name: 'owned.db', password: PASSWORD, kdf: FAST_KDF });
          await db.exec("CREATE TABLE product (id INTEGER PRIMARY KEY, name TEXT, price_cents INTEGER); INSERT INTO product VALUES (1, 'Tea', 200)");
          return db;
        }}
        fallback={<p>opening…</p>}
      >
        <ProductList />
      </DatabaseProvider>,
    );
    expect(screen.getByText('opening…')).toBeTruthy();
    // Opening runs Argon2id; on a loaded machine that alone can take longer than findBy's default 1 s.
    await screen.findByText('Tea 200', {}, { timeout: OPEN_TIMEOUT_MS });
    expect(opens).toBe(1);
    view.unmount();
    await waitFor(() => expect(() => db!.database).toThrow(/closed/));
  });

  it('open= shows renderError when opening fails (WRONG_KEY)', async () => {
    const storage = new MemoryStorage();
    await (await openCoreDatabase({ storage, name: 'x.db', password: PASSWORD, kdf: FAST_KDF })).close();
    render(
      <DatabaseProvider open={() => openCoreDatabase({ storage, name: 'x.db', password: 'nope', kdf: FAST_KDF })} renderError={(e) => <p role="alert">{(e as { code?: string }).code}</p>}>
        <ProductList />
      </DatabaseProvider>,
    );
    expect((await screen.findByRole('alert', {}, { timeout: OPEN_TIMEOUT_MS })).textContent).toBe('WRONG_KEY');
  });
});

describe('useQuery', () => {
  it('renders rows and updates live when a mutation writes a table it reads', async () => {
    const db = await open();
    function AddTea() {
      const add = useMutation((d, name: string, cents: number) => d.exec('INSERT INTO product (name, price_cents) VALUES (?, ?)', [name, cents]));
      return (
        <button onClick={() => void add.mutate('Tea', 200)} disabled={add.isPending}>
          add {add.status}
        </button>
      );
    }
    wrap(
      db,
      <>
        <ProductList />
        <AddTea />
      </>,
    );
    await screen.findByText('Croissant 320');
    fireEvent.click(screen.getByText('add idle'));
    await screen.findByText('Tea 200');
    await screen.findByText('add success');
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Croissant 320', 'Espresso 250', 'Tea 200']);
  });

  it('updates for writes made outside React (another tab, via the worker leader) and only re-renders for tables it reads', async () => {
    const db = await open();
    let renders = 0;
    wrap(db, <ProductList onRender={() => renders++} />);
    await screen.findByText('Espresso 250');
    await tick(50);
    const settled = renders;
    await act(async () => {
      await db.database.exec('INSERT INTO sale (total_cents) VALUES (570)');
      await tick(50);
    });
    expect(renders).toBe(settled);
    await act(async () => {
      await db.database.exec("UPDATE product SET price_cents = 275 WHERE name = 'Espresso'");
    });
    await screen.findByText('Espresso 275');
  });

  it('two components with the same query (in StrictMode) share one database run', async () => {
    const { db, queries } = counting(await open());
    wrap(
      db,
      <>
        <ProductList />
        <ProductList />
      </>,
    );
    await waitFor(() => expect(screen.getAllByText('Espresso 250')).toHaveLength(2));
    expect(queries).toEqual(['SELECT id, name, price_cents FROM product ORDER BY name']);
    await act(() => db.exec("INSERT INTO product (name, price_cents) VALUES ('Tea', 200)"));
    await waitFor(() => expect(screen.getAllByText('Tea 200')).toHaveLength(2));
    expect(queries).toHaveLength(2);
  });

  it('re-subscribes when params change, by value', async () => {
    const { db, queries } = counting(await open());
    function Cheaper() {
      const [max, setMax] = useState(300);
      // A new params array every render: the key is by value, so no extra runs.
      const { data } = useQuery<{ name: string }>('SELECT name FROM product WHERE price_cents < ? ORDER BY name', [max]);
      return (
        <>
          <button onClick={() => setMax(1000)}>raise</button>
          <output>{data?.map((r) => r.name).join(',') ?? '…'}</output>
        </>
      );
    }
    wrap(db, <Cheaper />);
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Espresso'));
    fireEvent.click(screen.getByText('raise'));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Croissant,Espresso'));
    expect(queries).toHaveLength(2);
  });

  it('takes any async fetcher: a live value under a key, re-rendered after changes to its tables', async () => {
    const db = await open();
    function Summary() {
      const { data } = useQuery(
        ['summary'],
        async (d) => {
          const [row] = await d.query<{ n: number; total: number }>('SELECT count(*) AS n, sum(price_cents) AS total FROM product');
          return `${row!.n} products, ${row!.total} cents`;
        },
        { tables: ['product'] },
      );
      return <output>{data ?? '…'}</output>;
    }
    wrap(db, <Summary />);
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('2 products, 570 cents'));
    await act(() => db.exec("INSERT INTO product (name, price_cents) VALUES ('Tea', 200)"));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('3 products, 770 cents'));
  });

  it('a fetcher and a SQL query share the cache without sharing keys', async () => {
    const { db, queries } = counting(await open());
    const sql = 'SELECT name FROM product ORDER BY name';
    function Both() {
      const rows = useQuery<{ name: string }>(sql);
      const names = useQuery(sql, async (d) => (await d.query<{ name: string }>(sql)).map((r) => r.name.toUpperCase()));
      return <output>{`${rows.data?.map((r) => r.name).join(',') ?? '…'} / ${names.data?.join(',') ?? '…'}`}</output>;
    }
    wrap(db, <Both />);
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Croissant,Espresso / CROISSANT,ESPRESSO'));
    expect(queries).toEqual([sql, sql]);
  });

  it('surfaces a bad query as a CipherliteError with code SQL', async () => {
    const db = await open();
    function Bad() {
      const { status, error } = useQuery('SELECT nope FROM product');
      return <p role="alert">{status === 'error' ? `${error.code}: ${error.message}` : status}</p>;
    }
    wrap(db, <Bad />);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/^SQL: .*no such column: nope/));
  });
});

describe('useTransaction / useMutation errors', () => {
  it('commits as a whole, or rolls back and reports the typed error', async () => {
    const db = await open();
    function Checkout() {
      const checkout = useTransaction(async (tx, lines: { name: string; cents: number }[]) => {
        const { lastInsertRowid } = await tx.exec('INSERT INTO sale (total_cents) VALUES (?)', [lines.reduce((s, l) => s + l.cents, 0)]);
        for (const l of lines) await tx.exec('INSERT INTO product (name, price_cents) VALUES (?, ?)', [l.name, l.cents]);
        return Number(lastInsertRowid);
      });
      const sales = useQuery<{ n: number }>('SELECT count(*) AS n FROM sale');
      return (
        <>
          <button onClick={() => void checkout.mutate([{ name: 'Muffin', cents: 300 }])}>ok</button>
          <button
            onClick={() =>
              void checkout.mutate([
                { name: 'Bagel', cents: 300 },
                { name: 'Bagel', cents: 300 },
              ])
            }
          >
            dup
          </button>
          <p data-testid="state">
            {checkout.status} {checkout.code ?? ''} {checkout.status === 'success' ? `#${checkout.data}` : ''}
          </p>
          <p data-testid="sales">{sales.data?.[0]?.n}</p>
        </>
      );
    }
    wrap(db, <Checkout />);
    await waitFor(() => expect(screen.getByTestId('sales').textContent).toBe('0'));
    fireEvent.click(screen.getByText('ok'));
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('success  #1'));
    await waitFor(() => expect(screen.getByTestId('sales').textContent).toBe('1'));

    fireEvent.click(screen.getByText('dup'));
    await waitFor(() => expect(screen.getByTestId('state').textContent?.trim()).toBe('error SQL'));
    expect(await db.query('SELECT name FROM product WHERE name = ?', ['Bagel'])).toEqual([]);
    expect(await db.query('SELECT count(*) AS n FROM sale')).toEqual([{ n: 1 }]);
  });

  it('mutateAsync rejects with the CipherliteError; mutate never rejects', async () => {
    const db = await open();
    let api: ReturnType<typeof useMutation<[number], unknown>> | null = null;
    function Probe() {
      // The probe hands the hook's result out of the render to the test body.
      // eslint-disable-next-line react-hooks/globals
      api = useMutation((d, cents: number) => d.exec("INSERT INTO product (name, price_cents) VALUES ('Neg', ?)", [cents]));
      return null;
    }
    wrap(db, <Probe />);
    await act(async () => {
      await expect(api!.mutateAsync(-1)).rejects.toMatchObject({ name: 'CipherliteError', code: 'SQL' });
    });
    await act(async () => {
      expect(await api!.mutate(-1)).toBeUndefined();
    });
    expect(api!.status).toBe('error');
    act(() => api!.reset());
    expect(api!.status).toBe('idle');
  });
});

describe('useLockState / useUnlock', () => {
  it('locked → unlocking → unlocked, WRONG_KEY surfaced and still locked, and live queries come back', async () => {
    const db = await open();
    const seen: string[] = [];
    function Gate() {
      const state = useLockState();
      const { unlock, code, isPending } = useUnlock();
      const [pw, setPw] = useState('');
      seen.push(state);
      if (state !== 'unlocked') {
        return (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void unlock(pw);
            }}
          >
            <p data-testid="lock">{state}</p>
            <input aria-label="password" value={pw} onChange={(e) => setPw(e.target.value)} />
            <button disabled={isPending}>unlock</button>
            {code === 'WRONG_KEY' && <p role="alert">Wrong password</p>}
          </form>
        );
      }
      return <ProductList />;
    }
    wrap(db, <Gate />);
    await screen.findByText('Espresso 250');
    await act(() => db.lock());
    expect(screen.getByTestId('lock').textContent).toBe('locked');

    fireEvent.change(screen.getByLabelText('password'), { target: { value: 'guess' } });
    fireEvent.click(screen.getByText('unlock'));
    await screen.findByText('Wrong password');
    expect(db.lockState).toBe('locked');

    fireEvent.change(screen.getByLabelText('password'), { target: { value: PASSWORD } });
    fireEvent.click(screen.getByText('unlock'));
    await screen.findByText('Espresso 250');
    expect(seen).toContain('unlocking');
  });

  it('unlock({ passkey: true }) without a browser passkey prompt (core adapter) → UNSUPPORTED, still locked; the password then works', async () => {
    const db = await open();
    function Gate() {
      const state = useLockState();
      const { unlock, code } = useUnlock();
      if (state === 'unlocked') return <ProductList />;
      return (
        <div>
          <button onClick={() => void unlock({ passkey: true })}>passkey</button>
          <button onClick={() => void unlock(PASSWORD)}>password</button>
          {code && <p role="alert">{code}</p>}
        </div>
      );
    }
    wrap(db, <Gate />);
    await screen.findByText('Espresso 250');
    await act(() => db.lock());
    fireEvent.click(screen.getByText('passkey'));
    expect((await screen.findByRole('alert')).textContent).toBe('UNSUPPORTED');
    expect(db.lockState).toBe('locked');
    fireEvent.click(screen.getByText('password'));
    await screen.findByText('Espresso 250', {}, { timeout: 10_000 });
  });
});
