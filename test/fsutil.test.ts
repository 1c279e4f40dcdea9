// Locks, bounded reads and the records read back (lib/fsutil.ts), under every mutating command.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseRecord, readBounded, withLock } from '../lib/fsutil';
import { expectCode } from './helpers/caught';
import { cleanup, tempDir } from './helpers/cli';

let dir: string;
beforeEach(async () => (dir = await tempDir()));
afterEach(() => cleanup(dir));

describe('withLock', () => {
  it('runs the body holding the lock, and removes it afterwards, also when the body fails', async () => {
    expect(await withLock(dir, async () => (await fs.readFile(path.join(dir, '.lock'), 'utf8')).trim())).toBe(String(process.pid));
    await expect(withLock(dir, async () => Promise.reject(new Error('body failed')))).rejects.toThrow('body failed');
    await expect(fs.stat(path.join(dir, '.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('LOCKED: a lock held by a live process, refused at once with its pid, or after waiting', async () => {
    await withLock(dir, async () => {
      const error = await expectCode(withLock(dir, async () => 'never'), 'LOCKED');
      expect(error.message).toBe(`${dir} is locked by process ${process.pid} (${path.join(dir, '.lock')})`);
      await expectCode(withLock(dir, async () => 'never', { waitMs: 50 }), 'LOCKED');
    });
  });

  it('waits for a lock released meanwhile', async () => {
    let inside!: () => void;
    let release!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holding = withLock(dir, async () => {
      inside();
      await gate;
    });
    await entered;
    const waiting = withLock(dir, async () => 'got it', { waitMs: 60_000 });
    release();
    await holding;
    expect(await waiting).toBe('got it');
  });

  it('takes over the lock of a process that died', async () => {
    // A pid that cannot be running: above the kernel's limit.
    await fs.writeFile(path.join(dir, '.lock'), '4194305\n');
    expect(await withLock(dir, async () => 'taken over')).toBe('taken over');
  });
});

describe('readBounded', () => {
  it('reads a file up to the limit, and refuses one byte more (TOO_LARGE), or a missing file (IO_ERROR)', async () => {
    const file = path.join(dir, 'data');
    await fs.writeFile(file, 'x'.repeat(10));
    expect((await readBounded(file, 10)).toString()).toBe('x'.repeat(10));
    await expectCode(readBounded(file, 9), 'TOO_LARGE');
    await expectCode(readBounded(path.join(dir, 'missing'), 10), 'IO_ERROR');
  });
});

describe('parseRecord', () => {
  const proof = (text: string) => parseRecord(text, (r) => ({ signer: r.string('signer'), signed: r.time('signed'), count: r.count('count'), note: r.optionalString('note') }));

  it('gives the fields as pkgkeys wrote them; an optional one may be null or absent', () => {
    const fields = { signer: 'A'.repeat(40), signed: new Date('2026-01-01T00:00:00Z'), count: 3 };
    expect(proof(JSON.stringify({ ...fields, note: 'n' }))).toEqual({ ...fields, note: 'n' });
    expect(proof(JSON.stringify({ ...fields, note: null }))).toEqual({ ...fields, note: null });
    expect(proof(JSON.stringify(fields))).toEqual({ ...fields, note: null });
  });

  it.each([
    ['not JSON', '{"signer": '],
    ['no object', '[]'],
    ['null', 'null'],
    ['a field missing', '{"signed": "2026-01-01T00:00:00Z", "count": 3}'],
    ['a time that is none', '{"signer": "A", "signed": "yesterday", "count": 3}'],
    ['a count that is no whole number', '{"signer": "A", "signed": "2026-01-01T00:00:00Z", "count": 1.5}'],
    ['a count below zero', '{"signer": "A", "signed": "2026-01-01T00:00:00Z", "count": -1}'],
    ['an optional field of another type', '{"signer": "A", "signed": "2026-01-01T00:00:00Z", "count": 3, "note": 5}'],
  ])('is null for any damage: %s', (_what, text) => {
    expect(proof(text)).toBeNull();
  });

  it('reads an array of objects, each field typed; anything else in it is damage', () => {
    const keys = (text: string) => parseRecord(text, (r) => r.objects('keys').map((k) => k.string('key')));
    expect(keys('{"keys": [{"key": "A"}, {"key": "B"}]}')).toEqual(['A', 'B']);
    expect(keys('{"keys": []}')).toEqual([]);
    for (const damaged of ['{}', '{"keys": {"key": "A"}}', '{"keys": [null]}', '{"keys": ["A"]}', '{"keys": [{"key": 1}]}']) expect(keys(damaged)).toBeNull();
  });
});
