/**
 * The current secret every key action in Admin asks for: the password, or the passkey — offered
 * where the database has a passkey slot and passkeys can work at this address (the unlock screen
 * decides the same way), so whoever unlocks with a fingerprint is never stuck at a password field.
 */
import type { KeyslotInfo } from '@cipherlite/worker';
import { useState } from 'react';
import { describeError, describePasskeyError } from '../store.ts';
import { Field } from '../ui.tsx';

/**
 * Why passkeys cannot work where the till is served, or null: WebAuthn needs a secure context
 * (https, or http on localhost) and a domain name — browsers refuse an IP address such as 127.0.0.1.
 */
export function passkeysUnavailable(): string | null {
  const { hostname } = window.location;
  const onIp = /^\d+(\.\d+){3}$/.test(hostname) || hostname.includes(':') || hostname.startsWith('[');
  if (!window.isSecureContext || onIp || !('PublicKeyCredential' in window))
    return `Passkeys are not available at this address (${window.location.host}): browsers offer them only on a secure page (https://, or http://localhost) with a domain name, never an IP address. Open the till at such an address to add one; the password works everywhere.`;
  return null;
}

export type Secret = string | { passkey: true };

export interface CurrentSecret {
  /** What proves it, or null while nothing is entered. */
  secret: Secret | null;
  viaPasskey: boolean;
  /** Whether "Use passkey instead" is offered at all. */
  offered: boolean;
  password: string;
  setPassword: (password: string) => void;
  setViaPasskey: (on: boolean) => void;
  /** Empties the password field (after a success). */
  clear: () => void;
  /** What to show for a failure; `wrongPassword` is the text for a wrong password. */
  describe: (err: unknown, wrongPassword?: string) => string;
}

export function useCurrentSecret(keyslots: readonly KeyslotInfo[] | null): CurrentSecret {
  const [password, setPassword] = useState('');
  const [chosen, setViaPasskey] = useState(false);
  const offered = (keyslots ?? []).some((k) => k.kind === 'passkey') && passkeysUnavailable() === null;
  const viaPasskey = offered && chosen;
  return {
    secret: viaPasskey ? { passkey: true } : password ? password : null,
    viaPasskey,
    offered,
    password,
    setPassword,
    setViaPasskey,
    clear: () => setPassword(''),
    describe: (err, wrongPassword = 'The password is wrong.') =>
      viaPasskey ? describePasskeyError(err) : (err as { code?: string } | null)?.code === 'WRONG_KEY' ? wrongPassword : describeError(err),
  };
}

/** The password field, and — where offered — the switch to the passkey, which replaces it. */
export function CurrentSecretField({ state, label, name, hint }: { state: CurrentSecret; label: string; name: string; hint?: string | undefined }) {
  return (
    <>
      {!state.viaPasskey && (
        <Field label={label} hint={hint}>
          <input type="password" name={name} autoComplete="current-password" value={state.password} onChange={(e) => state.setPassword(e.target.value)} />
        </Field>
      )}
      {state.offered && (
        <label className="check">
          <input type="checkbox" name={`${name}-use-passkey`} checked={state.viaPasskey} onChange={(e) => state.setViaPasskey(e.target.checked)} /> Use passkey instead of the password
        </label>
      )}
    </>
  );
}
