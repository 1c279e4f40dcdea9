// Attack (on the machine itself): --output naming a device or a pipe. An atomic write renames a new
// file over its target; over /dev/null, run as root, that replaced the device with a regular file
// (docs/signed-index.md writes --output /dev/null). Regular files and new names are written
// atomically; devices, FIFOs and terminals, or links to them (/dev/stdout), are written straight
// and stay what they were. The devices here are made in a temporary directory: never /dev/null itself,
// which the old code would have replaced.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeAtomic } from '../../lib/fsutil';
import { cleanup, tempDir } from '../helpers/cli';
import { mkfifo } from '../helpers/fifo';
import { Repo, entry } from '../helpers/repo';

let dir: string;
beforeAll(async () => void (dir = await tempDir('pkgkeys-output-')));
afterAll(() => cleanup(dir));

/** `cat FIFO`: what a reader of the pipe receives; killed if the pipe is never written. */
function reader(fifo: string): { child: ChildProcess; received: Promise<string> } {
  const child = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  return { child, received: new Promise((resolve) => child.on('exit', () => resolve(out))) };
}

/** Writes through `target` with `write` while `cat` reads `fifo`; returns what it read. */
async function throughFifo(fifo: string, target: string, write: (target: string) => Promise<unknown>): Promise<string> {
  const { child, received } = reader(fifo);
  try {
    await write(target);
    expect((await fs.lstat(fifo)).isFIFO()).toBe(true);
    expect((await fs.stat(target)).isFIFO()).toBe(true);
    return await received;
  } finally {
    child.kill();
  }
}

test('a FIFO is written straight, and stays a FIFO', async () => {
  const fifo = path.join(dir, 'fifo');
  mkfifo(fifo);
  expect(await throughFifo(fifo, fifo, (t) => writeAtomic(t, 'through the pipe\n'))).toBe('through the pipe\n');
});

test('a link to a FIFO (as /dev/stdout is, to a pipe) is written through; the link stays', async () => {
  const fifo = path.join(dir, 'fifo2');
  const link = path.join(dir, 'stdout');
  mkfifo(fifo);
  await fs.symlink(fifo, link);
  expect(
    await throughFifo(fifo, link, (t) =>
      writeAtomic(
        t,
        ['two ', 'parts\n'].map((p) => Buffer.from(p)),
      ),
    ),
  ).toBe('two parts\n');
  expect(await fs.readlink(link)).toBe(fifo);
});

test('a character device (a null device made here, and a link to /dev/null) stays a device', async () => {
  const targets = [path.join(dir, 'null-link')];
  await fs.symlink('/dev/null', targets[0]!);
  try {
    execFileSync('mknod', [path.join(dir, 'null'), 'c', '1', '3'], { stdio: 'ignore' });
    targets.push(path.join(dir, 'null'));
  } catch {
    // not root, or no mknod here: the link to /dev/null still tells
  }
  for (const target of targets) {
    await writeAtomic(target, 'discarded\n');
    expect((await fs.stat(target)).isCharacterDevice()).toBe(true);
  }
  expect(await fs.readlink(targets[0]!)).toBe('/dev/null');
});

test('regular files and new names are still written atomically (a new inode), and a link to a file is replaced as before', async () => {
  const file = path.join(dir, 'regular');
  await fs.writeFile(file, 'old\n');
  const before = (await fs.stat(file)).ino;
  await writeAtomic(file, 'new\n');
  expect(await fs.readFile(file, 'utf8')).toBe('new\n');
  expect((await fs.stat(file)).ino).not.toBe(before);
  await writeAtomic(path.join(dir, 'fresh'), 'fresh\n');
  expect(await fs.readFile(path.join(dir, 'fresh'), 'utf8')).toBe('fresh\n');
});

test('verify-summary --output FIFO: the verified text goes down the pipe', async () => {
  const repo = await Repo.create();
  try {
    await repo.write('pkg_summary', entry('foo-1.0'));
    const { file } = await repo.sign();
    const fifo = repo.path('verified.fifo');
    mkfifo(fifo);
    let result;
    const received = await throughFifo(
      fifo,
      fifo,
      async (t) => (result = await repo.verify(file, { args: ['--output', t] })),
    );
    expect(result).toMatchObject({ status: 0, stdout: '', stderr: expect.stringContaining('good index') });
    expect(received).toBe(entry('foo-1.0'));
  } finally {
    await repo.cleanup();
  }
});
