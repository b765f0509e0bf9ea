/**
 * The POS "Cloud backup" round trip against Ceph RGW (scripts/s3.sh): a till sets up the backup
 * in Admin and sells; the status pill on every screen says synced; a new tablet is set up from
 * the cloud backup on its first-run screen and shows the same sales; the bucket holds no
 * product name. The same with the shop's presign endpoint instead of keys (no key typed into the
 * POS, none in its database). Screenshots of the three screens go to test-results/pos/.
 */
import { expect } from '@playwright/test';
import { startPresignEndpoint, type PresignEndpoint } from '../../packages/core/test/replica/presign-endpoint.ts';
import { addProduct, createStore, go, PASSWORD, ringUp, shot, test, typeInto } from './pos-helpers.ts';
import { CREDENTIALS, freshBucket, scanBucket, startS3, stopS3, type Bucket } from './replica-helpers.ts';
import type { Page } from '@playwright/test';

const TOKEN = 'corner-cafe-backoffice-7a21';
let endpoint = '';
let started = false;
/** The shop's presign endpoint: it holds the S3 keys and signs for `shop/…` (each till's prefix and a restored tablet's). */
let presign: PresignEndpoint;
test.beforeAll(async () => {
  test.setTimeout(300_000);
  ({ endpoint, started } = startS3());
  presign = await startPresignEndpoint({ s3: { endpoint, credentials: CREDENTIALS }, prefix: 'shop', token: TOKEN });
});
test.afterAll(async () => {
  await presign.close();
  if (started) stopS3();
});

async function fillCloud(page: Page, b: Bucket, access: 'keys' | 'presign' = 'keys'): Promise<void> {
  const values =
    access === 'keys'
      ? { endpoint: b.endpoint, bucket: b.bucket, prefix: b.prefix, accessKeyId: b.credentials.accessKeyId, secretAccessKey: b.credentials.secretAccessKey }
      : { endpoint: b.endpoint, bucket: b.bucket, prefix: b.prefix, signerUrl: presign.url, signerToken: TOKEN };
  await page.locator('select[name=cloud-access]').selectOption(access);
  for (const [field, value] of Object.entries(values)) await typeInto(page.locator(`input[name=cloud-${field}]`), value);
}

test('cloud backup: a till pushes its sales, a new tablet is set up from the backup and shows them', async ({ launchPos }) => {
  const b = await freshBucket(endpoint);
  const till = await launchPos();
  const tablet = await launchPos();
  try {
    const page = await till.open('till');
    await createStore(page);
    await go(page, 'Products');
    await addProduct(page, 'Cloudberry tart', '4.80');
    await go(page, 'Admin');
    await fillCloud(page, b);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const pill = page.locator('.topbar-right .pill[data-cloud]');
    await expect(pill).toHaveAttribute('data-cloud', 'synced', { timeout: 30_000 });
    await go(page, 'Till');
    await ringUp(page, ['Cloudberry tart'], 'exact');
    await ringUp(page, ['Cloudberry tart', 'Cloudberry tart'], 'exact');
    await expect(pill).toHaveAttribute('data-cloud', 'synced', { timeout: 30_000 });
    await shot(page, 'cloud-01-till-synced');
    await go(page, 'Admin');
    await shot(page, 'cloud-02-admin-settings', { at: page.locator('#cloud') });

    const fresh = await tablet.open('new-tablet');
    await fresh.getByRole('button', { name: 'Set up this tablet from the cloud backup' }).click();
    // A prefix with no backup under it, then a wrong password: each said in the shop's words, the form usable again.
    await fillCloud(fresh, { ...b, prefix: `${b.prefix}-none` });
    await typeInto(fresh.locator('input[name=restore-password]'), PASSWORD);
    await fresh.getByRole('button', { name: 'Restore this tablet' }).click();
    await expect(fresh.getByRole('alert')).toHaveText('There is no backup under this prefix (or parts of it are missing).', { timeout: 60_000 });
    await typeInto(fresh.locator('input[name=cloud-prefix]'), b.prefix);
    await typeInto(fresh.locator('input[name=restore-password]'), `${PASSWORD}-not`);
    await fresh.getByRole('button', { name: 'Restore this tablet' }).click();
    await expect(fresh.getByRole('alert')).toHaveText('This password does not open the backup.', { timeout: 60_000 });
    await typeInto(fresh.locator('input[name=restore-password]'), PASSWORD);
    await shot(fresh, 'cloud-03-restore-form');
    await fresh.getByRole('button', { name: 'Restore this tablet' }).click();
    await expect(fresh.getByRole('link', { name: 'Till' })).toBeVisible({ timeout: 90_000 });
    await go(fresh, 'Orders');
    await expect(fresh.getByTestId('kpi-orders')).toHaveText('2');
    // The new tablet backs up too, under its own prefix.
    await expect(fresh.locator('.topbar-right .pill[data-cloud]')).toHaveAttribute('data-cloud', 'synced', { timeout: 30_000 });

    const scan = await scanBucket(b, ['Cloudberry', 'Corner Caf', PASSWORD]);
    expect(scan.keys.some((k) => k.startsWith(`${b.prefix}-restored-`))).toBe(true);
    expect(scan.hits).toEqual([]);
    expect(till.errors).toEqual([]);
    expect(tablet.errors).toEqual([]);
  } finally {
    await till.close();
    await tablet.close();
  }
});

test('cloud backup through the presign endpoint: no key typed into the POS; a new tablet restores through it and backs up too', async ({ launchPos }) => {
  const b = await freshBucket(endpoint);
  const signed = () => presign.requests.filter((r) => r.bucket === b.bucket);
  const till = await launchPos();
  const tablet = await launchPos();
  try {
    const page = await till.open('till');
    await createStore(page);
    await go(page, 'Products');
    await addProduct(page, 'Lingonberry bun', '3.20');
    await go(page, 'Admin');
    await fillCloud(page, b, 'presign');
    await expect(page.locator('input[name=cloud-secretAccessKey]')).toHaveCount(0);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const pill = page.locator('.topbar-right .pill[data-cloud]');
    await expect(pill).toHaveAttribute('data-cloud', 'synced', { timeout: 30_000 });
    await go(page, 'Till');
    await ringUp(page, ['Lingonberry bun'], 'exact');
    await ringUp(page, ['Lingonberry bun', 'Lingonberry bun', 'Lingonberry bun'], 'exact');
    await expect(pill).toHaveAttribute('data-cloud', 'synced', { timeout: 30_000 });
    expect(signed().some((r) => r.method === 'PUT' && r.key.startsWith(`${b.prefix}/`))).toBe(true);

    const fresh = await tablet.open('new-tablet');
    await fresh.getByRole('button', { name: 'Set up this tablet from the cloud backup' }).click();
    await fillCloud(fresh, b, 'presign');
    await typeInto(fresh.locator('input[name=restore-password]'), PASSWORD);
    await fresh.getByRole('button', { name: 'Restore this tablet' }).click();
    await expect(fresh.getByRole('link', { name: 'Till' })).toBeVisible({ timeout: 90_000 });
    await go(fresh, 'Orders');
    await expect(fresh.getByTestId('kpi-orders')).toHaveText('2');
    await expect(fresh.locator('.topbar-right .pill[data-cloud]')).toHaveAttribute('data-cloud', 'synced', { timeout: 30_000 });
    expect(signed().some((r) => r.method === 'PUT' && r.key.startsWith(`${b.prefix}-restored-`))).toBe(true);

    const scan = await scanBucket(b, ['Lingonberry', 'Corner Caf', PASSWORD, TOKEN, CREDENTIALS.secretAccessKey]);
    expect(scan.hits).toEqual([]);
    expect(till.errors).toEqual([]);
    expect(tablet.errors).toEqual([]);
  } finally {
    await till.close();
    await tablet.close();
  }
});
