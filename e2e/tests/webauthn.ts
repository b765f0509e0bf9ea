/**
 * The WebAuthn set-up of the passkey tests: a CDP virtual platform authenticator (CTAP 2.1,
 * internal transport, user verification, PRF via hmac-secret) on one page. CDP's WebAuthn domain
 * is Chromium's; Firefox and WebKit offer Playwright no virtual authenticator (README, "Browser
 * support").
 */
import type { CDPSession, Page } from '@playwright/test';

/** Why the ceremony tests run in Chromium only. */
export const VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM = 'a virtual WebAuthn authenticator with the PRF extension is CDP (WebAuthn.addVirtualAuthenticator), which Firefox does not offer to Playwright';

export interface Authenticator {
  cdp: CDPSession;
  id: string;
}

/** A platform authenticator on `page`; `prf: false` is one without hmac-secret. `cdp` reuses a session. */
export async function addAuthenticator(page: Page, prf = true, cdp?: CDPSession): Promise<Authenticator> {
  const session = cdp ?? (await page.context().newCDPSession(page));
  await session.send('WebAuthn.enable');
  const options = {
    protocol: 'ctap2',
    ctap2Version: 'ctap2_1',
    transport: 'internal',
    hasResidentKey: true,
    hasUserVerification: true,
    isUserVerified: true,
    hasPrf: prf,
    automaticPresenceSimulation: true,
  };
  const { authenticatorId } = await session.send<'WebAuthn.addVirtualAuthenticator'>('WebAuthn.addVirtualAuthenticator', { options } as never);
  return { cdp: session, id: authenticatorId };
}

/** The credentials `a` holds (CDP's form, with their private keys: for copying to another authenticator). */
export async function credentials(a: Authenticator): Promise<unknown[]> {
  const { credentials } = await a.cdp.send('WebAuthn.getCredentials', { authenticatorId: a.id });
  return credentials;
}

/** Puts `credential` (from `credentials`) on `a`: the same passkey, as a synced passkey reaches another tab or device. */
export async function copyCredential(a: Authenticator, credential: unknown): Promise<void> {
  await a.cdp.send('WebAuthn.addCredential', { authenticatorId: a.id, credential } as never);
}

/**
 * A stand-in for the browser's WebAuthn where no virtual authenticator reaches the page (Firefox
 * under Playwright; WebKitGTK, which has no WebAuthn at all): a fixed PRF output per credential.
 * Self-contained (an init script, or a WebDriver script as its source): it defines
 * `navigator.credentials` and `PublicKeyCredential` where the engine has none.
 */
export function fixedPrfAuthenticator(): void {
  const credentialId = new Uint8Array(16).fill(7);
  const result = (prf: { enabled?: boolean; results: { first: ArrayBuffer } }) =>
    ({ rawId: credentialId.slice().buffer, getClientExtensionResults: () => ({ prf }) }) as unknown as PublicKeyCredential;
  const prfOf = (salt: BufferSource): ArrayBuffer => {
    const s = new Uint8Array(salt instanceof ArrayBuffer ? salt : salt.buffer);
    return Uint8Array.from({ length: 32 }, (_, i) => (s[i % s.length]! * 31 + i) & 255).buffer;
  };
  if (typeof PublicKeyCredential !== 'function') Object.defineProperty(window, 'PublicKeyCredential', { value: function PublicKeyCredential() {}, configurable: true });
  if (!navigator.credentials) Object.defineProperty(navigator, 'credentials', { value: {}, configurable: true });
  navigator.credentials.create = async (o) => result({ enabled: true, results: { first: prfOf(o!.publicKey!.extensions!.prf!.eval!.first) } });
  navigator.credentials.get = async (o) => {
    const [entry] = Object.values(o!.publicKey!.extensions!.prf!.evalByCredential!);
    return result({ results: { first: prfOf(entry!.first) } });
  };
}
