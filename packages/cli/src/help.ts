import { REPLICA_HELP } from './replica.js';

/** The text of `cipherlite --help` and of each command's `--help` (cli.ts prints it). */
const COMMON_HELP = `Secrets (never on the command line):
  --password-file <path>       password = first line of the file
  --key-file <path>            raw 256-bit key: 32 bytes, or 64 hex characters
  --recovery-key-file <path>   recovery key (XXXX-XXXX-…)
  CIPHERLITE_PASSWORD          password from the environment
  otherwise a no-echo prompt when stdin is a terminal.
A password from the environment or the prompt must be valid UTF-8 (Node turns invalid bytes
into U+FFFD, which would make different passwords one): otherwise use a file.`;

const NEW_SECRET_HELP = `New secret:
  --new-password-file <path>   new password = first line of the file
  --new-key-file <path>        new raw 256-bit key
  CIPHERLITE_NEW_PASSWORD      new password from the environment
  otherwise a prompt (typed twice) when stdin is a terminal.
Argon2id cost for a new password (defaults 65536 KiB, 3, 1; minimum 19456 KiB, 2):
  --kdf-memory <KiB>  --kdf-iterations <n>  --kdf-parallelism <n>`;

const EXIT_HELP = `Exit codes: 0 ok, 1 other error, 2 usage, 3 wrong password/key, 4 corrupt, 5 not a cipherlite database.`;

export const HELP: Record<string, string> = {
  main: `cipherlite — encrypted SQLite files (AES-256-GCM pages, Argon2id keys)

Usage: cipherlite <command> [options]

Commands:
  info <file>          show header facts (no key needed; no secrets shown)
  verify <file>        authenticate every block and run integrity_check
  decrypt <in> <out>   write a standard SQLite file — UNENCRYPTED
  encrypt <in> <out>   encrypt a standard SQLite file into a new cipherlite database
  passwd <file>        change the password/key of the slot you unlock with
  rekey <file>         new data key; re-encrypts every page (drops other keyslots)
  replica status|verify|restore   the database's encrypted replica on an S3 bucket

Run "cipherlite <command> --help" for a command's options.

WAL-mode databases (the browser worker's default) open too: commits still in the WAL are
checkpointed into the file, which is left in rollback-journal mode (the worker turns WAL back on
when it next opens it). "encrypt" reads the input's -wal or hot -journal as well, and encrypts
exactly its last committed state; the input files are never modified. A file given by a
symbolic link is the file it names, with that file's side files.
${EXIT_HELP}`,
  info: `Usage: cipherlite info <file> [--json]

Reads the plaintext container header: format version, block size, file id, header copies A/B,
keyslot kinds and Argon2id parameters. Needs no key; shows no secret. The header MAC cannot be
checked without the key, so these are the file's claims ("verify" checks them).
${EXIT_HELP}`,
  verify: `Usage: cipherlite verify <file> [secret options] [--json]

Authenticates every block of the database (and its journal) and runs PRAGMA integrity_check.
Exit 0 when healthy, 4 when anything failed.

${COMMON_HELP}
${EXIT_HELP}`,
  decrypt: `Usage: cipherlite decrypt <in> <out> [secret options] [--force]

⚠ Writes <out> as a standard SQLite file WITHOUT ENCRYPTION: anyone who can read <out> reads
everything. Created with mode 0600; refuses to overwrite unless --force.

${COMMON_HELP}
${EXIT_HELP}`,
  encrypt: `Usage: cipherlite encrypt <in> <out> [new secret options]

Encrypts the standard SQLite file <in> into the new cipherlite database <out> (which must not
exist). The page size is <in>'s. <in> is left as it is: delete it securely yourself.
CIPHERLITE_PASSWORD / --password-file are accepted too when no new-secret option is given.

${NEW_SECRET_HELP}
${EXIT_HELP}`,
  passwd: `Usage: cipherlite passwd <file> [secret options] [new secret options]

Replaces the keyslot your current secret opens with one for the new secret. O(1): no page is
rewritten; crash-safe (the old or the new password opens, never neither).

${COMMON_HELP}

${NEW_SECRET_HELP}
${EXIT_HELP}`,
  rekey: `Usage: cipherlite rekey <file> [secret options] [new secret options]

Generates a new data key and re-encrypts every page (crash-safe: a pending swap is finished on
the next open). Your current secret keeps working (or the new one, if given); other keyslots
(recovery keys) wrap the old data key and are dropped — add a new recovery key afterwards.

${COMMON_HELP}

${NEW_SECRET_HELP}
${EXIT_HELP}`,
  replica: `${REPLICA_HELP}

${COMMON_HELP}
${EXIT_HELP}`,
};
