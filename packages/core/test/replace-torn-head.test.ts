/**
 * A rekey's copy torn inside the head of `<name>` (docs/FORMAT.md "Replacement marker"), at every
 * header field of both copies, with the marker cut, deleted or intact. The copy writes `~new`
 * over `<name>` from offset 0, so once it has started `~new` is the only complete copy: it must
 * never be deleted. The old rule judged "copy started" by the whole 8192-byte head, so a first
 * write torn inside copy B (copy A already new) with the marker cut or gone counted as "not
 * started": `~new` was discarded and the open then failed CORRUPT on every page.
 */
import { beforeAll, expect, it } from 'vitest';
import { CipherliteError, Database, MemoryStorage } from '../src/node.js';
import { rekey } from '../src/keys/index.js';
import { MAIN_HEADER_COPY_SIZE, MAIN_HEADER_SIZE } from '../src/format/constants.js';
import { content, KEY, RecordingStorage, seeded } from './keys-helpers.js';
import { expectSameFiles } from './helpers.js';

const NAME = 'a.db';
const MARKER = `${NAME}~replace`;
const NEW = `${NAME}~new`;
/** Main header fields (docs/FORMAT.md "Main database header"): offset, size. */
const FIELDS: [number, number][] = [
  [0, 8],
  [8, 2],
  [10, 1],
  [11, 1],
  [12, 4],
  [16, 16],
  [32, 8],
  [40, 4],
  [44, 4],
  [48, 8],
  [56, 1],
  [64, 1024],
  [1088, 36],
  [4048, 16],
  [4064, 32],
];

/** Cut points inside the head: each field's start, middle and end, in copy A and copy B. */
function headCuts(): number[] {
  const cuts = new Set<number>([1, MAIN_HEADER_SIZE - 1]);
  for (const base of [0, MAIN_HEADER_COPY_SIZE]) for (const [off, len] of FIELDS) for (const at of [off, off + (len >> 1), off + len]) cuts.add(base + at);
  return [...cuts].filter((c) => c > 0 && c < MAIN_HEADER_SIZE).sort((a, b) => a - b);
}

let committed: Map<string, Uint8Array>;
let before: string;
beforeAll(async () => {
  const rec = new RecordingStorage();
  let db = await seeded(rec, 60);
  before = await content(db);
  rec.start();
  db = (await rekey(db, { key: KEY })).db;
  const snaps = rec.stop();
  await db.close();
  committed = snaps.find((s) => s.label.startsWith(`write ${MARKER}`))!.files;
});

it('the copy torn at every header field of both copies, marker cut, deleted or intact: the old state, or CORRUPT with ~new and every byte kept', async () => {
  const copy = committed.get(NEW)!;
  const marker = committed.get(MARKER)!;
  const mustKeep: string[] = [];
  for (const cut of headCuts()) {
    const torn = committed.get(NAME)!.slice();
    torn.set(copy.subarray(0, cut), 0);
    for (const [how, m] of [
      ['marker cut', marker.subarray(0, marker.length >> 1)],
      ['marker deleted', null],
      ['marker intact', marker],
    ] as const) {
      const files = new Map(committed);
      files.set(NAME, torn);
      if (m === null) files.delete(MARKER);
      else files.set(MARKER, m);
      const label = `copy torn at ${cut}, ${how}`;
      const storage = MemoryStorage.from(files);
      let outcome: string;
      try {
        const db = await Database.open({ storage, name: NAME, key: KEY, create: false });
        try {
          expect(await db.get('PRAGMA integrity_check'), label).toEqual({ integrity_check: 'ok' });
          expect(await content(db), label).toBe(before);
        } finally {
          await db.close();
        }
        outcome = 'old state';
      } catch (e) {
        if (!(e instanceof CipherliteError)) throw e;
        expect(e.code, `${label}: ${e.message}`).toBe('CORRUPT');
        expectSameFiles(storage.snapshot(), files, label);
        outcome = 'CORRUPT, all kept';
      }
      // Once copy A holds the file id the copy brings, the old file is not whole: keep everything.
      if (cut >= 32 && how !== 'marker intact') mustKeep.push(`${label}: ${outcome}`);
    }
  }
  expect(mustKeep.length).toBeGreaterThan(40);
  expect(mustKeep.filter((o) => !o.endsWith('CORRUPT, all kept'))).toEqual([]);
});
