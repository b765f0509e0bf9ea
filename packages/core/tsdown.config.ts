/** Builds what npm ships (see scripts/build/library-config.ts and docs/PACKAGING.md). */
import { libraryConfig } from '../../scripts/build/library-config.ts';
import { sqliteWasmBrowser } from '../../scripts/build/sqlite-wasm-browser.ts';

export default libraryConfig({
  entry: {
    index: 'src/index.ts',
    errors: 'src/errors-entry.ts',
    header: 'src/header.ts',
    storage: 'src/storage-entry.ts',
    node: 'src/node.ts',
    keys: 'src/keys/index.ts',
    'storage-conformance': 'src/storage/conformance.ts',
    internal: 'src/internal.ts',
    sync: 'src/sync/index.ts',
    replica: 'src/replica/index.ts',
    migrate: 'src/migrate/index.ts',
  },
  plugins: [sqliteWasmBrowser()],
});
