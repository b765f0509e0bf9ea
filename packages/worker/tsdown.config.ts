/** Builds what npm ships (see scripts/build/library-config.ts and docs/PACKAGING.md). */
import type { Plugin } from 'rolldown';
import { libraryConfig } from '../../scripts/build/library-config.ts';

/** How src/page/connection.ts names the worker entry, and what that file is called once built. */
const WORKER_SOURCE_URL = "new URL('../worker.ts', import.meta.url)";
const WORKER_BUILT_URL = "new URL('./worker.js', import.meta.url)";

/**
 * In the workspace the client (`src/page/`) spawns `../worker.ts` (Vite and Vitest compile it); in `dist/` the
 * same expression must name the built `worker.js` beside it, still as a literal
 * `new Worker(new URL('./…', import.meta.url))`, the form Vite and webpack 5 detect and bundle.
 * Fails the build if the expression moved, rather than shipping a client that spawns a `.ts`.
 */
function pointClientAtBuiltWorker(): Plugin {
  return {
    name: 'cipherlite:point-client-at-built-worker',
    transform(code, id) {
      if (!id.endsWith('/src/page/connection.ts')) return null;
      if (!code.includes(WORKER_SOURCE_URL)) this.error(`src/page/connection.ts no longer contains ${WORKER_SOURCE_URL}`);
      return { code: code.replaceAll(WORKER_SOURCE_URL, WORKER_BUILT_URL), map: null };
    },
  };
}

export default libraryConfig({
  entry: { index: 'src/index.ts', worker: 'src/worker.ts', protocol: 'src/shared/protocol.ts', 'opfs-storage': 'src/engine/storage/opfs.ts' },
  plugins: [pointClientAtBuiltWorker()],
});
