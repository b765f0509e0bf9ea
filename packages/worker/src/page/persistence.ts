/**
 * The browser's answer to `navigator.storage.persist()`, which arrives when it arrives: never
 * awaited by `openDatabase` (Firefox asks the user with a permission prompt and keeps the promise
 * pending until they answer, possibly forever); the handle reads it here.
 */
export class PersistenceAnswer {
  /** `null` until the browser answers, or for good when the app opted out or there is no Storage API. */
  #answer: boolean | null = null;
  readonly #listeners = new Set<(persisted: boolean) => void>();

  /** Asks (unless `wanted` is false); the answer lands here when the browser gives it. */
  constructor(wanted: boolean) {
    void askPersistence(wanted).then((answer) => this.#decided(answer));
  }

  get answer(): boolean | null {
    return this.#answer;
  }

  /** `listener` once with the answer; at once (in a microtask) if it is already known. */
  onAnswer(listener: (persisted: boolean) => void): () => void {
    const known = this.#answer;
    if (known !== null) {
      let cancelled = false;
      queueMicrotask(() => cancelled || listener(known));
      return () => void (cancelled = true);
    }
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  #decided(answer: boolean | null): void {
    if (answer === null) return;
    this.#answer = answer;
    for (const cb of [...this.#listeners]) cb(answer);
    this.#listeners.clear();
  }
}

/** Requests persistent storage; `null` when the browser cannot tell or the app opted out. */
async function askPersistence(wanted: boolean): Promise<boolean | null> {
  // Optional chaining: WebKit builds without the Storage API have no navigator.storage at all.
  const storage = navigator.storage as StorageManager | undefined;
  if (!wanted || typeof storage?.persist !== 'function') return null;
  try {
    return (await storage.persisted()) || (await storage.persist());
  } catch {
    return null;
  }
}
