/**
 * Minimal TypeScript loader for running bench scripts on Node 20, which has no
 * `--experimental-strip-types`: `node --import ./bench/register-ts.mjs bench/aes-gcm.ts`.
 * The hooks (ts-hooks.mjs) transpile `.ts` with the repo's `typescript` (types are erased, not
 * checked) and resolve the `./x.js` specifiers used in src/ to the `./x.ts` files beside them.
 */
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
