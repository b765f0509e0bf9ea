/**
 * Where a tab's worker gets the passkey challenges (credential ids and salts) the page asks the
 * authenticator for: core parses them from the file's public header, read
 * - by this tab's leader from the file it holds, when this tab leads;
 * - from the file itself (`readFileStart`: OPFS or IndexedDB), when nobody holds it, or on
 *   IndexedDB, whose connections do not exclude each other;
 * - from the leader over the bus (`challengesReq`), when reading the file fails because another
 *   tab holds it: Chromium refuses OPFS `getFile()` while a sync access handle is open.
 * The answer is public; no key material travels either way.
 */
import { CipherliteError, format, fromWire } from '@cipherlite/core';
import { passkeyChallenges as parseChallenges, type PasskeyChallenge } from '@cipherlite/core/header';
import type { WorkerPlatform } from './runtime/platform.js';
import { busNames, type StorageBackend } from '../shared/protocol.js';

/** How long a tab waits for a leader to answer `challengesReq` before reporting the read failure. */
export const CHALLENGES_TIMEOUT_MS = 5000;

export async function readChallenges(platform: WorkerPlatform, tabId: string, where: { name: string; directory: string }, backend: StorageBackend): Promise<PasskeyChallenge[]> {
  let head: Uint8Array | null;
  try {
    head = await platform.readFileStart(where, format.MAIN_HEADER_SIZE, backend);
  } catch (e) {
    return askLeader(platform, tabId, where, e);
  }
  if (!head) throw new CipherliteError('NOT_FOUND', `database "${where.name}" does not exist`);
  return parseChallenges(head);
}

/** Asks the tab holding the file; `readFailure` is what is reported when no tab answers. */
function askLeader(platform: WorkerPlatform, tabId: string, where: { name: string; directory: string }, readFailure: unknown): Promise<PasskeyChallenge[]> {
  const names = busNames(where.directory, where.name);
  const id = crypto.randomUUID();
  const reply = platform.openChannel(names.reply(tabId));
  const rpc = platform.openChannel(names.rpc);
  return new Promise<PasskeyChallenge[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new CipherliteError('IO', `the header of database "${where.name}" cannot be read and no tab holding it answered`, {}, { cause: readFailure }));
    }, CHALLENGES_TIMEOUT_MS);
    reply.listen((msg) => {
      if (msg.kind !== 'challenges' || msg.id !== id) return;
      clearTimeout(timer);
      if (msg.ok) resolve(msg.challenges);
      else reject(fromWire(msg.error));
    });
    rpc.post({ kind: 'challengesReq', id, from: tabId });
  }).finally(() => {
    reply.close();
    rpc.close();
  });
}
