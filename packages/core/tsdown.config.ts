/** Builds what npm ships (see scripts/build/library-config.ts and docs/PACKAGING.md). */
import { libraryConfig } from '../../scripts/build/library-config.ts';

export default libraryConfig({
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    keys: 'src/keys/index.ts',
    migrate: 'src/migrate/index.ts',
    'storage-conformance': 'src/storage/conformance.ts',
    internal: 'src/internal.ts',
    sync: 'src/sync/index.ts',
    replica: 'src/replica/index.ts',
  },
});
