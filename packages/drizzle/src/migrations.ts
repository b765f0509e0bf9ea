/**
 * drizzle-kit's SQL migrations as cipherlite migration steps.
 *
 * `drizzle-kit generate` writes `<out>/meta/_journal.json` (the ordered list of migrations) and
 * one `<out>/<tag>.sql` per migration, its statements separated by `--> statement-breakpoint`.
 * Each journal entry becomes one step named by its tag, applied by `migrate` from
 * `@cipherlite/core/migrate` in one transaction and recorded in `cipherlite_migrations` (not in
 * Drizzle's `__drizzle_migrations`: use one migrator per database).
 *
 * The files are passed in, not read here, so the same code runs in the browser (a bundler's
 * `import.meta.glob('./drizzle/*.sql', { query: '?raw', import: 'default', eager: true })`) and in
 * Node (`readFileSync`).
 */
import { CipherliteError } from '@cipherlite/core/migrate';
import type { MigrationStep } from '@cipherlite/core/migrate';

/** The parts of drizzle-kit's `meta/_journal.json` that are read. */
export interface DrizzleKitJournal {
  dialect?: string;
  entries: readonly { idx: number; tag: string; breakpoints?: boolean }[];
}

const BREAKPOINT = '--> statement-breakpoint';

/** The file of `tag` among `files` (keyed by tag, `tag.sql`, or any path ending in `/tag.sql`). */
function fileOf(files: Readonly<Record<string, string>>, tag: string): string {
  for (const [name, text] of Object.entries(files)) {
    if (name === tag || name === `${tag}.sql` || name.endsWith(`/${tag}.sql`)) return text;
  }
  throw new CipherliteError('INVALID_ARGUMENT', `drizzle-kit journal names migration "${tag}" but no ${tag}.sql was given`);
}

/**
 * Steps for `migrate(db, steps)`, in journal order. Throws `INVALID_ARGUMENT` when the journal is
 * not drizzle-kit's SQLite journal or a file is missing.
 */
export function drizzleKitMigrations(journal: DrizzleKitJournal, files: Readonly<Record<string, string>>): MigrationStep[] {
  const entries: unknown = (journal as Partial<DrizzleKitJournal> | null)?.entries;
  if (typeof journal !== 'object' || journal === null || !Array.isArray(entries)) {
    throw new CipherliteError('INVALID_ARGUMENT', 'expected drizzle-kit journal (meta/_journal.json) with an entries array');
  }
  if (journal.dialect !== undefined && journal.dialect !== 'sqlite') {
    throw new CipherliteError('INVALID_ARGUMENT', `expected a drizzle-kit journal for dialect "sqlite", got "${journal.dialect}"`);
  }
  return [...(entries as DrizzleKitJournal['entries'])]
    .sort((a, b) => a.idx - b.idx)
    .map((entry) => ({
      name: entry.tag,
      sql: fileOf(files, entry.tag)
        .split(BREAKPOINT)
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    }));
}
