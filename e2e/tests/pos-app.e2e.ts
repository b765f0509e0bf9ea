/**
 * The point-of-sale example, end to end, as a shop would use it: first run, products, sales,
 * reload + unlock, offline (service worker), backup / restore (with a tampered file refused),
 * and two tabs live at once. Screenshots of every main screen go to test-results/pos/.
 */
import { expect } from '@playwright/test';
import { addProduct, createStore, go, PASSWORD, ringUp, shot, typeInto, unlock, waitForServiceWorker, test } from './pos-helpers.ts';
import type { Page } from '@playwright/test';

const kpi = (page: Page, id: 'kpi-orders' | 'kpi-total') => page.getByTestId(id);

async function stock(page: Page) {
  await go(page, 'Products');
  await addProduct(page, 'Espresso', '2.50');
  await addProduct(page, 'Croissant', '3.20');
  await addProduct(page, 'Orange juice', '4');
}

test('first run → products → sales → reload → unlock → data intact; lock button; still works offline, key management included', async ({ launchPos }) => {
  const b = await launchPos();
  try {
    const page = await b.open('till');
    await expect(page.getByRole('heading', { name: 'Set up your till' })).toBeVisible();
    await typeInto(page.locator('input[name=store]'), 'Corner Café');
    await typeInto(page.locator('input[name=new-password]'), 'short');
    await page.getByRole('button', { name: 'Create till' }).click();
    await expect(page.getByText('Use at least 8 characters.').first()).toBeVisible();
    await typeInto(page.locator('input[name=new-password]'), PASSWORD);
    await typeInto(page.locator('input[name=confirm-password]'), PASSWORD + 'x');
    await expect(page.getByText('The two passwords differ.')).toBeVisible();
    await shot(page, '01-setup');
    await typeInto(page.locator('input[name=confirm-password]'), '');
    await createStore(page);

    await stock(page);
    await typeInto(page.locator('input[name=name]'), 'espresso');
    await typeInto(page.locator('input[name=price]'), '1');
    await page.getByRole('button', { name: 'Add product' }).click();
    await expect(page.getByRole('alert')).toHaveText('A product with this name already exists.');
    await page.getByRole('button', { name: 'Edit Orange juice' }).click();
    await typeInto(page.locator('input.num-input'), '4.40');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('row', { name: /Orange juice/ })).toContainText('€4.40');
    await shot(page, '03-products');

    await go(page, 'Till');
    await page.locator('.product-tile', { hasText: 'Croissant' }).click();
    await page.getByText('Card', { exact: true }).click();
    await typeInto(page.locator('input[name=last4]'), '4111 1111 1111 1111');
    await expect(page.getByText('Enter only the last 4 digits — never the full card number.')).toBeVisible();
    await page.getByRole('button', { name: 'Charge €3.20' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'recorded' })).toHaveCount(0);
    await shot(page, '04-till-card-validation');
    await typeInto(page.locator('input[name=last4]'), '4242');
    await page.getByRole('button', { name: 'Charge €3.20' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Sale #1 recorded — €3.20 by card ••4242' })).toBeVisible();
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await page.getByText('Cash', { exact: true }).click();

    for (const item of ['Espresso', 'Espresso', 'Orange juice']) await page.locator('.product-tile', { hasText: item }).click();
    await typeInto(page.locator('input[name=cash]'), '20');
    await expect(page.getByTestId('cart-total')).toHaveText('€9.40');
    await expect(page.getByText('Change: €10.60')).toBeVisible();
    await shot(page, '05-till');
    await page.getByRole('button', { name: 'Charge €9.40' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Sale #2 recorded — €9.40 by cash. Change due: €10.60.' })).toBeVisible();

    await go(page, 'Orders');
    await expect(kpi(page, 'kpi-orders')).toHaveText('2');
    await expect(kpi(page, 'kpi-total')).toHaveText('€12.60');
    await expect(page.getByRole('table', { name: 'Orders' })).toContainText('2 × Espresso, 1 × Orange juice');
    await shot(page, '06-orders');

    // Reload: the unlock screen, a wrong password refused, the right one opens the same data.
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Unlock the till' })).toBeVisible();
    await unlock(page, 'not the password');
    await expect(page.getByRole('alert')).toHaveText('Wrong password.');
    await shot(page, '02-unlock-wrong-password');
    await unlock(page);
    await expect(kpi(page, 'kpi-orders')).toHaveText('2');
    await expect(page.locator('.brand-name')).toHaveText('Corner Café');

    // The lock button: the data disappears from the screen until the password is entered again.
    await page.getByRole('button', { name: 'Lock' }).click();
    await expect(page.getByRole('heading', { name: 'Till locked' })).toBeVisible();
    await expect(page.getByText('€12.60')).toHaveCount(0);
    await unlock(page);
    await expect(kpi(page, 'kpi-total')).toHaveText('€12.60');

    // Offline: the service worker serves the app shell, the database worker and sqlite3.wasm.
    await waitForServiceWorker(page);
    await b.context.setOffline(true);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Unlock the till' })).toBeVisible();
    await unlock(page);
    await expect(page.getByText('Offline', { exact: true })).toBeVisible();
    await go(page, 'Till');
    expect(await ringUp(page, ['Croissant'], 'exact')).toBe(3);
    await go(page, 'Orders');
    await expect(kpi(page, 'kpi-orders')).toHaveText('3');
    await shot(page, '07-offline-orders');
    // Key management offline: the worker loads that code on first use, from the precache here.
    await go(page, 'Admin');
    await typeInto(page.locator('input[name=backup-password]'), PASSWORD);
    const offlineBackup = await b.download(page, () => page.getByRole('button', { name: 'Download backup' }).click());
    expect(offlineBackup.name).toMatch(/^till-backup-.*\.cipherlite$/);
    await expect(page.getByRole('status').filter({ hasText: 'Backup downloaded' })).toBeVisible();
    await b.context.setOffline(false);
    expect(b.errors).toEqual([]);
  } finally {
    await b.close();
  }
});

test('idle auto-lock: the till locks itself and asks for the password', async ({ launchPos }) => {
  const b = await launchPos();
  try {
    const page = await b.open('till', '?autolock=1500');
    await createStore(page);
    await expect(page.getByRole('heading', { name: 'Till locked' })).toBeVisible({ timeout: 10_000 });
    await shot(page, '02-locked');
    await unlock(page);
    await expect(page.getByRole('link', { name: 'Till' })).toBeVisible();
    expect(b.errors).toEqual([]);
  } finally {
    await b.close();
  }
});

test('backup → more sales → restore: later sales gone, pre-restore backup kept; a tampered or foreign file is refused and nothing changes', async ({ launchPos }) => {
  // The app's own KDF: the Admin screen below must show the library's default Argon2id.
  const b = await launchPos('tablet', { kdf: 'default' });
  try {
    const page = await b.open('admin');
    await createStore(page);
    await stock(page);
    await go(page, 'Till');
    await ringUp(page, ['Espresso'], 'exact');
    await ringUp(page, ['Croissant', 'Croissant'], { card: '0005' });

    await go(page, 'Admin');
    await expect(page.getByTestId('db-size')).not.toBeEmpty();
    const tables = page.getByRole('table', { name: 'Tables' });
    await expect(tables.getByRole('row', { name: /^Sales \d/ })).toContainText('2');
    await expect(page.locator('#storage')).toContainText('AES-256-GCM');
    await expect(page.locator('#storage')).toContainText('Argon2id · 64 MiB · 3 passes');
    await typeInto(page.locator('input[name=backup-password]'), PASSWORD);
    const { name: fileName, bytes: backup } = await b.download(page, () => page.getByRole('button', { name: 'Download backup' }).click());
    expect(fileName).toMatch(/^till-backup-.*\.cipherlite$/);
    await expect(page.getByRole('status').filter({ hasText: 'Backup downloaded' })).toBeVisible();
    await page.getByRole('button', { name: 'Run check' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'blocks authentic; integrity check OK' })).toBeVisible();
    await shot(page, '08-admin');

    await go(page, 'Till');
    await ringUp(page, ['Orange juice'], 'exact');
    await ringUp(page, ['Espresso', 'Orange juice'], 'exact');
    await go(page, 'Orders');
    await expect(kpi(page, 'kpi-orders')).toHaveText('4');

    await go(page, 'Admin');
    const restore = page.locator('#restore');
    const check = async (file: { name: string; buffer: Buffer }, password: string) => {
      await restore.locator('input[name=backup-file]').setInputFiles({ ...file, mimeType: 'application/octet-stream' });
      await typeInto(restore.locator('input[name=restore-backup-password]'), password);
      await restore.getByRole('button', { name: 'Check backup' }).click();
    };
    // Tampered: one byte flipped inside an encrypted page.
    const tampered = Buffer.from(backup);
    tampered[tampered.length - 1000]! ^= 0x01;
    await check({ name: 'tampered.cipherlite', buffer: tampered }, PASSWORD);
    await expect(restore.getByRole('alert')).toHaveText('This backup is damaged or has been modified: it failed its integrity check. Nothing was changed.');
    await shot(page, '10-restore-tampered');
    await check({ name: 'notes.txt', buffer: Buffer.from('hello, this is not a backup'.repeat(400)) }, PASSWORD);
    await expect(restore.getByRole('alert')).toHaveText(/^This file is not a Till backup/);
    await check({ name: 'backup.cipherlite', buffer: backup }, 'wrong password');
    await expect(restore.getByRole('alert')).toHaveText(/^This password does not open the backup/);
    await go(page, 'Orders');
    await expect(kpi(page, 'kpi-orders')).toHaveText('4');

    await go(page, 'Admin');
    await check({ name: 'backup.cipherlite', buffer: backup }, PASSWORD);
    const compare = page.getByLabel('Restore comparison');
    await expect(compare).toBeVisible();
    await expect(compare.getByRole('row', { name: /^Sales 4 2$/ })).toBeVisible();
    await shot(page, '09-restore-compare');
    await typeInto(compare.locator('input[name=restore-current-password]'), PASSWORD);
    await compare.getByRole('button', { name: 'Replace all data with this backup' }).click();
    await expect(restore.getByRole('status')).toContainText('Backup restored: 8 rows. The previous data was saved first: to undo, restore it from the Backup history.');
    const history = page.getByRole('list', { name: 'Backup history' });
    await expect(history.getByRole('listitem')).toHaveCount(1); // the pre-restore backup
    await shot(page, '11-restore-done');

    await go(page, 'Orders');
    await expect(kpi(page, 'kpi-orders')).toHaveText('2');
    await expect(page.getByRole('table', { name: 'Orders' })).not.toContainText('Orange juice');
    expect(b.errors).toEqual([]);
  } finally {
    await b.close();
  }
});

test('two tabs: till in one, orders and admin in the other, both live', async ({ launchPos }) => {
  const b = await launchPos();
  try {
    const till = await b.open('till');
    await createStore(till);
    await stock(till);
    await go(till, 'Till');

    const office = await b.open('office', '#/orders');
    await expect(office.getByRole('heading', { name: 'Unlock the till' })).toBeVisible();
    await unlock(office);
    await expect(kpi(office, 'kpi-orders')).toHaveText('0');

    await ringUp(till, ['Espresso', 'Croissant'], 'exact');
    await expect(kpi(office, 'kpi-orders')).toHaveText('1');
    await expect(kpi(office, 'kpi-total')).toHaveText('€5.70');
    await ringUp(till, ['Orange juice'], { card: '9876' });
    await expect(kpi(office, 'kpi-orders')).toHaveText('2');
    await expect(office.getByRole('table', { name: 'Orders' })).toContainText('Card ••9876');
    await shot(office, '12-second-tab-orders');

    await go(office, 'Admin');
    const saleRow = office.getByRole('table', { name: 'Tables' }).getByRole('row', { name: /^Sales \d/ });
    await expect(saleRow).toContainText('2');
    await ringUp(till, ['Espresso'], 'exact');
    await expect(saleRow.getByRole('cell').nth(1)).toHaveText('3');
    await go(office, 'Products');
    await addProduct(office, 'Muffin', '2.80');
    await expect(till.locator('.product-tile', { hasText: 'Muffin' })).toBeVisible();
    await shot(till, '13-first-tab-till-sees-new-product');
    expect(b.errors).toEqual([]);
  } finally {
    await b.close();
  }
});
