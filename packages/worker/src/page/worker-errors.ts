/**
 * The errors of the worker boundary as the page sees them: a worker script that did not load
 * (the browser says only "the worker failed"), and the worker's errors, which arrive as data
 * (`WireError`) and are rebuilt into a `CipherliteError` with their code.
 */
import { CipherliteError, fromWire, isWireError } from '@cipherlite/core/errors';

/**
 * The browser only says "the worker failed" (no URL, no status). The usual cause is the app's
 * bundler: the worker file was not emitted, or was pre-bundled away from the URL the client asks
 * for. Say so, and where the fix is, instead of a code that reads like an unsupported browser.
 */
export function workerLoadFailedMessage(detail: string): string {
  return (
    `the database worker script did not load${detail ? ` (${detail})` : ''}. ` +
    'This is usually the bundler setup: with Vite, add @cipherlite/worker, @cipherlite/core and @sqlite.org/sqlite-wasm ' +
    'to optimizeDeps.exclude; with webpack 5, keep @cipherlite/worker an ES module import so it bundles ' +
    "`new Worker(new URL('./worker.js', import.meta.url))`; or pass `worker: () => new Worker(...)` to openDatabase. " +
    'See "Install" in the cipherlite README.'
  );
}

/** The worker's errors arrive as data (`WireError`): rebuilt into a `CipherliteError` with its code. */
export function rebuild(e: unknown): unknown {
  if (isWireError(e)) return fromWire(e);
  if (e instanceof DOMException && e.name === 'DataCloneError') {
    return new CipherliteError('INVALID_ARGUMENT', `a value cannot be sent to the database worker: ${e.message}`, {}, { cause: e });
  }
  return e;
}
