/**
 * The app of docs/GUIDE.md (examples/notes), walked as its user would: choose a password, keep the
 * recovery key, write a note, lock (no note on screen), a wrong password refused, unlock with the
 * recovery key, auto-lock after idle time, download a backup (ciphertext only), and after a reload
 * the unlock screen opens the same notes. Minimum Argon2id and an 8 s auto-lock through the
 * example's test-build hooks (examples/notes/src/test-hooks.ts).
 */
import { MIN_KDF } from '@cipherlite/core';
import { NOTES_PORT } from './env.ts';
import { expect, forwardLogs, test } from './fixtures.ts';

const URL = `http://127.0.0.1:${NOTES_PORT}/`;
const PASSWORD = 'a long notes password';
const NOTE = 'Buy oat milk and call Ada';

test('the guide app: create, recovery key, lock, auto-lock, backup, reopen', async ({ session }) => {
  const { context } = await session(URL);
  await context.addInitScript((kdf) => Object.assign(window, { __CIPHERLITE_NOTES_TEST_KDF__: kdf, __CIPHERLITE_NOTES_TEST_AUTO_LOCK_MS__: 8_000 }), MIN_KDF);
  const page = await context.newPage();
  forwardLogs(page, 'notes');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(URL);

  // First start: a new password, typed twice; then the recovery key, shown once.
  await expect(page.getByRole('heading', { name: 'Choose a password' })).toBeVisible();
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create' }).click();
  const recoveryKey = (await page.getByTestId('recovery-key').textContent()) ?? '';
  expect(recoveryKey).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$/);
  await page.getByRole('button', { name: 'I have written it down' }).click();

  // A note through useMutation, shown by the live query.
  await page.getByLabel('New note').fill(NOTE);
  await page.getByRole('button', { name: 'Add' }).click();
  await expect(page.getByRole('list', { name: 'Notes' })).toContainText(NOTE);

  // Lock: the lock screen, no note on the page; a wrong password is refused.
  await page.getByRole('button', { name: 'Lock' }).click();
  await expect(page.getByRole('heading', { name: 'Notes are locked' })).toBeVisible();
  await expect(page.locator('body')).not.toContainText(NOTE);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('alert')).toHaveText('That password does not open these notes.');

  // The recovery key opens it.
  await page.getByRole('button', { name: 'Forgot the password? Use the recovery key' }).click();
  await page.getByLabel('Recovery key').fill(recoveryKey);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('list', { name: 'Notes' })).toContainText(NOTE);

  // Auto-lock: nothing touches the database for 8 s.
  await expect(page.getByRole('heading', { name: 'Notes are locked' })).toBeVisible({ timeout: 25_000 });
  await expect(page.locator('body')).not.toContainText(NOTE);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('list', { name: 'Notes' })).toContainText(NOTE);

  // Backup: a downloaded file of ciphertext (no SQLite header, no note text).
  await page
    .locator('form', { has: page.getByRole('heading', { name: 'Backup' }) })
    .getByLabel('Password')
    .fill(PASSWORD);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download backup' }).click()]);
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  expect(download.suggestedFilename()).toMatch(/^notes-\d{4}-\d{2}-\d{2}\.cipherlite$/);
  expect(bytes.length).toBeGreaterThanOrEqual(8192);
  expect(bytes.includes('SQLite format 3')).toBe(false);
  expect(bytes.includes(NOTE)).toBe(false);
  await expect(page.getByRole('status')).toHaveText('Backup downloaded.');

  // A reload: the database exists, so the unlock screen; the password opens the same notes.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Unlock your notes' })).toBeVisible();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('list', { name: 'Notes' })).toContainText(NOTE);
  expect(errors).toEqual([]);
});
