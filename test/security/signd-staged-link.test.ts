// Attack on the signing daemon: a client that can write the staging directory points the staged index
// at a file only the daemon can read (a symbolic link, a hard link, a link for a directory above it),
// or puts a FIFO there. The old daemon followed the link, told the client the file's SHA-256 in its
// refusal, and, asked again with that hash, quoted its first line in a SUMMARY_MALFORMED message. Now
// only a regular file with one name in the staging directory itself is read, and refusals about the
// staged file carry the code and a fixed message: what the file holds stays in the daemon's log.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeAtomic } from '../../lib/fsutil';
import { stagingFile } from '../../lib/publish/repository';
import { signIndexVia, signdRequest } from '../../lib/signd/client';
import { caught } from '../helpers/caught';
import { mkfifo, releaseReaders } from '../helpers/fifo';
import { REPO } from '../helpers/repo';
import { PASSPHRASE, STAGED, withDaemon } from '../helpers/signd';

const fixture = withDaemon();
const SECRET_LINE = 'root-only-secret: 7f3a9c';
const SECRET = Buffer.from(`${SECRET_LINE}\nmore of it\n`);
const SECRET_SHA256 = createHash('sha256').update(SECRET).digest('hex');
const staged = () => stagingFile(fixture.repo.path('All'));
let secret: string;

beforeAll(async () => {
  secret = fixture.repo.path('daemon-only', 'secret');
  await fs.mkdir(path.dirname(secret), { mode: 0o700 });
  await fs.writeFile(secret, SECRET, { mode: 0o600 });
  await signdRequest(fixture.config.socket, { op: 'unlock', passphrase: PASSPHRASE });
});

/** Asks the daemon to sign with `sha256`; returns the refusal after checking it gives nothing of the secret away. */
async function refusal(sha256: string) {
  const error = await caught(() => signdRequest(fixture.config.socket, { op: 'sign', repository: REPO, sha256 }));
  expect(error.message).not.toContain(SECRET_SHA256);
  expect(error.message).not.toContain(SECRET_LINE);
  expect(error.message).not.toContain(createHash('sha256').update(STAGED).digest('hex'));
  return error;
}

/** Replaces the staged index by `make` for `check`, then stages the genuine index again. */
async function stagedAs(make: () => Promise<void>, check: () => Promise<void>): Promise<void> {
  await fs.rm(staged(), { force: true });
  await make();
  try {
    await check();
  } finally {
    await fs.rm(path.dirname(staged()), { recursive: true, force: true });
    await writeAtomic(staged(), STAGED);
  }
}

test('the control: the genuine staged index is signed', async () => {
  expect((await signIndexVia(fixture.config.socket, REPO, STAGED)).includes(STAGED)).toBe(true);
});

test('a symbolic link to a file only the daemon can read: refused, neither its hash nor its first line told', () =>
  stagedAs(
    () => fs.symlink(secret, staged()),
    async () => {
      expect((await refusal('0'.repeat(64))).code).toBe('NOT_REGULAR_FILE');
      // Even with the right hash (which the old daemon gave away), nothing of the file comes back.
      expect((await refusal(SECRET_SHA256)).code).toBe('NOT_REGULAR_FILE');
      expect(fixture.log.at(-1)).toMatch(/NOT_REGULAR_FILE: .*symbolic link/);
    },
  ));

test('a hard link to it: refused, as a file with two names', () =>
  stagedAs(
    () => fs.link(secret, staged()),
    async () => {
      expect((await refusal(SECRET_SHA256)).code).toBe('NOT_REGULAR_FILE');
    },
  ));

test('the staging directory a link to the daemon-only directory: refused', () =>
  stagedAs(
    async () => {
      await fs.rm(path.dirname(staged()), { recursive: true });
      await fs.copyFile(secret, path.join(path.dirname(secret), path.basename(staged())));
      await fs.symlink(path.dirname(secret), path.dirname(staged()));
    },
    async () => {
      expect((await refusal(SECRET_SHA256)).code).toBe('NOT_REGULAR_FILE');
      await fs.rm(path.dirname(staged())); // the link, not what it points to
    },
  ));

test('a FIFO: refused at once, never opened blocking', () =>
  stagedAs(
    async () => mkfifo(staged()),
    async () => {
      const watcher = releaseReaders(staged());
      try {
        expect((await refusal(SECRET_SHA256)).code).toBe('NOT_REGULAR_FILE');
        expect(watcher.released()).toBe(0);
      } finally {
        await watcher.stop();
      }
    },
  ));

test('a regular staged file: a wrong hash and a malformed index are refused by code, their details only in the log', () =>
  stagedAs(
    () => fs.writeFile(staged(), SECRET),
    async () => {
      const wrong = await refusal('0'.repeat(64));
      expect(wrong.code).toBe('SIGND_REFUSED');
      expect(fixture.log.at(-1)).toContain(SECRET_SHA256); // the operator can tell what was staged
      const malformed = await refusal(SECRET_SHA256);
      expect(malformed.code).toBe('SUMMARY_MALFORMED');
      expect(malformed.message).toContain(staged());
    },
  ));
