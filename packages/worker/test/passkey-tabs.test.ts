/**
 * Passkey challenges in every tab: a tab's worker reads the credential ids and salts from the
 * file when it can, from its own leader when it leads, and from the leading tab over the bus when
 * the file is held elsewhere (the fake origin refuses the read then, as Chromium's OPFS
 * `getFile()` does). A PRF output is 32 bytes here; the ceremony itself is the page's (e2e/).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_KDF } from '@cipherlite/core';
import type { KeyMaterial } from '@cipherlite/core';
import { WorkerEngine } from '../src/engine/engine.js';
import type { BusMessage } from '../src/shared/bus.js';
import type { Role, WorkerEvents } from '../src/shared/protocol.js';
import { FakeOrigin } from './fake-platform.js';

const PASSWORD = 'till password';
const PRF = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 255);
const SALT = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const CREDENTIAL = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 255);
const WHERE = { name: 'pos', directory: 'test' };

const passkey = (prfOutput = PRF): KeyMaterial => ({ passkey: { credentialId: CREDENTIAL.slice(), prfOutput: prfOutput.slice() } });

let engines: WorkerEngine[] = [];

afterEach(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  engines = [];
});

function engineOf(origin: FakeOrigin, tab: string): WorkerEngine {
  const engine = new WorkerEngine(origin.tab(tab));
  engines.push(engine);
  return engine;
}

const events: WorkerEvents = { lockState: () => undefined, role: () => undefined, change: () => undefined, progress: () => undefined };

async function open(engine: WorkerEngine, key: KeyMaterial): Promise<Role> {
  return (await engine.open({ ...WHERE, kdf: MIN_KDF }, key, events)).role;
}

/** Tab A leads a database with a password slot and (unless `withPasskey` is false) a passkey slot; reads of the held file are refused. */
async function leaderWithPasskey(withPasskey = true) {
  const origin = new FakeOrigin();
  const a = engineOf(origin, 'A');
  expect(await open(a, { password: PASSWORD })).toBe('leader');
  await a.run('exec', ["CREATE TABLE sales(v); INSERT INTO sales VALUES ('sale 1')"]);
  if (withPasskey) await a.run('addPasskey', [{ password: PASSWORD }, { credentialId: CREDENTIAL.slice(), salt: SALT.slice(), prfOutput: PRF.slice(), label: 'alice@till-1' }]);
  origin.refuseReadsWhileHeld = true;
  return { origin, a };
}

describe('passkey challenges while another tab holds the file', () => {
  it('a tab that cannot read the file gets them from the leader over the bus, then unlocks with the passkey as a follower', async () => {
    const { origin, a } = await leaderWithPasskey();
    const asked: BusMessage[] = [];
    origin.bus.onPost = (m) => {
      if (m.kind === 'challengesReq' || m.kind === 'challenges') asked.push(m);
      return 'deliver';
    };
    const b = engineOf(origin, 'B');
    const challenges = await b.passkeyChallenges(WHERE);
    expect(challenges.map((c) => ({ id: [...c.credentialId], salt: [...c.salt], label: c.label }))).toEqual([{ id: [...CREDENTIAL], salt: [...SALT], label: 'alice@till-1' }]);
    expect(asked.map((m) => m.kind)).toEqual(['challengesReq', 'challenges']);

    expect(await open(b, passkey())).toBe('follower');
    expect(await b.run('query', ['SELECT v FROM sales'])).toEqual([{ v: 'sale 1' }]);
    await b.run('exec', ["INSERT INTO sales VALUES ('sale 2')"]);
    expect(await a.run('query', ['SELECT count(*) AS n FROM sales'])).toEqual([{ n: 2 }]);
  });

  it('a wrong PRF output from the ceremony is WRONG_KEY in the follower, which holds nothing', async () => {
    const { origin } = await leaderWithPasskey();
    const b = engineOf(origin, 'B');
    await b.passkeyChallenges(WHERE);
    const wrong = PRF.slice();
    wrong[0]! ^= 1;
    await expect(open(b, passkey(wrong))).rejects.toMatchObject({ code: 'WRONG_KEY' });
    await expect(b.run('query', ['SELECT 1'])).rejects.toMatchObject({ code: 'LOCKED' });
  });

  it('the leading tab answers from the file it holds (a passkey proving `current` there)', async () => {
    const { a } = await leaderWithPasskey();
    const challenges = await a.passkeyChallenges(WHERE);
    expect(challenges.map((c) => c.label)).toEqual(['alice@till-1']);
  });

  it('a database without a passkey slot: NO_PASSKEY comes back over the bus', async () => {
    const { origin } = await leaderWithPasskey(false);
    const b = engineOf(origin, 'B');
    await expect(b.passkeyChallenges(WHERE)).rejects.toMatchObject({ code: 'NO_PASSKEY' });
  });

  it('a follower whose file read is refused also asks the leader while unlocked (e.g. for `current` of a key operation)', async () => {
    const { origin } = await leaderWithPasskey();
    const b = engineOf(origin, 'B');
    origin.refuseReadsWhileHeld = false;
    expect(await open(b, { password: PASSWORD })).toBe('follower');
    origin.refuseReadsWhileHeld = true;
    expect((await b.passkeyChallenges(WHERE)).map((c) => c.label)).toEqual(['alice@till-1']);
    const { recoveryKey } = await b.run('addRecoveryKey', [passkey()]);
    expect(typeof recoveryKey).toBe('string');
    await expect(b.run('addRecoveryKey', [passkey(new Uint8Array(32))])).rejects.toMatchObject({ code: 'WRONG_KEY' });
  });
});
