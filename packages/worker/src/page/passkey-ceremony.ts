/**
 * The WebAuthn ceremonies of a passkey keyslot, on the main thread (WebAuthn is not available
 * in workers, and it needs a page the user is looking at).
 *
 * Registration creates a credential and asks for its PRF output (the `prf` extension, WebAuthn
 * Level 3 §10.1.4) on a random salt. Browsers that evaluate the PRF at create return it
 * directly; others only report `enabled`, so a get() with the new credential follows. Unlocking
 * asks for an assertion from one of the database's credentials (`allowCredentials`), each with
 * its own slot salt (`evalByCredential`). Either way the result is a credential id and a 32-byte
 * PRF output that the caller transfers to the worker at once; the copies here are wiped.
 *
 * User verification is required: the PRF output must not be obtainable by anyone holding the
 * device without its fingerprint/PIN.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import { PRF_OUTPUT_SIZE } from '@cipherlite/core/header';
import type { PasskeyAssertion, PasskeyCeremonyOptions } from '@cipherlite/core';
import type { PasskeyChallenge } from '@cipherlite/core/keys';

export interface PasskeyRegistration extends PasskeyCeremonyOptions {
  /** The account name the authenticator shows (e.g. the cashier's login). */
  userName: string;
  /** The relying party's display name (default: the rpId or host). */
  rpName?: string;
}

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** The credential id form of `KeyslotInfo.credentialId` and of `evalByCredential`'s keys. */
export function base64url(b: Uint8Array): string {
  let bin = '';
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function buffer(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

function assertWebAuthn(): void {
  if (typeof PublicKeyCredential !== 'function' || typeof navigator.credentials?.get !== 'function') {
    throw new CipherliteError('UNSUPPORTED', 'WebAuthn is not available here (it needs a secure context: https or localhost); use the password');
  }
}

/** WebAuthn's DOMExceptions as our codes; what the browser said stays in the message. */
function ceremonyError(e: unknown): CipherliteError {
  if (e instanceof CipherliteError) return e;
  const name = e instanceof DOMException ? e.name : 'Error';
  if (name === 'NotAllowedError' || name === 'AbortError') {
    // Browsers report "no matching credential" like a dismissal, on purpose (no probing).
    return new CipherliteError('CANCELLED', "the passkey prompt was dismissed or timed out, or this device holds none of the database's passkeys", {}, { cause: e });
  }
  if (name === 'InvalidStateError') return new CipherliteError('INVALID_ARGUMENT', 'this authenticator already holds a credential that was excluded', {}, { cause: e });
  if (name === 'SecurityError') {
    return new CipherliteError(
      'UNSUPPORTED',
      `this page cannot use passkeys for this relying-party id (WebAuthn needs https or localhost and an rpId that is the page's domain; ${name})`,
      {},
      { cause: e },
    );
  }
  return new CipherliteError('UNSUPPORTED', `the passkey ceremony failed (${name})`, {}, { cause: e });
}

function prfResult(credential: PublicKeyCredential): Uint8Array | null {
  const first = credential.getClientExtensionResults().prf?.results?.first;
  if (!first) return null;
  const view = ArrayBuffer.isView(first) ? new Uint8Array(first.buffer, first.byteOffset, first.byteLength) : new Uint8Array(first);
  if (view.length !== PRF_OUTPUT_SIZE) throw new CipherliteError('UNSUPPORTED', `the authenticator returned a PRF output of ${view.length} bytes, expected ${PRF_OUTPUT_SIZE}`);
  const out = view.slice();
  view.fill(0);
  return out;
}

const noPrf = () => new CipherliteError('UNSUPPORTED', 'this browser or authenticator does not support the WebAuthn PRF extension, so a passkey cannot unlock the database; use the password');

/**
 * Asks for an assertion from one of `challenges`' credentials and returns its PRF output for
 * that credential's slot salt. CANCELLED when dismissed (or no credential matched), UNSUPPORTED
 * when the authenticator gives no PRF output.
 */
export async function assertPasskey(challenges: readonly PasskeyChallenge[], o: PasskeyCeremonyOptions = {}): Promise<PasskeyAssertion> {
  assertWebAuthn();
  let credential: PublicKeyCredential;
  try {
    credential = (await navigator.credentials.get({
      publicKey: {
        challenge: randomBytes(32),
        ...(o.rpId === undefined ? {} : { rpId: o.rpId }),
        ...(o.timeoutMs === undefined ? {} : { timeout: o.timeoutMs }),
        allowCredentials: challenges.map((c) => ({ type: 'public-key' as const, id: buffer(c.credentialId) })),
        userVerification: 'required',
        extensions: { prf: { evalByCredential: Object.fromEntries(challenges.map((c) => [base64url(c.credentialId), { first: buffer(c.salt) }])) } },
      },
    })) as PublicKeyCredential;
  } catch (e) {
    throw ceremonyError(e);
  }
  const prfOutput = prfResult(credential);
  if (!prfOutput) throw noPrf();
  return { credentialId: new Uint8Array(credential.rawId), prfOutput };
}

/**
 * Creates a passkey and returns its credential id and its PRF output for `salt`. UNSUPPORTED
 * when the browser or authenticator has no PRF (nothing was added to the database then — the
 * credential itself may remain on the authenticator, unused).
 */
export async function registerPasskey(salt: Uint8Array, o: PasskeyRegistration): Promise<PasskeyAssertion> {
  assertWebAuthn();
  if (typeof o?.userName !== 'string' || o.userName.length === 0) throw new CipherliteError('INVALID_ARGUMENT', 'expected userName to be a non-empty string');
  let credential: PublicKeyCredential;
  try {
    credential = (await navigator.credentials.create({
      publicKey: {
        rp: { name: o.rpName ?? o.rpId ?? location.hostname, ...(o.rpId === undefined ? {} : { id: o.rpId }) },
        user: { id: randomBytes(16), name: o.userName, displayName: o.userName },
        challenge: randomBytes(32),
        pubKeyCredParams: [
          { type: 'public-key', alg: -7 }, // ES256
          { type: 'public-key', alg: -257 }, // RS256
        ],
        authenticatorSelection: { userVerification: 'required', residentKey: 'preferred' },
        ...(o.timeoutMs === undefined ? {} : { timeout: o.timeoutMs }),
        extensions: { prf: { eval: { first: buffer(salt) } } },
      },
    })) as PublicKeyCredential;
  } catch (e) {
    throw ceremonyError(e);
  }
  const credentialId = new Uint8Array(credential.rawId);
  if (credential.getClientExtensionResults().prf?.enabled !== true) throw noPrf();
  const direct = prfResult(credential);
  if (direct) return { credentialId, prfOutput: direct };
  // PRF enabled but not evaluated at create (some browsers): one assertion with the new credential.
  return assertPasskey([{ credentialId, salt, label: '' }], o);
}
