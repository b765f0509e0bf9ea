/** Scheduler: one job at a time, FIFO, transactions exclusive, shutdown semantics. */
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../src/engine/leader/scheduler.js';

const tick = () => new Promise((r) => setTimeout(r, 0));
const stale = (id: number) => new Error(`stale ${id}`);

describe('Scheduler', () => {
  it('runs jobs one at a time in arrival order', async () => {
    const s = new Scheduler(stale);
    const log: string[] = [];
    let running = 0;
    const job = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([s.enqueue(job('a')), s.enqueue(job('b')), s.enqueue(job('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('while a transaction is open, only its jobs run; the rest wait until it ends', async () => {
    const s = new Scheduler(stale);
    const log: string[] = [];
    await s.enqueue(async () => s.enterTx(7));
    const outside = s.enqueue(async () => log.push('outside'));
    await s.enqueue(async () => log.push('in tx 1'), 7);
    await s.enqueue(async () => log.push('in tx 2'), 7);
    expect(log).toEqual(['in tx 1', 'in tx 2']);
    s.leaveTx(7);
    await outside;
    expect(log).toEqual(['in tx 1', 'in tx 2', 'outside']);
  });

  it('a job naming a transaction that is not open fails with the stale error', async () => {
    const s = new Scheduler(stale);
    await expect(s.enqueue(async () => 1, 3)).rejects.toThrow('stale 3');
  });

  it('a failing job rejects its caller only; the queue goes on', async () => {
    const s = new Scheduler(stale);
    const bad = s.enqueue(async () => {
      throw new Error('boom');
    });
    const good = s.enqueue(async () => 'ok');
    await expect(bad).rejects.toThrow('boom');
    await expect(good).resolves.toBe('ok');
  });

  it('shutdown lets the running job finish, rejects queued and new jobs, and reports start only for run jobs', async () => {
    const s = new Scheduler(stale);
    const started: string[] = [];
    let release!: () => void;
    const running = s.enqueue(
      () => new Promise<string>((r) => (release = () => r('done'))),
      undefined,
      () => started.push('running'),
    );
    const queued = s.enqueue(
      async () => 'never',
      undefined,
      () => started.push('queued'),
    );
    const reason = new Error('stepping down');
    const down = s.shutdown(reason);
    await expect(queued).rejects.toBe(reason);
    release();
    await expect(running).resolves.toBe('done');
    await down;
    await expect(s.enqueue(async () => 1)).rejects.toBe(reason);
    expect(started).toEqual(['running']);
  });
});
