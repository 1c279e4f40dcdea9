// Attack (stale judgement): pkgkeys is upgraded, say to fix how the trust engine judges a chain, and
// verdicts the old version recorded go on answering until their horizon. A record stands only for the
// version of pkgkeys that made it: the next update or status judges anew, and records again.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pkgkeysVersion } from '../../lib/paths';
import { loadsOpenPGP } from '../helpers/cli';
import { UPDATE_AT, withInstalledWorld } from '../helpers/mirror';
import { day } from '../helpers/world';

const AT = day(1, UPDATE_AT);

const w = withInstalledWorld();

const record = () => path.join(w.client.live, 'verdicts.json');

test('the record names the version of pkgkeys that made it', async () => {
  expect(JSON.parse(await fs.readFile(record(), 'utf8')).pkgkeys).toBe(pkgkeysVersion());
});

test('a record made by another version: status and update judge anew, and update records again', async () => {
  const text = await fs.readFile(record(), 'utf8');
  await fs.writeFile(record(), text.replace(`"pkgkeys": "${pkgkeysVersion()}"`, '"pkgkeys": "0.0.1"'));
  const status = await w.client.statusLoading({ at: AT });
  expect(loadsOpenPGP(status.loaded)).toBe(true);
  expect(status.status).toBe(0);
  const run = await w.client.updateLoading(w.mirror.url, { at: AT });
  expect(loadsOpenPGP(run.loaded)).toBe(true);
  expect(run.stdout).toMatch(/up to date, .*: 1 package signing key\(s\), 1 pkg-vulnerabilities key\(s\)/);
  expect(JSON.parse(await fs.readFile(record(), 'utf8')).pkgkeys).toBe(pkgkeysVersion());
  expect(loadsOpenPGP((await w.client.updateLoading(w.mirror.url, { at: AT })).loaded)).toBe(false);
});
