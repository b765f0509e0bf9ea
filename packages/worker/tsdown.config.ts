/** Builds what npm ships (see scripts/build/library-config.ts and docs/PACKAGING.md). */
import type { Plugin } from 'rolldown';
import { libraryConfig } from '../../scripts/build/library-config.ts';

/** How src/page/connection.ts and src/page/broker-port.ts name the worker entries (the database worker, the broker's SharedWorker), and what they are called once built. */
const ENTRY_URLS = [
  ["new URL('../worker.ts', import.meta.url)", "new URL('./worker.js', import.meta.url)"],
  ["new URL('../broker.ts', import.meta.url)", "new URL('./broker.js', import.meta.url)"],
] as const;
/** The file that spawns each entry of `ENTRY_URLS`. */
const ENTRY_FILES = ['src/page/connection.ts', 'src/page/broker-port.ts'] as const;

/**
 * In the workspace the client (`src/page/`) spawns `../worker.ts` (Vite and Vitest compile it); in `dist/` the
 * same expression must name the built `worker.js` beside it, still as a literal
 * `new Worker(new URL('./…', import.meta.url))`, the form Vite and webpack 5 detect and bundle
 * (and the same for the broker's `new SharedWorker(new URL('./broker.js', …))`).
 * Fails the build if the expression moved, rather than shipping a client that spawns a `.ts`.
 */
function pointClientAtBuiltWorker(): Plugin {
  return {
    name: 'cipherlite:point-client-at-built-worker',
    transform(code, id) {
      const file = ENTRY_FILES.find((f) => id.endsWith(`/${f}`));
      if (!file) return null;
      const [source, built] = ENTRY_URLS[ENTRY_FILES.indexOf(file)]!;
      if (!code.includes(source)) this.error(`${file} no longer contains ${source}`);
      return { code: code.replaceAll(source, built), map: null };
    },
  };
}

export default libraryConfig({
  entry: { index: 'src/index.ts', worker: 'src/worker.ts', broker: 'src/broker.ts', protocol: 'src/shared/protocol.ts', 'opfs-storage': 'src/engine/storage/opfs.ts' },
  plugins: [pointClientAtBuiltWorker()],
});
