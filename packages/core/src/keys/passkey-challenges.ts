/**
 * `passkeyChallenges`: which credentials and salts to ask an authenticator for, read from a
 * database file's public header with no key. Kept apart from passkey.ts (which changes keyslots
 * of an open `Database`) so that the page can read them without loading SQLite: this module and
 * everything it imports are free of `@sqlite.org/sqlite-wasm` (`@cipherlite/core/header`).
 */
import { CipherliteError } from '../errors.js';
import { scanMainHeader, type MainHeader } from '../format/main-header.js';

/** What to ask an authenticator for, to unlock: one entry per passkey slot. Public data. */
export interface PasskeyChallenge {
  credentialId: Uint8Array;
  salt: Uint8Array;
  label: string;
}

/**
 * The passkey slots of a database file, read from its first `MAIN_HEADER_SIZE` bytes without
 * any key (both intact header copies, so a passkey added by a crashed update is still offered).
 * NOT_A_DATABASE when the bytes are no cipherlite database; NO_PASSKEY when it has no passkey slot.
 */
export function passkeyChallenges(head: Uint8Array): PasskeyChallenge[] {
  const scan = scanMainHeader(head);
  if (scan.kind !== 'container' || scan.problem !== null) {
    throw new CipherliteError('NOT_A_DATABASE', scan.kind === 'container' ? scan.problem! : 'not a cipherlite database');
  }
  return headerChallenges(scan.valid.map((copy) => copy.header));
}

/** The passkey slots of header copies (each credential and salt once); NO_PASSKEY when there is none. */
export function headerChallenges(headers: readonly Pick<MainHeader, 'keyslots'>[]): PasskeyChallenge[] {
  const seen = new Set<string>();
  const out: PasskeyChallenge[] = [];
  for (const header of headers) {
    for (const slot of header.keyslots) {
      if (!slot.passkey) continue;
      const id = `${Array.from(slot.passkey.credentialId).join(',')}/${Array.from(slot.salt).join(',')}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ credentialId: slot.passkey.credentialId.slice(), salt: slot.salt.slice(), label: slot.passkey.label });
    }
  }
  if (out.length === 0) throw new CipherliteError('NO_PASSKEY', 'this database has no passkey keyslot; unlock with the password and add one');
  return out;
}
