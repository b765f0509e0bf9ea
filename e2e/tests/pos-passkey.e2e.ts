/**
 * The point-of-sale example with a passkey: Admin → add a passkey (a CDP virtual platform
 * authenticator with PRF), the unlock screen offers "Unlock with fingerprint / passkey" after a
 * reload, after the lock button and offline (from the service worker's precache), Admin → remove
 * it, and the button is gone; the password always works. Every Admin card that asks for the current password takes the passkey instead.
 * Served as localhost: a WebAuthn relying-party id must be a domain.
 */
import { expect } from '@playwright/test';
import type { Locator } from '@playwright/test';
import { addProduct, createStore, go, PASSWORD, POS_PORT, ringUp, shot, test, unlock, waitForServiceWorker } from './pos-helpers.ts';
import { engineOf, forwardLogs } from './fixtures.ts';
import { VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM, addAuthenticator } from './webauthn.ts';

const LOCALHOST_URL = `http://localhost:${POS_PORT}/`;
const PASSKEY_BUTTON = { name: 'Unlock with fingerprint / passkey' };

test('Admin adds a passkey → unlock with it after a reload, after Lock and offline → Admin removes it → password only', async ({ launchPos }) => {
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

    // Offline: the page's passkey code is a chunk loaded on first use (passkeySlots on the unlock
    // screen, then the ceremony); the service worker's precache serves it like the rest.
    await waitForServiceWorker(page);
    await b.context.setOffline(true);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Unlock the till' })).toBeVisible();
    await page.getByRole('button', PASSKEY_BUTTON).click();
    await expect(page.getByRole('link', { name: 'Admin' })).toBeVisible({ timeout: 30_000 });
    await b.context.setOffline(false);

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

test('every Admin key card takes the passkey instead of the password: recovery key, add and remove a passkey, backup, restore check and confirm, password change', async ({ launchPos }) => {
  test.skip(engineOf(test.info().project.name) === 'firefox', VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM);
  const b = await launchPos();
  try {
    const page = await b.context.newPage();
    forwardLogs(page, 'till');
    await page.goto(LOCALHOST_URL);
    await addAuthenticator(page);
    await createStore(page);
    await go(page, 'Products');
    await addProduct(page, 'Espresso', '2.50');
    await go(page, 'Admin');
    const USE_PASSKEY = 'Use passkey instead of the password';
    // No passkey slot yet: no card offers one.
    await expect(page.getByLabel(USE_PASSKEY)).toHaveCount(0);
    const passkeys = page.locator('#passkeys');
    await passkeys.locator('input[name=passkey-password]').fill(PASSWORD);
    await passkeys.locator('input[name=passkey-name]').fill('Front counter');
    await passkeys.getByRole('button', { name: 'Add passkey' }).click();
    await expect(passkeys.getByText('Passkey added.')).toBeVisible({ timeout: 30_000 });
    const usePasskey = (card: Locator) => card.getByLabel(USE_PASSKEY).check();
    const storage = page.locator('#storage');

    // Recovery key: made, then replaced (the replacement asks for the passkey once).
    const recovery = page.locator('#recovery');
    for (const action of ['Create recovery key', 'Replace recovery key']) {
      await usePasskey(recovery);
      await expect(recovery.locator('input[name=recovery-password]')).toHaveCount(0);
      await recovery.getByRole('button', { name: action }).click();
      await expect(recovery.getByTestId('recovery-key')).toHaveText(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$/, { timeout: 30_000 });
      await recovery.getByRole('button', { name: 'I wrote it down' }).click();
      await expect(storage).toContainText('password, passkey, recovery (3 of 4)');
    }

    // Passkeys: a second one added, proved by the first; removed again, proved by the other one.
    await usePasskey(passkeys);
    await passkeys.locator('input[name=passkey-name]').fill('Back office');
    await passkeys.getByRole('button', { name: 'Add passkey' }).click();
    await expect(passkeys.getByText('Passkey added.')).toBeVisible({ timeout: 30_000 });
    await expect(storage).toContainText('password, passkey, recovery, passkey (4 of 4)');
    await passkeys.getByRole('button', { name: 'Remove Back office' }).click();
    await expect(passkeys.getByText('Passkey removed.')).toBeVisible({ timeout: 30_000 });
    await expect(passkeys.getByText(/Back office/)).toHaveCount(0);
    await expect(storage).toContainText('password, passkey, recovery (3 of 4)');
    // The only passkey cannot prove its own removal.
    await passkeys.getByRole('button', { name: 'Remove Front counter' }).click();
    await expect(passkeys.getByRole('alert')).toHaveText('No other passkey can prove this: a passkey cannot prove its own removal. Use the password.');
    await expect(storage).toContainText('password, passkey, recovery (3 of 4)');

    // A backup under the passkey (no sale in it), then a sale, then the backup restored.
    const backupCard = page.locator('#backup');
    await usePasskey(backupCard);
    const backup = await b.download(page, () => backupCard.getByRole('button', { name: 'Download backup' }).click());
    await expect(backupCard.getByRole('status')).toContainText('Backup downloaded');
    await go(page, 'Till');
    await ringUp(page, ['Espresso'], 'exact');
    await go(page, 'Admin');
    const restore = page.locator('#restore');
    await restore.locator('input[name=backup-file]').setInputFiles({ name: 'b.cipherlite', mimeType: 'application/octet-stream', buffer: backup.bytes });
    await usePasskey(restore);
    await restore.getByRole('button', { name: 'Check backup' }).click();
    const compare = page.getByRole('region', { name: 'Restore comparison' });
    await expect(compare).toBeVisible({ timeout: 30_000 });
    await usePasskey(compare);
    await compare.getByRole('button', { name: 'Replace all data with this backup' }).click();
    await expect(restore.getByRole('status')).toContainText('Backup restored', { timeout: 30_000 });
    await go(page, 'Orders');
    await expect(page.getByTestId('kpi-orders')).toHaveText('0');

    // The password changed with the passkey as proof: the old password no longer opens the till,
    // the new one does, and the passkey still does.
    await go(page, 'Admin');
    const NEW_PASSWORD = 'new-kettle-42-saffron';
    const passwordCard = page.locator('#password');
    await usePasskey(passwordCard);
    await passwordCard.locator('input[name=next-password]').fill(NEW_PASSWORD);
    await passwordCard.locator('input[name=confirm-next-password]').fill(NEW_PASSWORD);
    await passwordCard.getByRole('button', { name: 'Change password' }).click();
    await expect(passwordCard.getByRole('status')).toContainText('Password changed', { timeout: 30_000 });
    await page.reload();
    await unlock(page, PASSWORD);
    await expect(page.getByRole('alert')).toHaveText('Wrong password.');
    await unlock(page, NEW_PASSWORD);
    await expect(page.getByRole('link', { name: 'Till' })).toBeVisible({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.getByRole('button', PASSKEY_BUTTON).click();
    await expect(page.getByRole('link', { name: 'Admin' })).toBeVisible({ timeout: 30_000 });
  } finally {
    await b.close();
  }
});
