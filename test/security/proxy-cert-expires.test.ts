/**
 * Attack (or plain time): the build host's certification expires while a long-running proxy holds
 * an index it signed, an index still within its own expiry. The proxy does not keep its verdict past
 * the certification: within ten minutes its packages are refused (CERT_EXPIRED), cached ones too.
 */
import { promises as fs } from 'node:fs';
import { VERIFY_AT } from '../helpers/repo';
import { ClientRoot, Upstream, loggedCodes, packagesOf, pkginPackage, refusalOf } from '../helpers/upstream';
import { day } from '../helpers/world';

const MINUTE = 60_000;
let upstream: Upstream;
let client: ClientRoot;
const packages = packagesOf({ 'foo-1.0': 2000 });

beforeAll(async () => {
  upstream = await Upstream.start();
  await upstream.publish(packages);
  const { world, master } = upstream.repo;
  const host = await world.key('shorthost');
  await world.certify(master, host, {
    scopes: ['NetBSD/**'],
    at: day(1),
    expires: new Date(VERIFY_AT.getTime() + 15 * MINUTE),
  });
  await upstream.repo.writeKeyring();
  const { file } = await upstream.repo.sign({ key: host });
  upstream.serveIndex(await fs.readFile(file));
  client = await ClientRoot.create(upstream);
}, 60_000);
afterAll(() => upstream.stop());

test('a package served while the certification holds is refused once it has expired', async () => {
  const clock = new Date(VERIFY_AT);
  const { proxy, log, repoURL } = await client.proxy({ at: clock });
  try {
    const served = await pkginPackage(repoURL, 'foo-1.0');
    expect({ status: served.status, same: served.body.equals(packages[0]!.content) }).toEqual({
      status: 200,
      same: true,
    });

    clock.setTime(VERIFY_AT.getTime() + 20 * MINUTE);
    const refused = await pkginPackage(repoURL, 'foo-1.0');
    expect(refusalOf(refused)).toEqual({ status: 403, code: 'CERT_EXPIRED' });
    expect(loggedCodes(log)).toEqual(['foo-1.0.tgz: CERT_EXPIRED']);
  } finally {
    await proxy.close();
  }
});
