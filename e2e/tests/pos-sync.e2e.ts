/**
 * The POS as a shop with several tablets (examples/pos/src/shop-sync.tsx) against Ceph RGW
 * (scripts/s3.sh), in two fresh browser contexts = two tablets: tablet A creates the shop's sync
 * in Admin, tablet B is set up from it on its first run with the shop password. Both go offline
 * (the context's network), each rings up sales and reprices the same product; back online (A
 * first, then B) both show the same orders, the same day totals per tablet and in all, the price
 * of the later entry in the log (B's), and the stock lowered by the sales of both. The status pill
 * shows the other tablet's last contact; the bucket holds no product name, tablet name or password.
 */
import { expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { addProduct, createStore, go, PASSWORD, ringUp, test, typeInto } from './pos-helpers.ts';
import { freshBucket, scanBucket, startS3, type Bucket } from './replica-helpers.ts';

let endpoint = '';
test.beforeAll(() => {
  test.setTimeout(300_000);
  // Started when down, never stopped here: other specs share the gateway.
  ({ endpoint } = startS3());
});

async function fillSync(page: Page, b: Bucket, tablet: string): Promise<void> {
  const values = { endpoint: b.endpoint, bucket: b.bucket, prefix: b.prefix, accessKeyId: b.credentials.accessKeyId, secretAccessKey: b.credentials.secretAccessKey, tablet };
  for (const [field, value] of Object.entries(values)) await typeInto(page.locator(`input[name=sync-${field}]`), value);
}

const pill = (page: Page) => page.locator('.topbar-right .pill[data-sync]');

async function editProduct(page: Page, product: string, field: 'Price' | 'Stock', value: string): Promise<void> {
  // Two tablets = two windows: in Firefox keys go where the focus is, and the other tablet's window took it.
  await page.bringToFront();
  await go(page, 'Products');
  await page.getByRole('button', { name: `Edit ${product}` }).click();
  const input = page.getByLabel(`${field} of ${product}`);
  await typeInto(input, value);
  await expect(input).toHaveValue(value);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('button', { name: `Edit ${product}` }) });
  await expect(row).toContainText(field === 'Stock' ? `${value} in stock` : value);
}

/** What both tablets must agree on: the day's totals (in all and per tablet), the orders and the products. */
async function shopView(page: Page) {
  await go(page, 'Orders');
  const byTablet = page.getByRole('table', { name: 'Totals by tablet' });
  await expect(byTablet).toBeVisible();
  await go(page, 'Products');
  // The rows come from a live query: wait for them (this shop always has products and orders
  // here), or an empty table read on both tablets would compare equal.
  const productRows = page.getByRole('table', { name: 'Products' }).locator('tbody tr');
  await expect(productRows).not.toHaveCount(0);
  const products = await productRows.allInnerTexts();
  await go(page, 'Orders');
  await expect(page.getByRole('table', { name: 'Orders' }).locator('tbody tr')).not.toHaveCount(0);
  return {
    orders: await page.getByTestId('kpi-orders').innerText(),
    total: await page.getByTestId('kpi-total').innerText(),
    byTablet: await byTablet.locator('tbody tr').allInnerTexts(),
    lines: (await page.getByRole('table', { name: 'Orders' }).locator('tbody tr').allInnerTexts()).sort(),
    products,
  };
}

test('two tablets of one shop sell offline and converge: same orders and day totals per tablet, the later price, stock lowered by both', async ({ launchPos }) => {
  const b = await freshBucket(endpoint);
  const a = await launchPos();
  const tb = await launchPos();
  try {
    const pageA = await a.open('tablet-a');
    await createStore(pageA);
    await go(pageA, 'Products');
    await addProduct(pageA, 'Espresso', '2.50');
    await addProduct(pageA, 'Croissant', '3.20');
    await editProduct(pageA, 'Espresso', 'Stock', '20');
    await go(pageA, 'Admin');
    await fillSync(pageA, b, 'Counter A');
    await pageA.getByRole('button', { name: 'Create the shop’s sync' }).click();
    await expect(pill(pageA)).toHaveAttribute('data-sync', 'synced', { timeout: 30_000 });

    const pageB = await tb.open('tablet-b');
    await pageB.getByRole('button', { name: 'Set up this tablet from the shop’s cloud' }).click();
    await fillSync(pageB, b, 'Counter B');
    // A wrong shop password: said in the shop's words, nothing set up, the form usable again.
    await typeInto(pageB.locator('input[name=join-password]'), `${PASSWORD}-not`);
    await pageB.getByRole('button', { name: 'Join the shop' }).click();
    await expect(pageB.getByRole('alert')).toHaveText('This password does not open the shop.', { timeout: 60_000 });
    await typeInto(pageB.locator('input[name=join-password]'), PASSWORD);
    await pageB.getByRole('button', { name: 'Join the shop' }).click();
    await expect(pageB.getByRole('link', { name: 'Till' })).toBeVisible({ timeout: 90_000 });
    await expect(pill(pageB)).toHaveAttribute('data-sync', 'synced', { timeout: 30_000 });
    await expect(pageB.locator('.product-tile', { hasText: 'Espresso' })).toContainText('20 left');

    // Both offline: each rings up sales, then reprices the croissant.
    await a.context.setOffline(true);
    await tb.context.setOffline(true);
    await go(pageA, 'Till');
    await ringUp(pageA, ['Espresso'], 'exact');
    await ringUp(pageA, ['Espresso', 'Croissant'], { card: '4242' });
    await go(pageB, 'Till');
    await ringUp(pageB, ['Espresso'], 'exact');
    await ringUp(pageB, ['Croissant'], 'exact');
    await editProduct(pageA, 'Croissant', 'Price', '3.40');
    await editProduct(pageB, 'Croissant', 'Price', '3.60');
    await expect(pill(pageA)).toHaveAttribute('data-sync', 'offline', { timeout: 30_000 });
    await expect(pill(pageB)).toHaveAttribute('data-sync', 'offline', { timeout: 30_000 });

    // A comes back first, then B: B's price is the later entry in the log.
    await a.context.setOffline(false);
    await expect(pill(pageA)).toHaveAttribute('data-sync', 'synced', { timeout: 30_000 });
    await tb.context.setOffline(false);
    await expect(pill(pageB)).toHaveAttribute('data-sync', 'synced', { timeout: 30_000 });
    // B pushed last (pulling first): it holds the whole log. A gets B's entries at its next pulls.
    const viewB = await shopView(pageB);
    await expect.poll(() => shopView(pageA), { timeout: 30_000 }).toEqual(viewB);
    const viewA = await shopView(pageA);
    // A: 2.50 + (2.50 + 3.20); B: 2.50 + 3.20 — each sale at the price its tablet had then.
    expect(viewA.total).toContain('13.90');
    expect(viewA.byTablet.map((r) => r.replace(/\s+/g, ' ').trim())).toEqual([
      expect.stringMatching(/^Counter A 2 — \D*8\.20$/),
      expect.stringMatching(/^Counter B 2 — \D*5\.70$/),
      expect.stringMatching(/^All tablets 4 — \D*13\.90$/),
    ]);
    expect(viewA.lines).toHaveLength(4);
    // Price: the later write in log order (B's); stock: both tablets' sales (20 − 2 − 1).
    expect(viewA.products.find((p) => p.includes('Croissant'))).toContain('3.60');
    expect(viewA.products.find((p) => p.includes('Espresso'))).toContain('17 in stock');

    // The pill names the other tablet's last contact.
    await expect(pill(pageA)).toContainText('1 other tablet');
    await expect(pill(pageA)).toHaveAttribute('title', /Counter B: last contact \d+ (s|min) ago/);
    await go(pageB, 'Admin');
    await expect(pageB.getByRole('table', { name: 'Tablets' }).locator('tbody tr')).toHaveText([/Counter A\s*\d+ (s|min) ago/, /Counter B\s*This tablet/]);

    const scan = await scanBucket(b, ['Espresso', 'Croissant', 'Counter A', 'Counter B', 'Corner Caf', PASSWORD]);
    expect(scan.keys.length).toBeGreaterThan(3);
    expect(scan.hits).toEqual([]);
    // The browser logs each request the worker tried while the context was offline; nothing else may be logged as an error.
    const offlineRequest = /Failed to load resource: net::ERR_INTERNET_DISCONNECTED/;
    expect(a.errors.filter((e) => !offlineRequest.test(e))).toEqual([]);
    expect(tb.errors.filter((e) => !offlineRequest.test(e))).toEqual([]);
  } finally {
    await a.close();
    await tb.close();
  }
});
