/**
 * Runs async steps one after another — a tab's open, unlock, lock and close: each starts once the
 * one before has settled, whatever its outcome, and its own caller gets its result or error.
 */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    // The chain only orders steps: `run`'s caller gets its error, the next one starts anyway.
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
