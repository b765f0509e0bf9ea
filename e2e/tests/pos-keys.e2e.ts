/**
 * Key custody in the point-of-sale example: undoing a restore from the on-device backup history
 * (download and restore of a history entry, through the same validated compare-and-confirm flow),
 * and the recovery key (made in Admin, shown once; used to set a new password when the old one
 * is forgotten, after which neither the old password nor the used recovery key opens the till).
 */
import { expect } from '@playwright/test';
import { MIN_KDF } from '@cipherlite/core';
import { addProduct, createStore, go, PASSWORD, ringUp, shot, typeInto, unlock, test } from './pos-helpers.ts';
import type { Page } from '@playwright/test';
import type { PosBrowser } from './pos-helpers.ts';
import { engineOf } from './fixtures.ts';

const kpiOrders = (page: Page) => page.getByTestId('kpi-orders');

async function downloadBackup(b: PosBrowser, page: Page, password = PASSWORD): Promise<Buffer> {
  await page.locator('input[name=backup-password]').pressSequentially(password);
  return (await b.download(page, () => page.getByRole('button', { name: 'Download backup' }).click())).bytes;
}

async function confirmRestore(page: Page, password = PASSWORD): Promise<void> {
  const compare = page.getByRole('region', { name: 'Restore comparison' });
  await compare.locator('input[name=restore-current-password]').pressSequentially(password);
  await compare.getByRole('button', { name: 'Replace all data with this backup' }).click();
  await expect(page.locator('#restore').getByRole('status')).toContainText('Backup restored');
}

test('undo a restore: a history entry downloads, and restores through the checked comparison', async ({ withPos }) => {
  await withPos(async (b) => {
    const page = await b.open('admin');
    await createStore(page);
    await go(page, 'Products');
    await addProduct(page, 'Espresso', '2.50');
    await go(page, 'Till');
    await ringUp(page, ['Espresso'], 'exact');
    await go(page, 'Admin');
    // The test build's hook gave this till the library's minimum KDF (launchPos; pos-app keeps the default).
    await expect(page.locator('#storage')).toContainText(`Argon2id · ${MIN_KDF.memoryKiB / 1024} MiB · ${MIN_KDF.iterations} passes`);
    const backup = await downloadBackup(b, page); // 1 sale

    await go(page, 'Till');
    await ringUp(page, ['Espresso'], 'exact');
    await ringUp(page, ['Espresso'], 'exact');
    await go(page, 'Admin');
    const restore = page.locator('#restore');
    await restore.locator('input[name=backup-file]').setInputFiles({ name: 'b.cipherlite', mimeType: 'application/octet-stream', buffer: backup });
    await restore.locator('input[name=restore-backup-password]').pressSequentially(PASSWORD);
    await restore.getByRole('button', { name: 'Check backup' }).click();
    await confirmRestore(page);
    await go(page, 'Orders');
    await expect(kpiOrders(page)).toHaveText('1');

    // The restore was a mistake: the history holds the 3-sale state saved just before it.
    await go(page, 'Admin');
    const history = page.getByRole('list', { name: 'Backup history' });
    await expect(history.getByRole('listitem')).toHaveCount(1);
    const saved = await b.download(page, () => history.getByRole('button', { name: /^Download the backup of / }).click());
    expect(saved.name).toMatch(/^till-backup-.*\.cipherlite$/);
    const savedBytes = saved.bytes;
    expect(savedBytes.subarray(0, 16).toString('latin1')).not.toContain('SQLite format 3'); // encrypted, not plaintext

    await history.getByRole('button', { name: /^Restore the backup of / }).click();
    await expect(restore).toContainText('From the history:');
    await expect(restore.locator('input[name=restore-backup-password]')).toBeFocused();
    // Same validation as an uploaded file: a wrong password is refused and nothing changes.
    await restore.locator('input[name=restore-backup-password]').pressSequentially('not the password');
    await restore.getByRole('button', { name: 'Check backup' }).click();
    await expect(restore.getByRole('alert')).toHaveText(/^This password does not open the backup/);
    await typeInto(restore.locator('input[name=restore-backup-password]'), PASSWORD);
    await restore.getByRole('button', { name: 'Check backup' }).click();
    const compare = page.getByRole('region', { name: 'Restore comparison' });
    await expect(compare).toContainText('The backup saved on');
    await expect(compare.getByRole('row', { name: /^sale 1 3$/ })).toBeVisible();
    await shot(page, 'tablet-14-restore-from-history');
    await confirmRestore(page);
    await go(page, 'Orders');
    await expect(kpiOrders(page)).toHaveText('3');

    // The downloaded history entry is a backup like any other: it restores from a file as well.
    await go(page, 'Admin');
    await expect(page.getByRole('list', { name: 'Backup history' }).getByRole('listitem')).toHaveCount(2);
    await restore.locator('input[name=backup-file]').setInputFiles({ name: 'saved.cipherlite', mimeType: 'application/octet-stream', buffer: savedBytes });
    await restore.locator('input[name=restore-backup-password]').pressSequentially(PASSWORD);
    await restore.getByRole('button', { name: 'Check backup' }).click();
    await expect(compare.getByRole('row', { name: /^sale 3 3$/ })).toBeVisible();
    await restore.getByRole('button', { name: 'Cancel' }).click();
  });
});

test('recovery key: made once in Admin, opens the till when the password is forgotten, then a new password and a new key', async ({ withPos }) => {
  await withPos(async (b) => {
    const page = await b.open('admin');
    await createStore(page);
    await go(page, 'Products');
    await addProduct(page, 'Espresso', '2.50');
    await go(page, 'Admin');
    const card = page.locator('#recovery');
    await expect(card.getByTestId('recovery-status')).toContainText('No recovery key yet');
    await card.locator('input[name=recovery-password]').pressSequentially('wrong password');
    await card.getByRole('button', { name: 'Create recovery key' }).click();
    await expect(card.getByRole('alert')).toHaveText('The password is wrong.');
    await typeInto(card.locator('input[name=recovery-password]'), PASSWORD);
    await card.getByRole('button', { name: 'Create recovery key' }).click();
    const recoveryKey = (await card.getByTestId('recovery-key').textContent())!;
    expect(recoveryKey).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$/);
    // Chromium's clipboard needs the permission; Firefox has no such permission names (its
    // clipboard reads are allowed by the launch's test preference, see launchPos).
    if (engineOf(test.info().project.name) === 'chromium') await b.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await card.getByRole('button', { name: 'Copy' }).click();
    await expect(card.getByRole('status')).toContainText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(recoveryKey);
    await card.getByRole('button', { name: 'I wrote it down' }).click();
    // Shown once: gone from the page, and only its keyslot's public facts remain.
    await expect(page.getByText(recoveryKey)).toHaveCount(0);
    await expect(card.getByTestId('recovery-status')).toContainText('A recovery key exists');
    await expect(page.locator('#storage')).toContainText('password, recovery (2 of 4)');

    // The password is forgotten.
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Unlock the till' })).toBeVisible();
    await page.getByRole('button', { name: 'Forgot the password? Use the recovery key' }).click();
    const NEW_PASSWORD = 'new-kettle-42-saffron';
    const fillRecovery = async (key: string) => {
      await typeInto(page.locator('input[name=recovery-key]'), key);
      await typeInto(page.locator('input[name=new-password]'), NEW_PASSWORD);
      await typeInto(page.locator('input[name=confirm-password]'), NEW_PASSWORD);
      await page.getByRole('button', { name: 'Set new password' }).click();
    };
    // One character changed: refused (WRONG_KEY), nothing changes.
    const typo = recoveryKey.slice(0, -1) + (recoveryKey.endsWith('A') ? 'B' : 'A');
    await fillRecovery(typo);
    await expect(page.getByRole('alert')).toHaveText('This recovery key does not open the till. Check it for typing mistakes.');
    await fillRecovery(recoveryKey.toLowerCase());
    await expect(page.getByRole('heading', { name: 'New password set' })).toBeVisible({ timeout: 60_000 });
    const replacement = (await page.getByTestId('recovery-key').textContent())!;
    expect(replacement).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$/);
    expect(replacement).not.toBe(recoveryKey);
    await shot(page, 'tablet-15-recovery-new-key');
    await page.getByRole('button', { name: 'I kept it — open the till' }).click();
    await go(page, 'Till');
    await expect(page.locator('.product-tile', { hasText: 'Espresso' })).toBeVisible();
    await go(page, 'Admin');
    // One password slot (the new one) and one recovery slot (the replacement).
    await expect(page.locator('#storage')).toContainText('password, recovery (2 of 4)');

    // Neither the old password nor the used recovery key opens it any more; the new ones do.
    await page.reload();
    await unlock(page, PASSWORD);
    await expect(page.getByRole('alert')).toHaveText('Wrong password.');
    await page.getByRole('button', { name: 'Forgot the password? Use the recovery key' }).click();
    await fillRecovery(recoveryKey);
    await expect(page.getByRole('alert')).toHaveText('This recovery key does not open the till. Check it for typing mistakes.');
    await page.getByRole('button', { name: 'Back to the password' }).click();
    await unlock(page, NEW_PASSWORD);
    await expect(page.locator('#storage')).toContainText('password, recovery (2 of 4)');

    // From the lock screen too (this tab's database handle stays open): the replacement works,
    // even when the new password typed is the one already set.
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.getByRole('button', { name: 'Forgot the password? Use the recovery key' }).click();
    await fillRecovery(replacement);
    await expect(page.getByRole('heading', { name: 'New password set' })).toBeVisible({ timeout: 60_000 });
    await page.getByRole('button', { name: 'I kept it — open the till' }).click();
    await expect(page.locator('#storage')).toContainText('password, recovery (2 of 4)');
  });
});
