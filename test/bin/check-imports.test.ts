/**
 * bin/check-imports.js, which `make lint` runs: lib/'s folders are layered and an import runs down,
 * never across or back up; only lib/pgp imports openpgp. The tree passes; a tree with an import
 * against the layers, or a folder no layer names, fails and says which file.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cleanup, tempDir } from '../helpers/cli';

const SCRIPT = path.join(__dirname, '../../bin/check-imports.js');
const check = (root?: string) => {
  const run = spawnSync(process.execPath, [SCRIPT, ...(root ? [root] : [])], { encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr };
};

/** A tree of the given files (path: text), checked. */
async function checkTree(files: Record<string, string>) {
  const dir = await tempDir('pkgkeys-imports-');
  try {
    await fs.mkdir(path.join(dir, 'cli'));
    for (const [file, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await fs.writeFile(path.join(dir, file), text);
    }
    return check(dir);
  } finally {
    await cleanup(dir);
  }
}

test('the tree keeps to its layers', () => {
  expect(check()).toEqual({ status: 0, stderr: '' });
});

test('downward imports pass; one back up (keyring importing verify, as VerifiedRelease once did) fails', async () => {
  const good = {
    'lib/verify/release.ts': "import { parseRelease } from '../keyring/release';\n",
    'lib/keyring/release.ts': "import { PkgkeysError } from '../errors';\n",
    'lib/errors.ts': '',
  };
  expect(await checkTree(good)).toEqual({ status: 0, stderr: '' });
  const result = await checkTree({
    ...good,
    'lib/keyring/live.ts': "import type { VerifiedRelease } from '../verify/release';\n",
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(
    'lib/keyring/live.ts: imports ../verify/release: keyring (layer 6) may not import verify (layer 7)',
  );
});

test('an import between folders of one layer, and openpgp outside lib/pgp, fail; a folder no layer names is named', async () => {
  const result = await checkTree({
    'lib/summary/format.ts': "import { parseTrust } from '../trust/chain';\n",
    'cli/main.ts': "import * as openpgp from 'openpgp';\n",
    'lib/newfolder/a.ts': '',
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(
    'lib/summary/format.ts: imports ../trust/chain: summary (layer 4) may not import trust (layer 4)',
  );
  expect(result.stderr).toContain('cli/main.ts: imports openpgp, which only lib/pgp may');
  expect(result.stderr).toContain('lib/newfolder/a.ts: lib entry "newfolder" is in no layer');
});
