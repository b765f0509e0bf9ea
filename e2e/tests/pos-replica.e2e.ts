/**
 * The POS "Cloud backup" round trip against Ceph RGW (scripts/s3.sh): a till sets up the backup
 * in Admin and sells; the status pill on every screen says synced; a new tablet is set up from
 * the cloud backup on its first-run screen and shows the same sales; the bucket holds no
 * product name. Screenshots of the three screens go to test-results/pos/.
 */
import { expect } from '@playwright/test';
import { addProduct, createStore, go, PASSWORD, ringUp, shot, test, typeInto } from './pos-helpers.ts';
import { freshBucket, scanBucket, startS3, stopS3, type Bucket } from './replica-helpers.ts';
import type { Page } from '@playwright/test';

let endpoint = '';
let started = false;
test.beforeAll(() => {
  test.setTimeout(300_000);
  ({ endpoint, started } = startS3());
});
test.afterAll(() => {
  if (started) stopS3();
});

async function fillCloud(page: Page, b: Bucket): Promise<void> {
  const values = { endpoint: b.endpoint, bucket: b.bucket, prefix: b.prefix, accessKeyId: b.credentials.accessKeyId, secretAccessKey: b.credentials.secretAccessKey };
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
    await fillCloud(fresh, b);
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
