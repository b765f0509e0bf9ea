/**
 * `@cipherlite/core/errors` — the error type, its codes and the wire form, plus the types a
 * caller passes or gets back, without `Database`. Nothing reachable from here imports
 * `@sqlite.org/sqlite-wasm`: a page that only talks to a worker imports these from here and
 * downloads no SQLite (checked over the built packages, see docs/PACKAGING.md). The same names
 * are exported by `@cipherlite/core`, so `instanceof CipherliteError` holds across both.
 */
export { CipherliteError, ERROR_CODES, fromWire, isCipherliteError, isWireError, toWire, type ErrorCode, type ErrorDetails, type WireError } from './errors.js';
export type {
  BindParams,
  ChangeListener,
  JournalMode,
  KdfParams,
  KeyMaterial,
  PasskeyAssertion,
  Row,
  RunResult,
  SqlValue,
  StatementTables,
  LockState,
  Transaction,
  TransactionBehavior,
  ValuesResult,
} from './types.js';
