/** Builds what npm ships (see scripts/build/library-config.ts and docs/PACKAGING.md). */
import { libraryConfig } from '../../scripts/build/library-config.ts';

export default libraryConfig({ entry: { index: 'src/index.ts' } });
