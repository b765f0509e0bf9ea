/**
 * Every screen of the point-of-sale example at the sizes a shop runs it: a tablet (1280×800) and a
 * phone (390×844), with each phone screen checked again at 360 px wide. On every screen: axe-core
 * finds no violation, the page never scrolls sideways, every control is a ≥ 44 px touch target,
 * and a screenshot is saved (test-results/pos/<size>-*.png) to look at.
 */
import { expect } from '@playwright/test';
import type { Locator, Page } from '@playwright/test';
import { addProduct, createStore, expectNoAxeViolations, expectNoHorizontalOverflow, go, PASSWORD, ringUp, shot, unlock, VIEWPORTS, test } from './pos-helpers.ts';
import type { ViewportName } from './pos-helpers.ts';

/** WCAG 2.5.5 (AAA) size, which the issue asks for on a touch till: 44 × 44 CSS px. */
const MIN_TARGET = 44;

/** Every visible control is at least 44 px high (and buttons 44 px wide). */
async function expectTouchTargets(page: Page, screen: string): Promise<void> {
  const small = await page.evaluate((min) => {
    const out: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>('button, a.tab, select, input:not([type=file]):not([type=radio]), .segmented label');
    for (const el of controls) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
      const tooNarrow = el.tagName === 'BUTTON' && r.width < min - 0.5;
      if (r.height < min - 0.5 || tooNarrow)
        out.push(`${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
    return out;
  }, MIN_TARGET);
  expect(small, `controls smaller than ${MIN_TARGET} px on ${screen}`).toEqual([]);
}

/**
 * The checks every screen gets, at this size and — on a phone — again at 360 px wide. Phone
 * screenshots show the screen as the cashier sees it, scrolled to `at`.
 */
async function screen(page: Page, size: ViewportName, name: string, at?: Locator): Promise<void> {
  await expect(page.locator('h1')).toHaveCount(1);
  await expectNoHorizontalOverflow(page, `${size} ${name}`);
  await expectTouchTargets(page, `${size} ${name}`);
  await expectNoAxeViolations(page, `${size} ${name}`);
  await shot(page, `${size}-${name}`, size === 'phone' ? (at ? { at } : {}) : undefined);
  if (size === 'phone') {
    await page.setViewportSize(VIEWPORTS.narrow);
    await expectNoHorizontalOverflow(page, `360px ${name}`);
    await expectTouchTargets(page, `360px ${name}`);
    await shot(page, `narrow-${name}`, at ? { at } : {});
    await page.setViewportSize(VIEWPORTS.phone);
  }
}

async function expectNavUsable(page: Page): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Pages' });
  for (const tab of ['Till', 'Products', 'Orders', 'Admin']) await expect(nav.getByRole('link', { name: tab })).toBeInViewport({ ratio: 1 });
}

for (const size of ['phone', 'tablet'] as const) {
  test(`every screen on a ${size}: axe-clean, fits the screen, touch-sized controls`, async ({ withPos }) => {
    test.setTimeout(300_000);
    await withPos(async (b) => {
      const page = await b.open('till');
      await expect(page.getByRole('heading', { name: 'Set up your till' })).toBeVisible();
      await page.getByRole('button', { name: 'Create till' }).click();
      await expect(page.getByText('Give the shop a name (shown on the till).')).toBeVisible();
      await screen(page, size, '01-setup');
      await createStore(page);
      await expectNavUsable(page);

      await go(page, 'Products');
      await addProduct(page, 'Espresso', '2.50');
      await addProduct(page, 'Croissant', '3.20');
      await addProduct(page, 'Orange juice', '4');
      await addProduct(page, 'Sparkling elderflower lemonade', '3.90');
      await screen(page, size, '03-products');
      await page.getByRole('button', { name: 'Edit Sparkling elderflower lemonade' }).click();
      await expect(page.getByRole('button', { name: 'Archive' })).toBeInViewport({ ratio: 1 });
      await screen(page, size, '04-products-edit', page.locator('tr.editing'));
      await page.getByRole('button', { name: 'Cancel' }).click();

      await go(page, 'Till');
      await screen(page, size, '05-till-empty');
      for (const item of ['Espresso', 'Espresso', 'Croissant', 'Orange juice', 'Sparkling elderflower lemonade']) await page.locator('.product-tile', { hasText: item }).click();
      // The total and Charge stay on screen wherever the cashier is on the page.
      const charge = page.getByRole('button', { name: /^Charge / });
      await expect(charge).toBeInViewport({ ratio: 1 });
      await expect(page.getByTestId('cart-total')).toBeInViewport({ ratio: 1 });
      await expectNavUsable(page);
      await screen(page, size, '06-till-cart');
      await page.getByText('Card', { exact: true }).click();
      await screen(page, size, '07-till-card', page.locator('input[name=last4]'));
      await page.locator('input[name=last4]').pressSequentially('4242');
      await page.locator('input[name=last4]').press('Enter');
      await expect(page.getByRole('status').filter({ hasText: 'Sale #1 recorded' })).toBeVisible();
      await ringUp(page, ['Croissant'], 'exact');

      await go(page, 'Orders');
      await expect(page.getByTestId('kpi-orders')).toHaveText('2');
      await screen(page, size, '08-orders');
      await page.getByRole('button', { name: 'Refund order 1' }).click();
      await page.getByRole('button', { name: 'Refund one more Espresso' }).click();
      await screen(page, size, '09-orders-refund', page.locator('#refund'));
      await page.getByRole('button', { name: /^Refund €/ }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Refund recorded' })).toBeVisible();
      await page.getByRole('button', { name: 'Done' }).click();

      await go(page, 'Admin');
      await expect(page.getByTestId('db-size')).not.toBeEmpty();
      await screen(page, size, '10-admin');
      await page.locator('input[name=recovery-password]').pressSequentially(PASSWORD);
      await page.getByRole('button', { name: 'Create recovery key' }).click();
      await expect(page.getByTestId('recovery-key')).toHaveText(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$/);
      await screen(page, size, '11-admin-recovery-key', page.getByTestId('recovery-key'));
      await page.getByRole('button', { name: 'I wrote it down' }).click();
      await page.locator('input[name=backup-password]').pressSequentially(PASSWORD);
      const { bytes: backup } = await b.download(page, () => page.getByRole('button', { name: 'Download backup' }).click());
      const restore = page.locator('#restore');
      await restore.locator('input[name=backup-file]').setInputFiles({ name: 'till.cipherlite', mimeType: 'application/octet-stream', buffer: backup });
      await restore.locator('input[name=restore-backup-password]').pressSequentially(PASSWORD);
      await restore.getByRole('button', { name: 'Check backup' }).click();
      await expect(page.getByRole('region', { name: 'Restore comparison' })).toBeVisible();
      await screen(page, size, '12-admin-restore-compare', page.getByRole('region', { name: 'Restore comparison' }));
      await restore.getByRole('button', { name: 'Cancel' }).click();

      await page.getByRole('button', { name: 'Lock' }).click();
      await expect(page.getByRole('heading', { name: 'Till locked' })).toBeVisible();
      await screen(page, size, '02-locked');
      await page.getByRole('button', { name: 'Forgot the password? Use the recovery key' }).click();
      await expect(page.getByRole('heading', { name: 'Reset the password' })).toBeVisible();
      await screen(page, size, '13-recover');
      await page.getByRole('button', { name: 'Back to the password' }).click();
      await unlock(page);
      await expect(page.getByRole('navigation', { name: 'Pages' })).toBeVisible();
    }, size);
  });
}
