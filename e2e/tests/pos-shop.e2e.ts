/**
 * Running the shop: refunds (line by line, never beyond what was paid, counted in the day's
 * totals), keyboard use of the till and the orders page, the shop settings (currency, auto-lock)
 * and the small form fixes (a stale error banner, a field that moved when its error showed).
 */
import { expect } from '@playwright/test';
import { addProduct, createStore, go, ringUp, shot, typeInto, unlock, test } from './pos-helpers.ts';
import type { Page } from '@playwright/test';

/** How many times faster the worker's auto-lock clock runs in the settings test. */
const AUTO_LOCK_SPEEDUP = 10;

async function stock(page: Page) {
  await go(page, 'Products');
  await addProduct(page, 'Espresso', '2.50');
  await addProduct(page, 'Croissant', '3.20');
}

test('refunds: a line or the rest of an order, never beyond what was paid, in the daily totals', async ({ withPos }) => {
  await withPos(async (b) => {
    const page = await b.open('till');
    await createStore(page);
    await stock(page);
    await go(page, 'Till');
    const sale = await ringUp(page, ['Espresso', 'Espresso', 'Croissant'], { card: '4242' }); // €8.20
    await ringUp(page, ['Croissant'], 'exact'); // €3.20 cash

    await go(page, 'Orders');
    await expect(page.getByTestId('kpi-total')).toHaveText('€11.40');
    await page.getByRole('button', { name: `Refund order ${sale}` }).click();
    const panel = page.locator('#refund');
    // One espresso back: the quantity stops at what was sold.
    await panel.getByRole('button', { name: 'Refund one more Espresso' }).click();
    await panel.getByRole('button', { name: 'Refund one more Espresso' }).click();
    await expect(panel.getByRole('button', { name: 'Refund one more Espresso' })).toBeDisabled();
    await panel.getByRole('button', { name: 'Refund one less Espresso' }).click();
    await expect(panel).toContainText('to card ••4242');
    await panel.getByRole('button', { name: 'Refund €2.50' }).click();
    await expect(panel.getByRole('status')).toHaveText(`Refund recorded: €2.50 back to card ••4242 for order #${sale}.`);
    await panel.getByRole('button', { name: 'Done' }).click();

    await expect(page.getByTestId('kpi-total')).toHaveText('€8.90');
    await expect(page.getByTestId('kpi-refunds')).toHaveText('€2.50');
    await expect(page.getByTestId('kpi-orders')).toHaveText('2');
    await expect(page.getByTestId('kpi-methods')).toHaveText('€3.20 · €5.70'); // card: 8.20 − 2.50
    const today = page.getByRole('table', { name: 'Daily totals' }).getByRole('row', { name: /Today/ });
    await expect(today).toContainText('−€2.50');
    await expect(today).toContainText('€8.90');
    const order = page.getByRole('table', { name: 'Orders' }).getByRole('row', { name: new RegExp(`^${sale} `) });
    await expect(order).toContainText('−€2.50 refunded');

    // The rest: the panel offers only what is left (1 espresso, 1 croissant = €5.70).
    await page.getByRole('button', { name: `Refund order ${sale}` }).click();
    await expect(panel).toContainText('2 sold × €2.50 · 1 refunded');
    // A second tab opens the same refund meanwhile.
    const other = await b.open('office', '#/orders');
    await unlock(other);
    await other.getByRole('button', { name: `Refund order ${sale}` }).click();
    await other.getByRole('button', { name: 'Select everything left' }).click();
    await expect(other.getByRole('button', { name: 'Refund €5.70' })).toBeEnabled();

    await panel.getByRole('button', { name: 'Select everything left' }).click();
    await shot(page, 'tablet-16-refund-rest');
    await panel.getByRole('button', { name: 'Refund €5.70' }).click();
    await expect(panel.getByRole('status')).toContainText('Refund recorded: €5.70');
    await panel.getByRole('button', { name: 'Done' }).click();
    await expect(order.getByText('Refunded', { exact: true })).toBeVisible();
    await expect(order.getByRole('button', { name: /^Refund/ })).toHaveCount(0);

    // The other tab's panel now offers nothing: its lines are live, so nothing is left to pick.
    await expect(other.getByRole('button', { name: 'Refund €0.00' })).toBeDisabled();
    await expect(page.getByTestId('kpi-total')).toHaveText('€3.20');
    await expect(page.getByTestId('kpi-refunds')).toHaveText('€8.20');

    await page.reload();
    await unlock(page);
    await expect(page.getByTestId('kpi-total')).toHaveText('€3.20');
  });
});

test('keyboard: Cash/Card shows focus, Enter in the card digits charges, days of the totals are reachable', async ({ withPos }) => {
  await withPos(async (b) => {
    const page = await b.open('till');
    await createStore(page);
    await stock(page);
    await go(page, 'Till');
    await page.locator('.product-tile', { hasText: 'Espresso' }).click();
    // Tab from the cart's last control to the payment method: the chosen option shows a focus ring.
    await page.getByRole('button', { name: 'One more Espresso' }).focus();
    await page.keyboard.press('Tab');
    const cash = page.getByRole('radio', { name: 'Cash' });
    await expect(cash).toBeFocused();
    const ring = () => page.locator('.segmented label.active > span').evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(await ring()).toBe('solid');
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('radio', { name: 'Card' })).toBeChecked();
    expect(await ring()).toBe('solid');
    await shot(page, 'tablet-17-keyboard-card-focus');
    await page.keyboard.press('Tab');
    await expect(page.locator('input[name=last4]')).toBeFocused();
    await page.keyboard.type('1234');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('status').filter({ hasText: 'Sale #1 recorded — €2.50 by card ••1234' })).toBeVisible();
    // The field hint describes the input; it is not part of its name.
    await page.getByText('Card', { exact: true }).click();
    await expect(page.getByRole('textbox', { name: 'Card — last 4 digits', exact: true })).toHaveAccessibleDescription('Only the last four digits are stored.');

    await go(page, 'Orders');
    const dayButton = page.getByRole('button', { name: 'Show the orders of Today' });
    await dayButton.focus();
    await expect(dayButton).toBeFocused();
    await expect(dayButton).toHaveAttribute('aria-pressed', 'true');
  });
});

test('shop settings: currency (Intl, integer minor units) and the auto-lock delay, stored encrypted', async ({ withPos }) => {
  await withPos(async (b) => {
    const page = await b.open('admin');
    await createStore(page);
    await stock(page);
    await go(page, 'Admin');
    await expect(page.locator('select[name=currency]')).toHaveValue('EUR');
    await page.locator('select[name=currency]').selectOption('USD');
    await go(page, 'Till');
    await expect(page.locator('.product-tile', { hasText: 'Espresso' })).toContainText('$2.50');
    // Japanese yen have no minor unit: the same stored integer is ¥250, and input has no decimals.
    await go(page, 'Admin');
    await page.locator('select[name=currency]').selectOption('JPY');
    await go(page, 'Products');
    await expect(page.getByRole('row', { name: /Espresso/ })).toContainText('¥250');
    await page.locator('input[name=name]').pressSequentially('Mochi');
    await page.locator('input[name=price]').pressSequentially('1.5');
    await page.getByRole('button', { name: 'Add product' }).click();
    await expect(page.getByText('Enter an amount like 250')).toBeVisible();
    await typeInto(page.locator('input[name=price]'), '180');
    await page.getByRole('button', { name: 'Add product' }).click();
    await expect(page.getByRole('row', { name: /Mochi/ })).toContainText('¥180');
    await go(page, 'Admin');
    await page.locator('select[name=currency]').selectOption('EUR');
    await go(page, 'Till');
    await expect(page.locator('.product-tile', { hasText: 'Mochi' })).toContainText('€1.80');

    // Auto-lock: the shortest choice, a minute without use, locks this tab; it survives a reload.
    // The worker's clock for it runs AUTO_LOCK_SPEEDUP times faster from the reload on (the test
    // build's hook, examples/pos/src/test-hooks.ts): the minute is 6 s, and the bounds scale with it.
    await go(page, 'Admin');
    await page.locator('select[name=autolock]').selectOption({ label: '1 minute' });
    // The select shows what the database holds (a live query): 60000 once the setting is
    // committed. A reload before that would end the worker with the write in flight.
    await expect(page.locator('select[name=autolock]')).toHaveValue('60000');
    await b.context.addInitScript((speedup) => Object.assign(window, { __CIPHERLITE_POS_TEST_AUTOLOCK_SPEEDUP__: speedup }), AUTO_LOCK_SPEEDUP);
    await page.reload();
    await unlock(page);
    await expect(page.locator('select[name=autolock]')).toHaveValue('60000');
    const start = Date.now();
    await expect(page.getByRole('heading', { name: 'Till locked' })).toBeVisible({ timeout: 90_000 / AUTO_LOCK_SPEEDUP });
    expect(Date.now() - start).toBeGreaterThan(50_000 / AUTO_LOCK_SPEEDUP);
  });
});

test('add-product form: a stale "already exists" goes once the name changes; an error does not move the fields', async ({ withPos }) => {
  await withPos(async (b) => {
    const page = await b.open('till');
    await createStore(page);
    await stock(page);
    const price = page.locator('input[name=price]');
    const before = (await price.boundingBox())!;
    await page.getByRole('button', { name: 'Add product' }).click();
    await expect(page.getByText('Enter an amount like 2.50')).toBeVisible();
    const after = (await price.boundingBox())!;
    expect(after.y).toBeCloseTo(before.y, 0);
    const button = (await page.getByRole('button', { name: 'Add product' }).boundingBox())!;
    expect(button.y).toBeCloseTo(before.y, 0); // the button stays in line with the inputs

    await page.locator('input[name=name]').pressSequentially('espresso');
    await price.pressSequentially('1');
    await page.getByRole('button', { name: 'Add product' }).click();
    await expect(page.getByRole('alert')).toHaveText('A product with this name already exists.');
    await page.locator('input[name=name]').pressSequentially(' tonic');
    await expect(page.getByText('A product with this name already exists.')).toHaveCount(0);
  });
});
