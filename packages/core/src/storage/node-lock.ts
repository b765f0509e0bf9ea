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
 * or this very process without holding it, or when it is unreadable (a creation torn by a crash)
 * and older than STALE_UNREADABLE_MS. A stale lock is moved aside with an atomic rename and
 * removed, then the lock is taken again. A lock naming another host is never broken automatically
 * (a network filesystem): remove the file by hand once that host no longer uses the database.
 * Known limit: if the crashed owner's pid has been reused by another live process, the lock is
 * kept until that process exits.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CipherliteError } from '../errors.js';

export const LOCK_SUFFIX = '.cipherlite-lock';
/** An unreadable lock file (torn at creation) younger than this may still be being written. */
const STALE_UNREADABLE_MS = 10_000;

interface LockOwner {
  pid: number;
  host: string;
  since: number;
}

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

function readOwner(p: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(p, 'utf8')) as Partial<LockOwner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.since === 'number' ? (o as LockOwner) : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

function isStale(p: string, owner: LockOwner | null): boolean {
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

function describe(owner: LockOwner | null): string {
  return owner ? `process ${owner.pid} on ${owner.host} (since ${new Date(owner.since).toISOString()})` : 'another process';
}

/**
 * Takes the lock of database `file` (absolute path). Returns its release function. Throws BUSY,
 * naming the holder, when another opener holds it.
 */
export function acquireDatabaseLock(file: string): () => void {
  const p = path.resolve(file + LOCK_SUFFIX);
  if (held.has(p)) throw busy(file, `this process already has "${path.basename(file)}" open through another storage`);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(p, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
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
function breakStaleLock(p: string, judged: LockOwner | null): void {
  const aside = `${p}.stale-${process.pid}-${Date.now()}`;
  try {
    fs.renameSync(p, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else broke it first
    throw e;
  }
  const moved = readOwner(aside);
  const same = judged === null ? moved === null : moved !== null && moved.pid === judged.pid && moved.since === judged.since && moved.host === judged.host;
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

function busy(file: string, why: string): CipherliteError {
  return new CipherliteError('BUSY', `database "${path.basename(file)}" is locked: ${why}; close it there first`);
}
