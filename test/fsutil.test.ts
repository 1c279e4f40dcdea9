// Locks, bounded reads, spools and the records read back (lib/fsutil.ts), under every mutating command.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BoundedFile, Spool, parseRecord, readBounded, withLock } from '../lib/fsutil';
import { expectCode } from './helpers/caught';
import { cleanup, tempDir } from './helpers/cli';

let dir: string;
beforeEach(async () => (dir = await tempDir()));
afterEach(() => cleanup(dir));

describe('withLock', () => {
  it('runs the body holding the lock, and removes it afterwards, also when the body fails', async () => {
    expect(await withLock(dir, async () => (await fs.readFile(path.join(dir, '.lock'), 'utf8')).trim())).toBe(
      String(process.pid),
    );
    await expect(withLock(dir, async () => Promise.reject(new Error('body failed')))).rejects.toThrow('body failed');
    await expect(fs.stat(path.join(dir, '.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('LOCKED: a lock held by a live process, refused at once with its pid, or after waiting', async () => {
    await withLock(dir, async () => {
      const error = await expectCode(
        withLock(dir, async () => 'never'),
        'LOCKED',
      );
      expect(error.message).toBe(`${dir} is locked by process ${process.pid} (${path.join(dir, '.lock')})`);
      await expectCode(
        withLock(dir, async () => 'never', { waitMs: 50 }),
        'LOCKED',
      );
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
  const proof = (text: string) =>
    parseRecord(text, (r) => ({
      signer: r.string('signer'),
      signed: r.time('signed'),
      count: r.count('count'),
      note: r.optionalString('note'),
    }));

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
    for (const damaged of [
      '{}',
      '{"keys": {"key": "A"}}',
      '{"keys": [null]}',
      '{"keys": ["A"]}',
      '{"keys": [{"key": 1}]}',
    ])
      expect(keys(damaged)).toBeNull();
  });
});

/** 2.5 MiB that differ from one mebibyte to the next. */
const BIG = Buffer.from(Array.from({ length: 5 << 19 }, (_, i) => (i * 7 + (i >> 20)) & 0xff));

describe('BoundedFile', () => {
  it('reads in chunks of one buffer what read() reads whole, and its head', async () => {
    const file = path.join(dir, 'big');
    await fs.writeFile(file, BIG);
    const opened = await BoundedFile.open(file, BIG.length);
    try {
      const chunks: Buffer[] = [];
      const buffers = new Set<ArrayBufferLike>();
      for await (const chunk of opened.chunks()) {
        chunks.push(Buffer.from(chunk));
        buffers.add(chunk.buffer);
      }
      expect(chunks.length).toBeGreaterThan(1);
      expect(buffers.size).toBe(1);
      expect(Buffer.concat(chunks).equals(BIG)).toBe(true);
      expect((await opened.read()).equals(BIG)).toBe(true);
      expect((await opened.head(8)).equals(BIG.subarray(0, 8))).toBe(true);
    } finally {
      await opened.close();
    }
  });

  it('IO_ERROR: a file that grows while its chunks are read is not read past the size it had', async () => {
    const file = path.join(dir, 'growing');
    await fs.writeFile(file, BIG);
    const opened = await BoundedFile.open(file, 2 * BIG.length);
    try {
      const read = (async () => {
        for await (const _chunk of opened.chunks()) await fs.appendFile(file, 'more');
      })();
      await expect(read).rejects.toMatchObject({
        code: 'IO_ERROR',
        message: `cannot read ${file}: the file changed while it was read`,
      });
    } finally {
      await opened.close();
    }
  });

  it('refuses what readBounded refuses, before reading: a file over the limit, a directory', async () => {
    const file = path.join(dir, 'data');
    await fs.writeFile(file, 'x'.repeat(10));
    await expectCode(BoundedFile.open(file, 9), 'TOO_LARGE');
    await expectCode(BoundedFile.open(dir, 10), 'NOT_REGULAR_FILE');
  });
});

describe('Spool', () => {
  it('gives back what was written, from a file whose name is gone at once', async () => {
    const names = await Spool.with(dir, async (spool) => {
      await spool.write([BIG.subarray(0, 10), BIG.subarray(10)]);
      await spool.write([Buffer.from('end')]);
      const got: Buffer[] = [];
      // A consumer that is done with a chunk only later: the buffer is not reused before.
      await spool.copyTo(async (chunk) => {
        await new Promise((resolve) => setImmediate(resolve));
        got.push(Buffer.from(chunk));
      });
      expect(Buffer.concat(got).equals(Buffer.concat([BIG, Buffer.from('end')]))).toBe(true);
      return fs.readdir(dir);
    });
    expect(names).toEqual([]);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('is made in a directory made for it, and leaves nothing when its user fails', async () => {
    const inside = path.join(dir, 'state');
    await expect(
      Spool.with(inside, async (spool) => {
        await spool.write([Buffer.from('x')]);
        throw new Error('verification failed');
      }),
    ).rejects.toThrow('verification failed');
    expect(await fs.readdir(inside)).toEqual([]);
  });

  it('IO_ERROR: a directory it cannot be made in', async () => {
    const file = path.join(dir, 'file');
    await fs.writeFile(file, '');
    await expectCode(
      Spool.with(path.join(file, 'state'), async () => undefined),
      'IO_ERROR',
    );
  });
});
