/**
 * Side-file generator for a rekey's replacement (docs/FORMAT.md "Replacement marker"): the marker
 * `<name>~replace` and the copy `<name>~new`. From a scripted history (writes, rekey, writes in a
 * new session, rekey, writes) it derives
 *   - every crash point of the second rekey (after each write, truncate and delete, torn writes too);
 *   - every cut point of the marker (each JSON field's start and middle, each line end) and of
 *     `~new` (inside each header field, each slot boundary, mid-slot), at the commit point and
 *     part-way through the copy;
 *   - every single-field damage of both (with the marker's checksum recomputed, so the damage
 *     reaches the MAC and state checks, and without), padding included;
 *   - every stale version: the marker and `~new` of each earlier moment, put back after later writes;
 * and asserts the one rule: the open gives the last committed state, or a typed error with every
 * stored byte as it was (nothing written, nothing deleted).
 *
 * The Node lock file `<name>.cipherlite-lock` (storage/node-lock.ts) gets the same treatment with
 * real files and real processes: every cut of a lock file, every single-field damage, the lock of
 * an earlier (dead) holder, a lock path that is a directory, and a killed opener's `~new` lock.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CipherliteError, Database, MemoryStorage, NodeFsStorage } from '../src/node.js';
import { rekey } from '../src/keys/index.js';
import { MAIN_HEADER_COPY_SIZE, MAIN_HEADER_SIZE, SLOT_CIPHERTEXT_OFFSET, SLOT_LENGTH_OFFSET, SLOT_NONCE_OFFSET, slotSize } from '../src/format/constants.js';
import { content, KEY, RecordingStorage, seeded, type Snapshot } from './keys-helpers.js';
import { expectCode, expectSameFiles } from './helpers.js';

type Files = Map<string, Uint8Array>;
const NAME = 'a.db';
const MARKER = `${NAME}~replace`;
const NEW = `${NAME}~new`;
const PAGE = 4096;

/** Main header fields (docs/FORMAT.md "Main database header"): offset, size. */
const HEADER_FIELDS: [string, number, number][] = [
  ['magic', 0, 8],
  ['version', 8, 2],
  ['kind', 10, 1],
  ['cipher', 11, 1],
  ['block size', 12, 4],
  ['file id', 16, 16],
  ['sequence', 32, 8],
  ['next epoch', 40, 4],
  ['flags', 44, 4],
  ['created at', 48, 8],
  ['slot count', 56, 1],
  ['keyslot 0', 64, 256],
  ['checksum', 4048, 16],
  ['mac', 4064, 32],
];
/** Slot fields (docs/FORMAT.md "Slot"). */
const SLOT_FIELDS: [string, number, number][] = [
  ['epoch', 0, SLOT_LENGTH_OFFSET],
  ['length', SLOT_LENGTH_OFFSET, 4],
  ['nonce', SLOT_NONCE_OFFSET, 12],
  ['ciphertext', SLOT_CIPHERTEXT_OFFSET, PAGE],
  ['tag', SLOT_CIPHERTEXT_OFFSET + PAGE, 16],
];

interface History {
  /** Crash points of the second rekey, with the state each must show. */
  crashes: Snapshot[];
  stateBeforeRekey2: string;
  /** The files at the second rekey's commit point (marker durable, copy not started). */
  committed: Files;
  /** Part-way through the copy (half of the first write over the main file after the commit point). */
  midCopy: Files;
  /** Every moment of both rekeys that had a marker or a copy. */
  sideFileMoments: Snapshot[];
  finalFiles: Files;
  finalState: string;
}

async function script(): Promise<History> {
  const rec = new RecordingStorage();
  let db = await seeded(rec, 60);
  await db.exec("UPDATE t SET v = 'before rekey 1 ' || id WHERE id % 3 = 0");
  rec.start({ torn: true });
  db = (await rekey(db, { key: KEY })).db;
  const moments = rec.stop().slice();
  await db.exec("UPDATE t SET v = 'after rekey 1 ' || id WHERE id % 5 = 0");
  await db.close();
  db = await Database.open({ storage: rec, name: NAME, key: KEY, create: false });
  await db.exec("INSERT INTO t(id, v, b) VALUES (1000, 'new session', x'00')");
  const stateBeforeRekey2 = await content(db);
  rec.start({ torn: true });
  db = (await rekey(db, { key: KEY })).db;
  const crashes = rec.stop().slice();
  await db.exec("UPDATE t SET v = 'after rekey 2 ' || id WHERE id % 7 = 0");
  const finalState = await content(db);
  await db.close();
  const markerWrite = crashes.findIndex((s) => s.label.startsWith(`write ${MARKER}`));
  // The torn first write over the main file: its first half copied, the rest still old.
  const copyWrite = crashes.findIndex((s, i) => i > markerWrite && s.label.startsWith(`torn write ${NAME}@`));
  expect(markerWrite).toBeGreaterThan(0);
  expect(copyWrite).toBeGreaterThan(markerWrite);
  return {
    crashes,
    stateBeforeRekey2,
    committed: crashes[markerWrite]!.files,
    midCopy: crashes[copyWrite]!.files,
    sideFileMoments: [...moments, ...crashes].filter((s) => s.files.has(MARKER) || s.files.has(NEW)),
    finalFiles: rec.inner.snapshot(),
    finalState,
  };
}

/** The rule: the last committed state (integrity ok), or a typed error with every byte kept. */
async function expectCommittedOrRefused(files: Files, expected: string, label: string): Promise<string> {
  const storage = MemoryStorage.from(files);
  let outcome: string;
  try {
    const db = await Database.open({ storage, name: NAME, key: KEY, create: false });
    try {
      expect(await db.get('PRAGMA integrity_check'), label).toEqual({ integrity_check: 'ok' });
      expect(await content(db), label).toBe(expected);
    } finally {
      await db.close();
    }
    outcome = 'state';
  } catch (e) {
    if (!(e instanceof CipherliteError)) throw e;
    expect(['CORRUPT', 'NOT_A_DATABASE'], `${label}: ${e.message}`).toContain(e.code);
    expectSameFiles(storage.snapshot(), files, label);
    outcome = e.code;
  }
  return outcome;
}

function withFile(files: Files, name: string, bytes: Uint8Array | null): Files {
  const out = new Map(files);
  if (bytes === null) out.delete(name);
  else out.set(name, bytes);
  return out;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Cut points of a marker, from its shape: each field's start and middle, each line end, the ends. */
function markerCuts(marker: Uint8Array): number[] {
  const s = text(marker);
  const cuts = new Set<number>([0, 1, marker.length - 1]);
  for (const m of s.matchAll(/"(\w+)":/g)) {
    cuts.add(m.index);
    const valueStart = m.index + m[0].length;
    const next = s.indexOf(',"', valueStart);
    cuts.add(Math.floor((valueStart + (next < 0 ? s.indexOf('\n') : next)) / 2));
  }
  const nl = s.indexOf('\n');
  for (const c of [nl, nl + 1, nl + 33]) cuts.add(c);
  return [...cuts].filter((c) => c >= 0 && c < marker.length).sort((a, b) => a - b);
}

/** One damaged variant of the marker per field, checksum recomputed (`sealed`) and not. */
function markerDamage(marker: Uint8Array): [string, Uint8Array][] {
  const [body] = text(marker).split('\n') as [string];
  const m = JSON.parse(body) as Record<string, unknown> & { macs: Record<string, string>; sha256: string; replaces: string };
  const flipHex = (h: string): string => (h[0] === '0' ? '1' : '0') + h.slice(1);
  const variants: [string, Record<string, unknown>][] = [
    ['format', { ...m, format: 'cipherlite-replace-x' }],
    ['version', { ...m, version: 2 }],
    ['source', { ...m, source: 'other.db~new' }],
    ['size', { ...m, size: (m.size as number) + 1 }],
    ['sha256', { ...m, sha256: flipHex(m.sha256) }],
    ['replaces', { ...m, replaces: flipHex(m.replaces) }],
    ['mac values', { ...m, macs: Object.fromEntries(Object.entries(m.macs).map(([k, v]) => [k, flipHex(v)])) }],
    ['mac file id', { ...m, macs: Object.fromEntries(Object.entries(m.macs).map(([k, v]) => [flipHex(k), v])) }],
    ['macs empty', { ...m, macs: {} }],
  ];
  const out: [string, Uint8Array][] = [];
  for (const [field, v] of variants) {
    const b = JSON.stringify(v);
    out.push([`${field} (sealed)`, bytes(`${b}\n${hexOf(sha256(bytes(b)))}\n`)]);
    out.push([`${field} (checksum stale)`, bytes(`${b}\n${text(marker).split('\n')[1]!}\n`)]);
  }
  out.push(['checksum flipped', Uint8Array.from(marker, (x, i) => (i === body.length + 5 ? x ^ 1 : x))]);
  out.push(['padded with a line end', bytes(`${text(marker)}\n`)]);
  out.push(['padded with spaces', bytes(`${text(marker)}    `)]);
  out.push(['padded to 5000 bytes', bytes(text(marker).padEnd(5000, ' '))]);
  out.push(['body byte flipped', Uint8Array.from(marker, (x, i) => (i === 3 ? x ^ 0x20 : x))]);
  return out;
}

/** Cut points of `~new`: inside each header field, each slot boundary, mid-slot. */
function copyCuts(size: number): number[] {
  const cuts = new Set<number>([0]);
  for (const [, off, len] of HEADER_FIELDS) cuts.add(off + Math.floor(len / 2));
  cuts.add(MAIN_HEADER_COPY_SIZE);
  for (let at = MAIN_HEADER_SIZE; at < size; at += slotSize(PAGE)) {
    cuts.add(at);
    for (const [, off, len] of SLOT_FIELDS) cuts.add(at + off + Math.floor(len / 2));
  }
  cuts.add(size - 1);
  return [...cuts].filter((c) => c < size).sort((a, b) => a - b);
}

/** One byte flipped in each header field of both copies and each field of the first and last slot. */
function copyDamage(copy: Uint8Array): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const flip = (at: number): Uint8Array => Uint8Array.from(copy, (x, i) => (i === at ? x ^ 0x01 : x));
  for (const base of [0, MAIN_HEADER_COPY_SIZE]) for (const [field, off, len] of HEADER_FIELDS) out.push([`header@${base} ${field}`, flip(base + off + (len >> 1))]);
  const slots = (copy.length - MAIN_HEADER_SIZE) / slotSize(PAGE);
  for (const slot of [0, slots - 1]) for (const [field, off, len] of SLOT_FIELDS) out.push([`slot ${slot} ${field}`, flip(MAIN_HEADER_SIZE + slot * slotSize(PAGE) + off + (len >> 1))]);
  return out;
}

describe('replacement side files: cut, stale or damaged → last committed state or a typed error, nothing touched', () => {
  let h: History;
  beforeAll(async () => {
    h = await script();
  }, 60_000);

  it('every crash point of a rekey (torn writes too) opens the committed state', async () => {
    expect(h.crashes.length).toBeGreaterThan(20);
    for (const snap of h.crashes) expect(await expectCommittedOrRefused(snap.files, h.stateBeforeRekey2, snap.label), snap.label).toBe('state');
  });

  it('every cut of the marker, at the commit point and part-way through the copy', async () => {
    const outcomes = new Set<string>();
    for (const [moment, files] of [
      ['committed', h.committed],
      ['mid-copy', h.midCopy],
    ] as const) {
      const marker = files.get(MARKER)!;
      for (const cut of markerCuts(marker)) {
        const label = `${moment}: marker cut at ${cut} of ${marker.length}`;
        outcomes.add(`${moment}:${await expectCommittedOrRefused(withFile(files, MARKER, marker.subarray(0, cut)), h.stateBeforeRekey2, label)}`);
      }
      outcomes.add(`${moment}:${await expectCommittedOrRefused(withFile(files, MARKER, null), h.stateBeforeRekey2, `${moment}: marker deleted`)}`);
    }
    // Part-way through the copy the marker is the only record that `~new` is the database: cut
    // or gone, the files are kept and the open refuses.
    expect([...outcomes].filter((o) => o.startsWith('mid-copy'))).toEqual(['mid-copy:CORRUPT']);
  });

  it('every single-field damage of the marker', async () => {
    for (const [moment, files] of [
      ['committed', h.committed],
      ['mid-copy', h.midCopy],
    ] as const) {
      for (const [what, damaged] of markerDamage(files.get(MARKER)!)) {
        const label = `${moment}: marker ${what}`;
        expect(await expectCommittedOrRefused(withFile(files, MARKER, damaged), h.stateBeforeRekey2, label), label).toBe('CORRUPT');
      }
    }
  });

  it('every cut and every single-field damage of ~new', async () => {
    for (const [moment, files] of [
      ['committed', h.committed],
      ['mid-copy', h.midCopy],
    ] as const) {
      const copy = files.get(NEW)!;
      for (const cut of copyCuts(copy.length)) {
        const label = `${moment}: ~new cut at ${cut}`;
        expect(await expectCommittedOrRefused(withFile(files, NEW, copy.subarray(0, cut)), h.stateBeforeRekey2, label), label).toBe('CORRUPT');
      }
      for (const [what, damaged] of copyDamage(copy)) {
        const label = `${moment}: ~new ${what}`;
        expect(await expectCommittedOrRefused(withFile(files, NEW, damaged), h.stateBeforeRekey2, label), label).toBe('CORRUPT');
      }
      expect(await expectCommittedOrRefused(withFile(files, NEW, null), h.stateBeforeRekey2, `${moment}: ~new deleted`)).toBe('CORRUPT');
    }
  });

  it('a marker or ~new next to a database that is missing or empty: creating refuses (CORRUPT), nothing created', async () => {
    for (const [what, files] of [
      ['marker and ~new', new Map([...h.committed].filter(([n]) => n !== NAME))],
      ['~new alone', new Map([[NEW, h.committed.get(NEW)!]])],
      [
        'marker alone, empty main',
        new Map([
          [NAME, new Uint8Array(0)],
          [MARKER, h.committed.get(MARKER)!],
        ]),
      ],
    ] as const) {
      const storage = MemoryStorage.from(files);
      const e = await expectCode(Database.open({ storage, name: NAME, key: KEY }), 'CORRUPT');
      expect(e.details.files, what).toContain(NAME);
      expectSameFiles(storage.snapshot(), files, what);
    }
  });

  it('every stale marker and ~new, put back after later writes, is never applied', async () => {
    expect(h.sideFileMoments.length).toBeGreaterThan(20);
    const planted = new Set<string>();
    for (const moment of h.sideFileMoments) {
      const marker = moment.files.get(MARKER) ?? null;
      const copy = moment.files.get(NEW) ?? null;
      const variants: [string, Uint8Array | null, Uint8Array | null][] = [
        ['marker and ~new', marker, copy],
        ['marker alone', marker, null],
        ['~new alone', null, copy],
      ];
      for (const [what, m, c] of variants) {
        if (m === null && c === null) continue;
        const key = `${m ? hexOf(sha256(m)) : '-'}:${c ? hexOf(sha256(c)) : '-'}`;
        if (planted.has(key)) continue;
        planted.add(key);
        const files = withFile(withFile(h.finalFiles, MARKER, m), NEW, c);
        await expectCommittedOrRefused(files, h.finalState, `${what} of "${moment.label}" put back after later writes`);
      }
    }
  });
});

const HERE = dirname(fileURLToPath(import.meta.url));
const LOCK = `${NAME}.cipherlite-lock`;
/** `place` puts a directory, not a file, at the lock path. */
const DIRECTORY = Symbol('directory');

/** Every file of `dir` with its bytes (directories as a marker), for before/after comparison. */
function dirState(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true })) out.set(e.name, e.isDirectory() ? '<dir>' : hexOf(sha256(readFileSync(join(dir, e.name)))));
  return out;
}

function run(args: string[]): Promise<number> {
  const child = spawn(process.execPath, args, { cwd: join(HERE, '..', '..', '..'), stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString().includes('open\n')) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve(child.pid!));
  });
}

describe('Node lock file: cut, stale or damaged → the database opens or BUSY/IO with nothing touched', () => {
  const root = mkdtempSync(join(tmpdir(), 'cl-lockgen-'));
  let template: Map<string, Uint8Array>;
  let deadPid: number;
  let n = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(async () => {
    const dir = join(root, 'template');
    mkdirSync(dir);
    const db = await Database.open({ storage: new NodeFsStorage(dir), name: NAME, key: KEY });
    await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL, b BLOB); INSERT INTO t VALUES (1, 'one', x'01')");
    await db.close();
    template = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    // A process that has exited: the holder named by a stale lock.
    deadPid = await run(['-e', '']);
  }, 60_000);

  /** A fresh copy of the database with `lock` (bytes, or a directory) at the lock path. */
  function place(lock: string | Uint8Array | typeof DIRECTORY, ageMs = 0): string {
    const dir = join(root, `case-${n++}`);
    mkdirSync(dir);
    for (const [f, b] of template) writeFileSync(join(dir, f), b);
    const p = join(dir, LOCK);
    if (lock === DIRECTORY) mkdirSync(p);
    else writeFileSync(p, lock);
    if (ageMs > 0) utimesSync(p, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
    return dir;
  }

  /** Opens or refuses; a refusal must be BUSY/IO with the directory exactly as it was. */
  async function outcome(dir: string, label: string): Promise<string> {
    const before = dirState(dir);
    let db: Database;
    try {
      db = await Database.open({ storage: new NodeFsStorage(dir), name: NAME, key: KEY, create: false });
    } catch (e) {
      if (!(e instanceof CipherliteError)) throw e;
      expect(['BUSY', 'IO'], `${label}: ${e.message}`).toContain(e.code);
      expect(dirState(dir), label).toEqual(before);
      return e.code;
    }
    expect(await db.get('SELECT v FROM t WHERE id = 1'), label).toEqual({ v: 'one' });
    await db.close();
    // Broken cleanly: no lock and no moved-aside lock left behind.
    expect(
      readdirSync(dir).filter((f) => f.includes('lock')),
      label,
    ).toEqual([]);
    return 'open';
  }

  const lockOf = (o: Record<string, unknown>): string => JSON.stringify(o);

  it('every cut of a lock file: BUSY while it may still be being written, broken once old', async () => {
    const lock = lockOf({ pid: deadPid, host: hostname(), since: Date.now() });
    for (let cut = 0; cut < lock.length; cut++) {
      expect(await outcome(place(lock.slice(0, cut)), `cut ${cut}, fresh`), `cut ${cut}`).toBe('BUSY');
      expect(await outcome(place(lock.slice(0, cut), 60_000), `cut ${cut}, a minute old`), `cut ${cut}`).toBe('open');
    }
  });

  it('every single-field damage: a pid that is not a positive integer is no holder; another host is never broken', async () => {
    const good = { pid: deadPid, host: hostname(), since: Date.now() };
    const damaged: [string, unknown][] = [
      ['pid', 0],
      ['pid', -1],
      ['pid', -2],
      ['pid', 1.5],
      ['pid', '1'],
      ['pid', null],
      ['pid', 2 ** 53],
      ['pid', 1e308],
      ['pid', undefined],
      ['host', 7],
      ['host', undefined],
      ['since', 'yesterday'],
      ['since', null],
      ['since', 2 ** 64],
      ['since', -1e308],
    ];
    for (const [field, value] of damaged) {
      const label = `${field} = ${String(value)}`;
      expect(await outcome(place(lockOf({ ...good, [field]: value })), label), label).toBe('open');
    }
    for (const whole of ['null', '[]', '42', '"pid"', '{}']) expect(await outcome(place(whole), whole), whole).toBe('open');
    const elsewhere = lockOf({ ...good, host: `${hostname()}-elsewhere` });
    expect(await outcome(place(elsewhere), 'another host')).toBe('BUSY');
  });

  it("stale versions: the lock of an earlier, dead holder and this process's own unheld lock are broken", async () => {
    expect(await outcome(place(lockOf({ pid: deadPid, host: hostname(), since: Date.now() - 1000 })), 'dead holder')).toBe('open');
    expect(await outcome(place(lockOf({ pid: process.pid, host: hostname(), since: Date.now() })), 'this process, not held')).toBe('open');
  });

  it('a lock path that is a directory: IO, the directory kept, nothing moved aside', async () => {
    for (const age of [0, 60_000]) expect(await outcome(place(DIRECTORY, age), `directory, age ${age}`)).toBe('IO');
  });

  it("a killed opener of ~new (a rekey's copy) leaves no lock behind once recovery discards ~new", async () => {
    const dir = place(lockOf({ pid: deadPid, host: hostname(), since: Date.now() }));
    rmSync(join(dir, LOCK));
    await run(['--import', 'tsx', join(HERE, 'fixtures', 'hold-database.ts'), dir, NEW]);
    expect(existsSync(join(dir, `${NEW}.cipherlite-lock`))).toBe(true);
    expect(await outcome(dir, 'killed ~new opener')).toBe('open');
    expect(readdirSync(dir).filter((f) => f.includes('~') || f.includes('lock'))).toEqual([]);
  });
});
