/**
 * Attack: a forged package in pkgin's own cache. pkgin installs `<PKGIN_DBDIR>/cache/<PKGNAME>.tgz`
 * without a request when its size is the index's FILE_SIZE (and its BUILD_DATE the same), so the proxy
 * never sees it; any plain `pkgin` run against a mirror can leave one there. `pkgkeys pkgin` checks
 * every such file against the verified index before pkgin gets it: the forgery is removed, the removal
 * reported on stderr, and pkgin fetches the genuine package through the proxy. The genuine package,
 * once cached, is left for pkgin to reuse.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { cleanPkginCache } from '../../lib/client/pkgin';
import { PkgkeysError } from '../../lib/errors';
import { pkgkeys, tempDir } from '../helpers/cli';
import { standInRun, writePkginStandIn } from '../helpers/pkgin';
import { VERIFY_AT, iso } from '../helpers/repo';
import { packagesOf, withPublished } from '../helpers/upstream';

const packages = packagesOf({ 'foo-1.0': 5000 });
const published = withPublished(packages);
const genuine = packages[0]!.content;

async function pkgin() {
  const { client } = published;
  const out = client.path('standin.json');
  await fs.rm(out, { force: true });
  const result = await pkgkeys(['--now', iso(VERIFY_AT), '--listen', '127.0.0.1:0', 'pkgin', 'install', 'foo', '0'], {
    ...client.env,
    STANDIN_OUT: out,
  });
  const saw = await standInRun(out);
  return { result, saw: { fromCache: saw.fromCache, genuine: Buffer.from(saw.pkg, 'base64').equals(genuine) } };
}

test("a forged foo-1.0.tgz of the right size in pkgin's cache is removed before pkgin runs; pkgin fetches the genuine one through the proxy", async () => {
  const { client } = published;
  // Built with /var/db/pkgin, as pkgsrc builds it (under this client's root).
  await writePkginStandIn(client.path('pkgin'), client.path('var/db/pkgin'));
  await fs.appendFile(client.path('etc/pkgkeys/pkgkeys.conf'), `pkgin ${client.path('pkgin')}\n`);
  // Left by a plain pkgin run against a hostile mirror: same name, same size.
  const cached = client.path('var/db/pkgin/cache/foo-1.0.tgz');
  await fs.mkdir(client.path('var/db/pkgin/cache'), { recursive: true });
  await fs.writeFile(cached, Buffer.alloc(genuine.length, 'X'));

  const first = await pkgin();
  expect(first.saw).toEqual({ fromCache: false, genuine: true });
  expect(first.result.status).toBe(0);
  expect(first.result.stderr).toMatch(
    new RegExp(
      `^pkgkeys: removed ${cached} from pkgin's cache, which pkgin would have installed without a download: it has the size the index gives, but its SHA-256 is [0-9a-f]{64}, not [0-9a-f]{64}\\n$`,
    ),
  );
  expect((await fs.readFile(cached)).equals(genuine)).toBe(true);

  // The genuine package pkgin cached is checked, kept, and reused without a request.
  const second = await pkgin();
  expect({ status: second.result.status, stderr: second.result.stderr }).toEqual({ status: 0, stderr: '' });
  expect(second.saw).toEqual({ fromCache: true, genuine: true });
});

test("which files of pkgin's cache go: those pkgin would take that are not what the index describes", async () => {
  const cache = await tempDir('pkgkeys-pkgin-cache-');
  try {
    const files: Record<string, Buffer> = {
      'good-1.0.tgz': genuine, // the package itself: kept
      'forged-1.0.tgz': Buffer.alloc(genuine.length, 'X'), // its size, other bytes: removed
      'resized-1.0.tgz': Buffer.alloc(10), // another size: pkgin fetches it again, through the proxy
      'unchecked-1.0.tgz': genuine, // nothing to check it against: removed
      'other-1.0.tgz': Buffer.alloc(genuine.length), // not in the index: pkgin does not take it
    };
    for (const [name, data] of Object.entries(files)) await fs.writeFile(`${cache}/${name}`, data);
    const expected = { size: genuine.length, sha256: createHash('sha256').update(genuine).digest('hex') };
    const index = new Map<string, typeof expected | PkgkeysError>([
      ['good-1.0', expected],
      ['forged-1.0', expected],
      ['resized-1.0', expected],
      ['unchecked-1.0', new PkgkeysError('NO_CHECKSUM', 'unchecked-1.0: the index gives no FILE_CKSUM')],
      ['absent-1.0', expected],
    ]);
    const removed = await cleanPkginCache(cache, index);
    expect(removed.map((r) => r.file)).toEqual([`${cache}/unchecked-1.0.tgz`, `${cache}/forged-1.0.tgz`]);
    expect((await fs.readdir(cache)).sort()).toEqual(['good-1.0.tgz', 'other-1.0.tgz', 'resized-1.0.tgz']);
    // A PKGNAME that is a path would have pkgin look outside its cache: the index is not served to it.
    await expect(cleanPkginCache(cache, new Map([['../../etc/foo-1.0', expected]]))).rejects.toMatchObject({
      code: 'UNSAFE_PATH',
    });
    // No cache yet: nothing to do.
    expect(await cleanPkginCache(`${cache}/missing`, index)).toEqual([]);
  } finally {
    await fs.rm(cache, { recursive: true, force: true });
  }
});
