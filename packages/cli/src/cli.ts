/**
 * `cipherlite` — the command line for cipherlite database files on disk.
 *
 *   info <file>            header facts, no key needed, no secret shown
 *   verify <file>          authenticate every block + integrity_check
 *   decrypt <in> <out>     ⚠ write a standard, UNENCRYPTED SQLite file
 *   encrypt <in> <out>     encrypt a standard SQLite file into a new cipherlite database
 *   passwd <file>          change the password (or key) of the slot you unlock with
 *   rekey <file>           new data key, every page re-encrypted
 *
 * Secrets never come from argv (visible in `ps` and shell history): a no-echo TTY prompt,
 * `--password-file`, `--key-file` (32 raw bytes or 64 hex characters), `--recovery-key-file`, or
 * the environment (CIPHERLITE_PASSWORD, CIPHERLITE_NEW_PASSWORD).
 *
 * `run(argv, io)` is the whole program with injectable streams and environment, so tests drive it
 * in-process; `main.ts` binds it to the real process.
 */
import { readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CipherliteError, Database, type KeyMaterial } from '@cipherlite/core';
import { changePassword, describeContainer, exportPlaintext, importPlaintext, rekey, replaceMarkerName, verify, type Progress } from '@cipherlite/core/keys';
import { NodeFsStorage } from '@cipherlite/core/node';
import { HELP } from './help.js';
import { REPLICA_OPTIONS, replicaCommand } from './replica.js';
import { currentSecret, kdfOptions, newSecret, promptNewPassword, UsageError, type SecretIo } from './secrets.js';

export const EXIT = { OK: 0, OTHER: 1, USAGE: 2, WRONG_KEY: 3, CORRUPT: 4, NOT_A_DATABASE: 5 } as const;

export interface CliIo extends SecretIo {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  'password-file': { type: 'string' },
  'key-file': { type: 'string' },
  'recovery-key-file': { type: 'string' },
  'new-password-file': { type: 'string' },
  'new-key-file': { type: 'string' },
  'kdf-memory': { type: 'string' },
  'kdf-iterations': { type: 'string' },
  'kdf-parallelism': { type: 'string' },
  // Accepted only to refuse them with a clear message.
  password: { type: 'string' },
  'new-password': { type: 'string' },
  key: { type: 'string' },
  ...REPLICA_OPTIONS,
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(args: string[]) {
  return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
}

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(HELP['main'] + '\n');
    return command ? EXIT.OK : EXIT.USAGE;
  }
  if (command === '--version') {
    io.stdout.write('cipherlite 0.1.0\n');
    return EXIT.OK;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    io.stderr.write(`cipherlite: unknown command "${command}"\n\n${HELP['main']}\n`);
    return EXIT.USAGE;
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (e) {
    io.stderr.write(`cipherlite ${command}: ${(e as Error).message}\n\n${HELP[command]}\n`);
    return EXIT.USAGE;
  }
  if (parsed.values.help) {
    io.stdout.write(HELP[command] + '\n');
    return EXIT.OK;
  }
  for (const flag of ['password', 'new-password', 'key'] as const) {
    if (parsed.values[flag] !== undefined) {
      io.stderr.write(
        `cipherlite ${command}: refusing --${flag} on the command line (it would be visible in the process list and shell history); use --${flag === 'key' ? 'key' : flag}-file or the environment\n`,
      );
      return EXIT.USAGE;
    }
  }
  try {
    return await COMMANDS[command as keyof typeof COMMANDS](parsed.positionals, parsed.values, io);
  } catch (e) {
    return report(command, e, io);
  }
}

/** Core's hint for a plain SQLite file names its API; at the command line the answer is a command. */
const API_HINT = /use importPlaintext to encrypt it/;
const CLI_HINT = 'encrypt it with `cipherlite encrypt <in> <out>`';

function forCliUsers(message: string): string {
  return message.replace(API_HINT, CLI_HINT);
}

function report(command: string, e: unknown, io: CliIo): number {
  if (e instanceof UsageError) {
    io.stderr.write(`cipherlite ${command}: ${e.message}\n\n${HELP[command]}\n`);
    return EXIT.USAGE;
  }
  const message = e instanceof Error ? e.message : String(e);
  io.stderr.write(`cipherlite ${command}: ${forCliUsers(message)}\n`);
  if (e instanceof CipherliteError) {
    if (e.code === 'WRONG_KEY') return EXIT.WRONG_KEY;
    if (e.code === 'CORRUPT') return EXIT.CORRUPT;
    if (e.code === 'NOT_A_DATABASE') return EXIT.NOT_A_DATABASE;
  }
  return EXIT.OTHER;
}

// ---------------------------------------------------------------- helpers

function positionals(p: string[], names: string[]): string[] {
  if (p.length !== names.length) throw new UsageError(`expected ${names.map((n) => `<${n}>`).join(' ')}, got ${p.length} argument(s)`);
  return p;
}

interface Target {
  storage: NodeFsStorage;
  name: string;
  path: string;
}

function target(io: CliIo, file: string): Target {
  const path = realPath(resolve(io.cwd, file));
  return { storage: new NodeFsStorage(dirname(path)), name: basename(path), path };
}

/**
 * The file's own path, symbolic links resolved (as SQLite does): its side files — a journal, a
 * WAL, cipherlite's lock and replacement files — live next to the file, not next to a link to
 * it. A path that does not exist yet is taken as given.
 */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw e;
  }
}

/** The file's bytes, or undefined if it does not exist. */
function readIfPresent(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function progress(io: CliIo, label: string): ((p: Progress) => void) | undefined {
  if (!io.stderr.isTTY) return undefined;
  let last = -1;
  return (p) => {
    const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
    if (pct === last) return;
    last = pct;
    io.stderr.write(`\r${label} ${p.phase}: ${pct}%   ${p.done === p.total ? '\n' : ''}`);
  };
}

function requireFile(t: Target): void {
  let st;
  try {
    st = statSync(t.path);
  } catch {
    throw new CipherliteError('NOT_A_DATABASE', `${t.path}: no such file`);
  }
  if (!st.isFile()) throw new UsageError(`${t.path} is not a file`);
}

async function openDb(t: Target, secret: KeyMaterial, io: CliIo): Promise<Database> {
  requireFile(t);
  // Database.open finishes an interrupted rekey itself, once the secret is proven.
  const pending = t.storage.exists(replaceMarkerName(t.name));
  const db = await Database.open({ storage: t.storage, name: t.name, ...secret, create: false });
  if (pending && !t.storage.exists(replaceMarkerName(t.name))) io.stderr.write(`note: finished an interrupted rekey of ${t.name}\n`);
  return db;
}

/** ECMAScript's Date range: ±8.64e15 ms (100 million days) around the epoch. */
const MAX_DATE_MS = 8.64e15;

/**
 * A header's u64 "created at" as a date. The field is unauthenticated here and may hold any of its
 * 2^64 values; one that is no date is shown as the number it is, never thrown on.
 */
function fmtTime(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return 'unknown';
  return ms <= MAX_DATE_MS ? new Date(ms).toISOString() : `unknown (${ms} ms is past any date)`;
}

// ---------------------------------------------------------------- commands

type Command = (p: string[], v: Values, io: CliIo) => Promise<number>;

const COMMANDS: Record<'info' | 'verify' | 'decrypt' | 'encrypt' | 'passwd' | 'rekey' | 'replica', Command> = {
  replica: (p, v, io) => replicaCommand(p, v, io, { secret: () => currentSecret(v, io), progress: (label) => progress(io, label), usage: (m) => new UsageError(m), kdf: kdfOptions(v) }),

  async info(p, v, io) {
    const [file] = positionals(p, ['file']);
    const t = target(io, file!);
    requireFile(t);
    const f = t.storage.open(t.name, { create: false });
    let info;
    try {
      info = describeContainer(f);
    } finally {
      f.close();
    }
    const pending = t.storage.exists(replaceMarkerName(t.name)) ? 'a rekey swap is pending (finished on the next open)' : null;
    if (v.json) {
      io.stdout.write(JSON.stringify({ file: t.path, ...info, ...(pending ? { pending } : {}) }, null, 2) + '\n');
    } else if (info.kind !== 'cipherlite') {
      io.stdout.write(`${t.path}: ${info.note} (${info.fileSizeBytes} bytes)\n`);
    } else {
      const lines = [
        `file:            ${t.path}`,
        `format:          cipherlite v${info.formatVersion}, ${info.cipher}`,
        `size:            ${info.fileSizeBytes} bytes, ${info.blocks} encrypted block(s) of ${info.blockSize} bytes (= page size)`,
        `file id:         ${info.fileId}`,
        `created:         ${fmtTime(info.createdAt)}`,
        `next key epoch:  ${info.nextEpoch}`,
        `header copies:   ${info.copies.map((c) => `${c.copy} ${c.intact ? `intact (sequence ${c.sequence})` : `damaged (${c.problem})`}`).join(', ')}; using ${info.current}`,
        `keyslots:        ${info.keyslots.length}`,
        ...info.keyslots.map(
          (s) => `  [${s.index}] ${s.kind.padEnd(8)} created ${fmtTime(s.createdAt)}${s.kdf ? `  argon2id m=${s.kdf.memoryKiB} KiB t=${s.kdf.iterations} p=${s.kdf.parallelism}` : ''}`,
        ),
        ...(pending ? [`note:            ${pending}`] : []),
        'Header fields are unauthenticated until a key opens the file ("cipherlite verify").',
      ];
      io.stdout.write(lines.join('\n') + '\n');
    }
    return info.kind === 'cipherlite' ? EXIT.OK : EXIT.NOT_A_DATABASE;
  },

  async verify(p, v, io) {
    const [file] = positionals(p, ['file']);
    const t = target(io, file!);
    requireFile(t);
    const db = await openDb(t, await currentSecret(v, io), io);
    try {
      const onProgress = progress(io, 'verify');
      const r = await verify(db, onProgress ? { onProgress } : {});
      if (v.json) io.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else {
        io.stdout.write(`${r.ok ? 'ok' : 'FAILED'}: ${r.blocksChecked} block(s) checked, ${r.failures.length} failed; integrity_check: ${r.integrity.slice(0, 5).join('; ')}\n`);
        for (const f of r.failures.slice(0, 20)) io.stdout.write(`  ${f.file} block ${f.block}${f.page ? ` (page ${f.page})` : ''} failed authentication\n`);
      }
      return r.ok ? EXIT.OK : EXIT.CORRUPT;
    } finally {
      await db.close();
    }
  },

  async decrypt(p, v, io) {
    const [input, output] = positionals(p, ['in', 'out']);
    const t = target(io, input!);
    // Links resolved: <out> must be neither <in> nor one of its side files, whatever path names it.
    const out = realPath(resolve(io.cwd, output!));
    if (out === t.path || ['-journal', '-wal', '~new', '~replace', '.cipherlite-lock'].some((s) => out === t.path + s)) {
      throw new UsageError('<out> must differ from <in> and its side files');
    }
    const db = await openDb(t, await currentSecret(v, io), io);
    let bytes: Uint8Array;
    try {
      bytes = await exportPlaintext(db);
    } finally {
      await db.close();
    }
    try {
      writeFileSync(out, bytes, { mode: 0o600, flag: v.force ? 'w' : 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${out} exists; use --force to overwrite it`);
      throw e;
    } finally {
      bytes.fill(0);
    }
    io.stderr.write(`warning: ${out} is NOT encrypted — anyone who can read it reads everything. Delete it when done.\n`);
    return EXIT.OK;
  },

  async encrypt(p, v, io) {
    const [input, output] = positionals(p, ['in', 'out']);
    const inPath = realPath(resolve(io.cwd, input!));
    const t = target(io, output!);
    if (inPath === t.path) throw new UsageError('<out> must differ from <in>');
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(inPath);
    } catch (e) {
      throw new UsageError(`cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (t.storage.exists(t.name)) throw new Error(`${t.path} exists; encrypt only creates new files`);
    // The input's side files (a WAL with commits not yet checkpointed, a hot journal): SQLite
    // recovers the last committed state from copies of them; the input files are only read.
    const side = { wal: readIfPresent(`${inPath}-wal`), journal: readIfPresent(`${inPath}-journal`) };
    const secret = (await newSecret(v, io, true)) ?? (await promptNewPassword(io));
    const onProgress = progress(io, 'encrypt');
    const { db, tables } = await importPlaintext(t.storage, t.name, bytes, secret, {
      ...kdfOptions(v),
      ...(onProgress ? { onProgress } : {}),
      ...(side.wal ? { wal: side.wal } : {}),
      ...(side.journal ? { journal: side.journal } : {}),
    });
    await db.close();
    io.stdout.write(`encrypted ${tables.length} table(s), ${tables.reduce((n, x) => n + x.rows, 0)} row(s) into ${t.path}\n`);
    return EXIT.OK;
  },

  async passwd(p, v, io) {
    const [file] = positionals(p, ['file']);
    const t = target(io, file!);
    requireFile(t);
    const current = await currentSecret(v, io);
    const db = await openDb(t, current, io);
    try {
      const next = (await newSecret(v, io)) ?? (await promptNewPassword(io));
      const slot = await changePassword(db, current, next, kdfOptions(v));
      io.stdout.write(`keyslot ${slot.index} now holds the new ${slot.kind === 'password' ? 'password' : 'key'}; the old one no longer opens ${t.name}\n`);
      return EXIT.OK;
    } finally {
      await db.close();
    }
  },

  async rekey(p, v, io) {
    const [file] = positionals(p, ['file']);
    const t = target(io, file!);
    requireFile(t);
    const current = await currentSecret(v, io);
    const next = await newSecret(v, io);
    const db = await openDb(t, current, io);
    const onProgress = progress(io, 'rekey');
    let fresh: Database;
    try {
      const r = await rekey(db, current, onProgress ? { onProgress } : {});
      fresh = r.db;
      for (const s of r.droppedKeyslots) io.stderr.write(`note: dropped keyslot ${s.index} (${s.kind}); it wrapped the old data key\n`);
    } finally {
      if (!db.closed) await db.close();
    }
    try {
      if (next) await changePassword(fresh, current, next, kdfOptions(v));
    } finally {
      await fresh.close();
    }
    io.stdout.write(`re-encrypted ${t.name} under a new data key${next ? ' and changed its password' : ''}\n`);
    return EXIT.OK;
  },
};
