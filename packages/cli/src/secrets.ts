/**
 * Secrets for the CLI: from files, the environment or a no-echo prompt — never from the command
 * line. Files are read as bytes and checked exactly; text Node already decoded (the environment,
 * the terminal) is refused when it shows invalid UTF-8 (U+FFFD), so different bytes never become
 * one password.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KeyMaterial } from '@cipherlite/core';
import type { NewSecret } from '@cipherlite/core/keys';

/** A mistake in how the CLI was called: exit 2 with the command's help. */
export class UsageError extends Error {}

/** What reading a secret needs of the CLI's surroundings. */
export interface SecretIo {
  env: Record<string, string | undefined>;
  /** Reads a line without echo from the terminal, or returns null when there is no TTY. */
  prompt(question: string): Promise<string | null>;
  cwd: string;
}

type SecretFlag = 'password-file' | 'key-file' | 'recovery-key-file' | 'new-password-file' | 'new-key-file' | 'kdf-memory' | 'kdf-iterations' | 'kdf-parallelism';
/** The parsed options a secret comes from. */
export type SecretFlags = { [F in SecretFlag]?: string | undefined };

function readSecretFile(io: SecretIo, file: string): Uint8Array {
  try {
    return readFileSync(resolve(io.cwd, file));
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function firstLine(bytes: Uint8Array): string {
  let text: string;
  try {
    // Fatal: invalid bytes must not turn into U+FFFD (every such password would be the same one).
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError('the secret file is not valid UTF-8');
  }
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line.length === 0) throw new UsageError('the secret file is empty (the password is its first line)');
  return line;
}

/**
 * A password that reached us as text Node decoded — the environment, the terminal — holds U+FFFD
 * where its bytes were not valid UTF-8, so "\xff" and "\xfe" arrive as the same password. Such text
 * is refused (a password file's bytes are checked exactly: `firstLine`).
 */
function decodedText(text: string, from: string): string {
  if (text.includes('\uFFFD')) {
    throw new UsageError(`the password from ${from} is not valid UTF-8 (or holds U+FFFD, which invalid bytes decode to); give it in a file with --password-file or --new-password-file`);
  }
  return text;
}

function rawKey(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length === 32) return bytes;
  const text = new TextDecoder().decode(bytes).trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Uint8Array.from(text.match(/../g)!, (h) => parseInt(h, 16));
  throw new UsageError(`${file} must hold a 256-bit key: 32 raw bytes or 64 hex characters`);
}

export async function currentSecret(v: SecretFlags, io: SecretIo): Promise<KeyMaterial> {
  const given = [v['password-file'], v['key-file'], v['recovery-key-file']].filter((x) => x !== undefined).length;
  if (given > 1) throw new UsageError('give only one of --password-file, --key-file, --recovery-key-file');
  if (v['key-file'] !== undefined) return { key: rawKey(readSecretFile(io, v['key-file']), v['key-file']) };
  if (v['recovery-key-file'] !== undefined) return { recoveryKey: firstLine(readSecretFile(io, v['recovery-key-file'])) };
  if (v['password-file'] !== undefined) return { password: firstLine(readSecretFile(io, v['password-file'])) };
  const env = io.env['CIPHERLITE_PASSWORD'];
  if (env !== undefined && env !== '') return { password: decodedText(env, 'CIPHERLITE_PASSWORD') };
  const typed = await io.prompt('Password: ');
  if (typed === null) throw new UsageError('no password: stdin is not a terminal; use --password-file, --key-file or CIPHERLITE_PASSWORD');
  if (typed === '') throw new UsageError('empty password');
  return { password: decodedText(typed, 'the prompt') };
}

export async function newSecret(v: SecretFlags, io: SecretIo, fallbackToCurrent = false): Promise<NewSecret | null> {
  if (v['new-password-file'] !== undefined && v['new-key-file'] !== undefined) throw new UsageError('give only one of --new-password-file, --new-key-file');
  if (v['new-key-file'] !== undefined) return { key: rawKey(readSecretFile(io, v['new-key-file']), v['new-key-file']) };
  if (v['new-password-file'] !== undefined) return { password: firstLine(readSecretFile(io, v['new-password-file'])) };
  const env = io.env['CIPHERLITE_NEW_PASSWORD'];
  if (env !== undefined && env !== '') return { password: decodedText(env, 'CIPHERLITE_NEW_PASSWORD') };
  if (fallbackToCurrent && (v['password-file'] !== undefined || v['key-file'] !== undefined || io.env['CIPHERLITE_PASSWORD'])) {
    const s = await currentSecret(v, io);
    if (s.recoveryKey !== undefined) throw new UsageError('a new database needs a password or a key');
    return s;
  }
  return null;
}

export async function promptNewPassword(io: SecretIo): Promise<NewSecret> {
  const first = await io.prompt('New password: ');
  if (first === null) throw new UsageError('no new password: stdin is not a terminal; use --new-password-file, --new-key-file or CIPHERLITE_NEW_PASSWORD');
  if (first === '') throw new UsageError('empty password');
  const again = await io.prompt('Repeat new password: ');
  if (again !== first) throw new UsageError('the passwords do not match');
  return { password: decodedText(first, 'the prompt') };
}

export function kdfOptions(v: SecretFlags): { kdf?: { memoryKiB?: number; iterations?: number; parallelism?: number } } {
  const kdf: { memoryKiB?: number; iterations?: number; parallelism?: number } = {};
  const num = (flag: 'kdf-memory' | 'kdf-iterations' | 'kdf-parallelism'): number | undefined => {
    const raw = v[flag];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${flag} must be a positive integer`);
    return n;
  };
  const m = num('kdf-memory');
  const t = num('kdf-iterations');
  const p = num('kdf-parallelism');
  if (m !== undefined) kdf.memoryKiB = m;
  if (t !== undefined) kdf.iterations = t;
  if (p !== undefined) kdf.parallelism = p;
  return Object.keys(kdf).length ? { kdf } : {};
}
