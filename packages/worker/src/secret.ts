/**
 * Key material held by a tab's worker while it is unlocked.
 *
 * Why keep it at all: when the leader tab closes, a follower must open the database itself
 * without asking the user again (docs/DESIGN.md, "Browser specifics"). Held as bytes (a password as
 * UTF-8) so `wipe()` can overwrite it: JS strings are immutable and linger until collected, so
 * a password string exists only for the duration of one core call (`toKeyMaterial`).
 * Wiping in JS is best effort: engines may have copied bytes (GC moves, structured clone).
 */
import { CipherliteError } from '@cipherlite/core';
import type { KeyMaterial } from '@cipherlite/core';

type Kind = 'password' | 'key' | 'recoveryKey' | 'passkey';

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

  /** Copies `km` into a new secret; validates its shape (`INVALID_ARGUMENT`). */
  static from(km: KeyMaterial): Secret {
    if (typeof km !== 'object' || km === null) {
      throw new CipherliteError('INVALID_ARGUMENT', 'expected key material { password } | { key } | { recoveryKey } | { passkey }');
    }
    const given = (['password', 'key', 'recoveryKey', 'passkey'] as const).filter((k) => km[k] !== undefined);
    if (given.length !== 1) {
      throw new CipherliteError('INVALID_ARGUMENT', `expected exactly one of password, key, recoveryKey, passkey; got ${given.length}`);
    }
    const { password, key, recoveryKey, passkey } = km as { password?: unknown; key?: unknown; recoveryKey?: unknown; passkey?: { credentialId?: unknown; prfOutput?: unknown } };
    if (passkey !== undefined) {
      const { credentialId, prfOutput } = (passkey ?? {}) as { credentialId?: unknown; prfOutput?: unknown };
      if (!(credentialId instanceof Uint8Array) || !(prfOutput instanceof Uint8Array) || prfOutput.length !== 32) {
        throw new CipherliteError('INVALID_ARGUMENT', 'expected passkey to be { credentialId: Uint8Array, prfOutput: Uint8Array of length 32 }');
      }
      return new Secret('passkey', prfOutput.slice(), credentialId.slice());
    }
    if (password !== undefined) {
      if (typeof password !== 'string') throw new CipherliteError('INVALID_ARGUMENT', `expected password to be a string, got ${typeof password}`);
      return new Secret('password', encoder.encode(password));
    }
    if (key !== undefined) {
      if (!(key instanceof Uint8Array) || key.length !== 32) {
        throw new CipherliteError('INVALID_ARGUMENT', `expected key to be a Uint8Array of length 32, got ${key instanceof Uint8Array ? `length=${key.length}` : typeof key}`);
      }
      return new Secret('key', key.slice());
    }
    if (typeof recoveryKey !== 'string') throw new CipherliteError('INVALID_ARGUMENT', `expected recoveryKey to be a string, got ${typeof recoveryKey}`);
    return new Secret('recoveryKey', encoder.encode(recoveryKey));
  }

  get wiped(): boolean {
    return this.#wiped;
  }

  /** A fresh `KeyMaterial` for one core call. The caller must not keep it. */
  toKeyMaterial(): KeyMaterial {
    if (this.#wiped) throw new CipherliteError('LOCKED', 'the database is locked; unlock it first');
    switch (this.#kind) {
      case 'password':
        return { password: decoder.decode(this.#bytes) };
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

/** Wipes the raw key of a `KeyMaterial` this module handed out, once core is done with it. */
export function wipeKeyMaterial(km: KeyMaterial): void {
  // Also called on what arrived from the wire before it was validated: any shape may come.
  if (typeof km !== 'object' || km === null) return;
  if (km.key instanceof Uint8Array) km.key.fill(0);
  const passkey = km.passkey as { prfOutput?: unknown } | undefined;
  if (passkey?.prfOutput instanceof Uint8Array) passkey.prfOutput.fill(0);
}
