/**
 * Attack: a mirror serves a "signed index" whose first line is terminal control sequences (clear the
 * screen, a carriage return, a fake all-clear line). Refusal messages quote what they found; quoted,
 * it must be inert: no control character reaches the terminal, the proxy's log stays one line per
 * refusal, and the HTTP body too.
 */
import { promises as fs } from 'node:fs';
import { pkgkeys } from '../helpers/cli';
import { ClientRoot, Upstream, packagesOf, pkginSummary, request } from '../helpers/upstream';

const HOSTILE = Buffer.from('\x1b[2J\x1b[31mPWNED\rpkgkeys: proxy: all good\x9b2J\nmore\n', 'latin1');
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

let upstream: Upstream;
let client: ClientRoot;

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish(packagesOf({ 'foo-1.0': 10 }));
  upstream.serveIndex(HOSTILE);
  client = await ClientRoot.create(upstream);
}, 60_000);
afterAll(() => upstream.stop());

test('the proxy refuses it with one inert log line and an inert body', async () => {
  const { proxy, log, repoURL } = await client.proxy();
  try {
    expect((await pkginSummary(repoURL)).outcome.status).toBe(403);
    const body = (await request(`${repoURL}/pkg_summary.gz`)).body.toString('latin1');
    expect(log).toHaveLength(2);
    for (const text of [...log, body.replace(/\n$/, '')]) {
      expect(text).toMatch(/INDEX_MALFORMED: .*\\x1b\[2J\\x1b\[31mPWNED\\x0dpkgkeys: proxy: all good\\x9b2J/);
      expect(text).not.toMatch(CONTROL);
      expect(text).not.toMatch(/\n/);
    }
  } finally {
    await proxy.close();
  }
});

test('the command line prints the same refusal inert', async () => {
  const file = upstream.repo.path('hostile.asc');
  await fs.writeFile(file, HOSTILE);
  const result = await pkgkeys(['verify-summary', ...upstream.repo.trustArgs(), file]);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`^pkgkeys: INDEX_MALFORMED: .*PWNED\\\\x0dpkgkeys: proxy: all good.*\\n$`));
  expect(result.stderr.slice(0, -1)).not.toMatch(CONTROL);
});
