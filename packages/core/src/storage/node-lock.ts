/**
 * An exclusive, cross-process lock per database for `NodeFsStorage`: a lock file next to the
 * database, `<name>.cipherlite-lock`, created with O_EXCL and holding the owner's pid and host.
 *
 * Why a lock file: Node has no flock/fcntl lock in its standard library, and two openers of one
 * database (two processes, e.g. `cipherlite passwd` while an app runs, or two storages in one
 * process) would each believe they own the file and lose each other's commits. SQLite's own
 * locks cannot help here: our VFS's locks are in-process (like opfs-sahpool's).
 *
 * Stale-lock rule (a crashed process must not leave the database stuck): a lock file is stale
 * when it names this host and a pid that is no longer running (`process.kill(pid, 0)` → ESRCH),
 * or this very process without holding it, or when it is complete JSON that no cipherlite wrote
 * (a pid that is not a positive integer: 0 and −1 would make `kill` probe a process group and
 * count as "alive" forever), or when its content cannot be parsed (a creation torn by a crash) and
 * it is older than STALE_UNREADABLE_MS. A lock file this user cannot read at all (another user's,
 * mode 0600) names a holder that cannot be judged: BUSY, never broken. A lock path that is not a
 * regular file (a directory, say) is never touched: IO naming it. A stale lock is moved aside with
 * an atomic rename and removed, then the lock is taken again. A lock naming another host is never
 * broken automatically (a network filesystem): remove the file by hand once that host no longer
 * uses the database.
 * A database path that is a symbolic link is refused (IO; see `assertNotLink`).
 * Known limit: if the crashed owner's pid has been reused by another live process, the lock is
 * kept until that process exits.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CipherliteError } from '../errors.js';

export const LOCK_SUFFIX = '.cipherlite-lock';
/** A lock file whose content does not parse (torn at creation) younger than this may still be being written. */
const STALE_UNREADABLE_MS = 10_000;

interface LockOwner {
  pid: number;
  host: string;
  since: number;
}

type Owner = LockOwner | null | 'invalid' | 'unreadable';

/** Lock files this process holds, by absolute path (two storages over one directory share it). */
const held = new Set<string>();
let exitHookInstalled = false;

function removeHeldLocksOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of held) fs.rmSync(p, { force: true });
  });
}

/**
 * The owner; `null` when its content cannot be parsed (torn at creation); `invalid` when complete
 * but not ours; `unreadable` when the file cannot be read at all — another user's lock (created
 * 0600): a holder this process cannot judge, never broken.
 */
function readOwner(p: string): Owner {
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'unreadable';
  }
  let o: Partial<LockOwner>;
  try {
    o = JSON.parse(text) as Partial<LockOwner>;
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null) return 'invalid';
  const ok = Number.isSafeInteger(o.pid) && o.pid! > 0 && typeof o.host === 'string' && Number.isFinite(o.since);
  return ok ? (o as LockOwner) : 'invalid';
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

function isStale(p: string, owner: Owner): boolean {
  if (owner === 'unreadable') return false;
  if (owner === 'invalid') return true;
  if (!owner) {
    try {
      return Date.now() - fs.statSync(p).mtimeMs > STALE_UNREADABLE_MS;
    } catch {
      return true; // gone meanwhile
    }
  }
  if (owner.host !== os.hostname()) return false;
  if (owner.pid === process.pid) return !held.has(p);
  return !isRunning(owner.pid);
}

function describe(owner: Owner): string {
  if (owner === 'unreadable') return 'a process whose lock file this user cannot read (another user?)';
  if (owner === null || owner === 'invalid') return 'another process';
  const since = new Date(owner.since);
  return `process ${owner.pid} on ${owner.host}${Number.isNaN(since.getTime()) ? '' : ` (since ${since.toISOString()})`}`;
}

/** A lock path that is not a regular file is not a lock we may break: IO, nothing touched. */
function assertLockFile(p: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return; // gone meanwhile
  }
  if (!st.isFile()) {
    throw new CipherliteError('IO', `the lock path "${path.basename(p)}" is not a regular file (a directory or link?); remove it by hand once no process uses the database`);
  }
}

/**
 * A database reached through a symbolic link is refused (IO): its lock, journal, WAL and
 * replacement files would be looked for next to the link, not next to the file it names — a
 * second opener by the file's own path would get a lock of its own (two writers), and a hot
 * journal left next to the file would not be seen (a half-written transaction opened as if
 * committed). Open the file by its own path (the CLI resolves links itself).
 */
function assertNotLink(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return; // not there yet: created by this open
  }
  if (st.isSymbolicLink()) {
    throw new CipherliteError('IO', `"${path.basename(file)}" is a symbolic link; open the file it names by its own path (its journal, WAL and lock live next to that file, not next to the link)`);
  }
}

/**
 * Takes the lock of database `file` (absolute path). Returns its release function. Throws BUSY,
 * naming the holder, when another opener holds it.
 */
export function acquireDatabaseLock(file: string): () => void {
  assertNotLink(file);
  const p = path.resolve(file + LOCK_SUFFIX);
  if (held.has(p)) throw busy(file, `this process already has "${path.basename(file)}" open through another storage`);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(p, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      assertLockFile(p);
      const owner = readOwner(p);
      if (attempt > 0 || !isStale(p, owner)) throw busy(file, `it is open in ${describe(owner)}`);
      breakStaleLock(p, owner);
      continue;
    }
    try {
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), since: Date.now() } satisfies LockOwner));
    } finally {
      fs.closeSync(fd);
    }
    held.add(p);
    removeHeldLocksOnExit();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.delete(p);
      fs.rmSync(p, { force: true });
    };
  }
  throw busy(file, 'its lock could not be taken');
}

/** Moves a stale lock aside atomically; puts it back if it turned out to be a new, live one. */
function breakStaleLock(p: string, judged: Owner): void {
  const aside = `${p}.stale-${process.pid}-${Date.now()}`;
  try {
    fs.renameSync(p, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else broke it first
    throw e;
  }
  const moved = readOwner(aside);
  const same =
    typeof judged !== 'object' || judged === null
      ? moved === judged
      : moved !== null && typeof moved === 'object' && moved.pid === judged.pid && moved.since === judged.since && moved.host === judged.host;
  if (!same) {
    // Another opener replaced the stale lock between our read and our rename: restore theirs.
    try {
      fs.linkSync(aside, p);
    } catch {
      // a third opener already holds a new lock; theirs stands
    }
  }
  fs.rmSync(aside, { force: true });
}

/**
 * Removes the lock file of `file` if it is stale (its holder crashed), so deleting a database's
 * file does not leave its lock behind (a killed rekey's `<name>~new` lock, once recovery discards
 * `<name>~new`). A live holder's lock, or a lock path that is not a regular file, stays.
 */
export function removeStaleLock(file: string): void {
  const p = path.resolve(file + LOCK_SUFFIX);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return;
  }
  if (!st.isFile() || held.has(p)) return;
  if (isStale(p, readOwner(p))) breakStaleLock(p, readOwner(p));
}

function busy(file: string, why: string): CipherliteError {
  return new CipherliteError('BUSY', `database "${path.basename(file)}" is locked: ${why}; close it there first`);
}
