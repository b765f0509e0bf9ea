/**
 * The point-of-sale example with a passkey: Admin → add a passkey (a CDP virtual platform
 * authenticator with PRF), the unlock screen offers "Unlock with fingerprint / passkey" after a
 * reload and after the lock button, Admin → remove it, and the button is gone; the password
 * always works. Served as localhost: a WebAuthn relying-party id must be a domain.
 */
import { expect } from '@playwright/test';
import { createStore, go, PASSWORD, POS_PORT, shot, test } from './pos-helpers.ts';
import { engineOf, forwardLogs } from './fixtures.ts';
import { VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM, addAuthenticator } from './webauthn.ts';

const LOCALHOST_URL = `http://localhost:${POS_PORT}/`;
const PASSKEY_BUTTON = { name: 'Unlock with fingerprint / passkey' };

test('Admin adds a passkey → unlock with it after a reload and after Lock → Admin removes it → password only', async ({ launchPos }) => {
  test.skip(engineOf(test.info().project.name) === 'firefox', VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM);
  const b = await launchPos();
  try {
    const page = await b.context.newPage();
    forwardLogs(page, 'till');
    await page.goto(LOCALHOST_URL);
    await addAuthenticator(page);
    await createStore(page);

    await go(page, 'Admin');
    const card = page.locator('#passkeys');
    await expect(card.getByText('No passkey yet.')).toBeVisible();
    await card.locator('input[name=passkey-password]').fill(PASSWORD);
    await card.locator('input[name=passkey-name]').fill('Front counter');
    await card.getByRole('button', { name: 'Add passkey' }).click();
    await expect(card.getByText('Passkey added.')).toBeVisible({ timeout: 30_000 });
    await expect(card.getByText(/Front counter · added/)).toBeVisible();
    await shot(page, '20-admin-passkey-added');

    await page.reload();
    await expect(page.getByRole('heading', { name: 'Unlock the till' })).toBeVisible();
    await page.getByRole('button', PASSKEY_BUTTON).click();
    await expect(page.getByRole('link', { name: 'Till' })).toBeVisible({ timeout: 30_000 });

    await page.getByRole('button', { name: 'Lock' }).click();
    await expect(page.getByRole('heading', { name: 'Till locked' })).toBeVisible();
    await page.getByRole('button', PASSKEY_BUTTON).click();
    await expect(page.getByRole('link', { name: 'Admin' })).toBeVisible({ timeout: 30_000 });

    await go(page, 'Admin');
    await card.locator('input[name=passkey-password]').fill(PASSWORD);
    await card.getByRole('button', { name: 'Remove' }).click();
    await expect(card.getByText('Passkey removed.')).toBeVisible({ timeout: 30_000 });
    await expect(card.getByText('No passkey yet.')).toBeVisible();

    await page.reload();
    await expect(page.getByRole('heading', { name: 'Unlock the till' })).toBeVisible();
    await expect(page.getByRole('button', PASSKEY_BUTTON)).toHaveCount(0);
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await expect(page.getByRole('link', { name: 'Till' })).toBeVisible({ timeout: 30_000 });
  } finally {
    await b.close();
  }
});
