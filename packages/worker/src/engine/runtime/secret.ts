/**
 * Key material held by a tab's worker while it is unlocked.
 *
 * Why keep it at all: when the leader tab closes, a follower must open the database itself
 * without asking the user again (docs/DESIGN.md, "Browser specifics"). Held as bytes (a password as
 * its NFC-normalized UTF-8, encoded once when it arrives) so `wipe()` can overwrite it: JS strings
 * are immutable and linger until collected. Core takes passwords as those bytes too, so the worker
 * never turns a password back into a string; each core call gets a copy that is wiped after it.
 * Wiping in JS is best effort: engines may have copied bytes (GC moves, structured clone).
 */
import { CipherliteError } from '@cipherlite/core';
import type { KeyMaterial } from '@cipherlite/core';
import { encodePassword, keyMaterialKind, type KeyMaterialKind } from '@cipherlite/core/internal';

/** The same kind names as core's key material (one validator: core's `keyMaterialKind`). */
type Kind = KeyMaterialKind;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Secret {
  readonly #kind: Kind;
  readonly #bytes: Uint8Array;
  /** Passkeys: the credential the PRF output (`#bytes`) belongs to (public). */
  readonly #credentialId: Uint8Array | null;
  #wiped = false;

  private constructor(kind: Kind, bytes: Uint8Array, credentialId: Uint8Array | null = null) {
    this.#kind = kind;
    this.#bytes = bytes;
    this.#credentialId = credentialId;
  }

  /** Copies `km` into a new secret; validates its shape with core's check (`INVALID_ARGUMENT`). */
  static from(km: KeyMaterial): Secret {
    switch (keyMaterialKind(km)) {
      case 'password':
        return new Secret('password', encodePassword(km.password!));
      case 'key':
        return new Secret('key', km.key!.slice());
      case 'recoveryKey':
        return new Secret('recoveryKey', encoder.encode(km.recoveryKey));
      case 'passkey':
        return new Secret('passkey', km.passkey!.prfOutput.slice(), km.passkey!.credentialId.slice());
    }
  }

  get wiped(): boolean {
    return this.#wiped;
  }

  /** A fresh `KeyMaterial` for one core call. The caller must not keep it. */
  toKeyMaterial(): KeyMaterial {
    if (this.#wiped) throw new CipherliteError('LOCKED', 'the database is locked; unlock it first');
    switch (this.#kind) {
      case 'password':
        return { password: this.#bytes.slice() };
      case 'key':
        return { key: this.#bytes.slice() };
      case 'recoveryKey':
        return { recoveryKey: decoder.decode(this.#bytes) };
      case 'passkey':
        return { passkey: { credentialId: this.#credentialId!.slice(), prfOutput: this.#bytes.slice() } };
    }
  }

  /** Overwrites the bytes with zeros (docs/DESIGN.md "Keys": `fill(0)` on lock/close). */
  wipe(): void {
    this.#bytes.fill(0);
    this.#wiped = true;
  }
}

/** Wipes the bytes of a `KeyMaterial` (raw key, password bytes, PRF output) once core is done with it. */
export function wipeKeyMaterial(km: KeyMaterial): void {
  // Also called on what arrived from the wire before it was validated: any shape may come.
  if (typeof km !== 'object' || km === null) return;
  if (km.key instanceof Uint8Array) km.key.fill(0);
  if (km.password instanceof Uint8Array) km.password.fill(0);
  const passkey = km.passkey as { prfOutput?: unknown } | undefined;
  if (passkey?.prfOutput instanceof Uint8Array) passkey.prfOutput.fill(0);
}

/**
 * `km` with a password string replaced by its NFC-normalized UTF-8 bytes, the form core takes
 * and the worker can wipe (the string the page sent cannot be; it is dropped here). Any other
 * value is returned as it is (core validates it).
 */
export function passwordAsBytes<T>(km: T): T {
  if (typeof km !== 'object' || km === null) return km;
  const password = (km as { password?: unknown }).password;
  if (typeof password !== 'string') return km;
  return { ...km, password: encodePassword(password) };
}
