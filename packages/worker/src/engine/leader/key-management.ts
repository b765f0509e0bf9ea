/**
 * Key management, backups and plaintext import/export in the worker: the operations a database
 * runs rarely, kept in a chunk of their own that the engine loads on the first such call
 * (`loadKeyManagement` in ops.ts). Opening, unlocking and SQL never wait for it; the chunk brings
 * `@cipherlite/core/keys` (rekey, keyslots, backup/restore, verify, import/export) with it. The
 * lint rules of scripts/eslint-threads.mjs refuse a static import of this file or of core/keys
 * elsewhere in the engine, which would pull the whole chunk back into the worker's main one.
 */
import * as keys from '@cipherlite/core/keys';
import { readBackup } from './backup-file.js';
import type { Await, OpContext, SqlOp, TableOp } from './op-context.js';
import type { OpArgs, OpResult } from '../../shared/protocol.js';
import { wipeKeyMaterial } from '../runtime/secret.js';

/** The table operations that are not SQL (`SQL_OPS`): the compiler refuses a table without every one. */
export type KeyOp = Exclude<TableOp, SqlOp>;

export const KEY_OPS: { [K in KeyOp]: (c: OpContext, ...args: OpArgs<K>) => Await<OpResult<K>> } = {
  changePassword: (c, current, next, options) =>
    keys.changePassword(c.db, current, next, options).finally(() => {
      wipeKeyMaterial(current);
      wipeKeyMaterial(next);
    }),
  listKeyslots: (c) => keys.listKeyslots(c.db),
  addRecoveryKey: (c, current) => keys.addRecoveryKey(c.db, current).finally(() => wipeKeyMaterial(current)),
  removeKeyslot: (c, current, index) => keys.removeKeyslot(c.db, current, index).finally(() => wipeKeyMaterial(current)),
  addPasskey: (c, current, passkey) =>
    keys.addPasskey(c.db, current, passkey).finally(() => {
      wipeKeyMaterial(current);
      if (passkey?.prfOutput instanceof Uint8Array) passkey.prfOutput.fill(0);
    }),
  exportPlaintext: (c) => keys.exportPlaintext(c.db, c.call),
  verify: (c) => keys.verify(c.db, c.call),
  stats: (c) => keys.stats(c.db),
  backup: (c, current, options) => keys.backup(c.db, current, { ...options, ...c.call }).finally(() => wipeKeyMaterial(current)),
  inspectBackup: async (c, bytes, secret) => {
    try {
      return c.restores.add(await keys.inspectBackup(c.db, bytes, secret));
    } finally {
      wipeKeyMaterial(secret);
    }
  },
  confirmRestore: (c, id, current, options) => c.restores.confirm(id, current, { ...options, ...c.call }).finally(() => wipeKeyMaterial(current)),
  cancelRestore: (c, id) => c.restores.cancel(id),
  listBackups: (c) => keys.listBackups(c.db.storage, c.db.name),
  pruneBackups: (c, keep) => keys.pruneBackups(c.db.storage, c.db.name, keep),
  readBackup: (c, name) => readBackup(c.db.storage, c.db.name, name),
};

/** What the leader (`rekey`) and a new database (`importDatabase`) call outside the table. */
export { importPlaintext, rekey } from '@cipherlite/core/keys';
