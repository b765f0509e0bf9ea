/**
 * Secret changes reach every tab at once: after `changePassword`, `rekey` or `removeKeyslot` in
 * one tab, every other tab (the leader's included) re-proves the key material it holds; a tab
 * whose secret no longer opens the database locks (state 'locked', key wiped) instead of keeping
 * a revoked secret until its next takeover. Tabs whose secret still opens keep working.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_KDF } from '@cipherlite/core';
import type { KeyMaterial } from '@cipherlite/core';
import { WorkerEngine } from '../src/engine/engine.js';
import type { LockState } from '../src/shared/protocol.js';
import { FakeOrigin } from './fake-platform.js';

const PASSWORD = 'old password';
const NEW_PASSWORD = 'new password';

interface Tab {
  readonly engine: WorkerEngine;
  state: LockState;
}

let tabs: Tab[] = [];

afterEach(async () => {
  for (const t of tabs) await t.engine.close().catch(() => undefined);
  tabs = [];
});

async function openTab(origin: FakeOrigin, name: string, key: KeyMaterial = { password: PASSWORD }): Promise<Tab> {
  const engine = new WorkerEngine(origin.tab(name));
  const tab: Tab = { engine, state: 'unlocking' };
  tabs.push(tab);
  await engine.open({ name: 'pos', directory: 'test', kdf: MIN_KDF }, key, { lockState: (s) => void (tab.state = s), role: () => undefined, change: () => undefined, progress: () => undefined });
  tab.state = 'unlocked';
  return tab;
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function threeTabs() {
  const origin = new FakeOrigin();
  const a = await openTab(origin, 'A');
  await a.engine.run('exec', ['CREATE TABLE items(x)']);
  const b = await openTab(origin, 'B');
  const c = await openTab(origin, 'C');
  return { origin, a, b, c };
}

describe('secret changes reach every tab', () => {
  it('changePassword in a follower locks the leader and the other follower at once; the changer takes over', async () => {
    const { origin, a, b, c } = await threeTabs();
    await b.engine.run('changePassword', [{ password: PASSWORD }, { password: NEW_PASSWORD }]);
    await until(() => a.state === 'locked' && c.state === 'locked', 'A and C to lock');
    await expect(c.engine.run('query', ['SELECT 1 AS one'])).rejects.toMatchObject({ code: 'LOCKED' });
    // B held the new password: it leads now and keeps working.
    await until(() => origin.locks.holder('cipherlite:test/pos:leader') === 'B', 'B to lead');
    await b.engine.run('exec', ['INSERT INTO items VALUES (1)']);
    // The old password no longer unlocks anyone; the new one does.
    await expect(c.engine.unlock({ password: PASSWORD })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    await c.engine.unlock({ password: NEW_PASSWORD });
    expect(await c.engine.run('query', ['SELECT count(*) AS n FROM items'])).toEqual([{ n: 1 }]);
  });

  it('an unlock with the old password while the leader goes away ends in WRONG_KEY, not in a wait for a leader that never comes', async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin, 'A');
    await a.engine.run('exec', ['CREATE TABLE items(x)']);
    const b = await openTab(origin, 'B');
    await a.engine.run('changePassword', [{ password: PASSWORD }, { password: NEW_PASSWORD }]);
    await until(() => b.state === 'locked', 'B to lock');
    // B unlocks with the old password while A still leads; A dies before it answers B's proof,
    // so B's own takeover is what meets the new keyslots.
    let proofSent = false;
    origin.bus.onPost = (m, _channel, from) => {
      if (from !== 'B' || m.kind !== 'req' || m.req.op !== 'auth') return 'deliver';
      proofSent = true;
      return 'drop';
    };
    const unlocking = b.engine.unlock({ password: PASSWORD });
    await until(() => proofSent, "B's proof of its key to A");
    origin.kill('A');
    const outcome = await Promise.race([
      unlocking.then(
        () => 'unlocked',
        (e: unknown) => e,
      ),
      new Promise((r) => setTimeout(() => r('still waiting after 10 s'), 10_000)),
    ]);
    expect(outcome).toMatchObject({ code: 'WRONG_KEY' });
    await until(() => b.state === 'locked', 'B to be locked');
    origin.bus.onPost = null;
    await b.engine.unlock({ password: NEW_PASSWORD });
    expect(await b.engine.run('query', ['SELECT count(*) AS n FROM items'])).toEqual([{ n: 0 }]);
  });

  it('removeKeyslot locks the tab that unlocked with the removed recovery key; the others keep working', async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin, 'A');
    const { recoveryKey, slot } = await a.engine.run('addRecoveryKey', [{ password: PASSWORD }]);
    const r = await openTab(origin, 'R', { recoveryKey });
    const b = await openTab(origin, 'B');
    await a.engine.run('removeKeyslot', [{ password: PASSWORD }, slot.index]);
    await until(() => r.state === 'locked', 'R to lock');
    await new Promise((res) => setTimeout(res, 100)); // B's re-proof has run too
    expect(b.state).toBe('unlocked');
    expect(await b.engine.run('query', ['SELECT 1 AS one'])).toEqual([{ one: 1 }]);
    expect(a.state).toBe('unlocked');
  });

  it('rekey in the leader: tabs whose password still opens keep working', async () => {
    const { a, b, c } = await threeTabs();
    await a.engine.run('rekey', [{ password: PASSWORD }]);
    await new Promise((res) => setTimeout(res, 200)); // the re-proofs have run
    for (const t of [b, c]) {
      expect(t.state).toBe('unlocked');
      expect(await t.engine.run('query', ['SELECT count(*) AS n FROM items'])).toEqual([{ n: 0 }]);
    }
  });
});
