/**
 * Verifying a keyring release (lib/verify/release.ts) directly: the steps of every signed document for
 * `keyring/<name>`, then the statement against the keyring file and against the installed release.
 */
import { type VerifiedRelease, describeKeyring, formatRelease } from '../../lib/keyring/release';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { hashCanonical, signData } from '../../lib/pgp';
import type { TrustGraph } from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { type ReleaseOptions, readClaim, verifyRelease } from '../../lib/verify/release';
import { expectCode } from '../helpers/caught';
import { clearsign } from '../helpers/repo';
import { type TestKey, World, day } from '../helpers/world';

const KEYRING = Buffer.from('the keyring file: its bytes are only counted and hashed here');
const PUBLISHED = day(100);
const NOW = day(101);

let world: World;
let master: TestKey;
let publisher: TestKey;
let graph: TrustGraph;
beforeAll(async () => {
  world = new World();
  master = await world.key('master');
  publisher = await world.key('publisher');
  await world.certify(master, publisher, { scopes: ['keyring/pkgsrc'] });
  graph = await world.graph(master);
});

/** A statement for `keyring` (serial 10 of pkgsrc, unless told), signed by the publisher for keyring/pkgsrc, expiring in 14 days. */
async function statement(
  o: {
    text?: Buffer;
    keyring?: Buffer;
    serial?: number;
    created?: Date;
    expires?: Date | null;
    identifier?: string;
  } = {},
): Promise<Buffer> {
  const text = o.text ?? formatRelease(describeKeyring('pkgsrc', o.keyring ?? KEYRING, o.serial ?? 10));
  const created = o.created ?? PUBLISHED;
  const spec = {
    kind: 'text' as const,
    hash: 'sha256' as const,
    created,
    expires: o.expires === undefined ? day(14, created) : o.expires,
    notations: [{ name: REPOSITORY_NOTATION, value: o.identifier ?? 'keyring/pkgsrc' }],
  };
  return clearsign(text, 'sha256', await signData(publisher.secret.signer(), spec, (h) => hashCanonical(text, h)));
}

const options = (o: Partial<ReleaseOptions> = {}): ReleaseOptions => ({
  graph,
  name: 'pkgsrc',
  now: NOW,
  policy: DEFAULT_POLICY,
  installed: null,
  ...o,
});
const verify = async (signed: Buffer | Promise<Buffer>, keyring: Buffer = KEYRING, o: Partial<ReleaseOptions> = {}) =>
  verifyRelease(Buffer.from(await signed), keyring, 'release.asc', options(o));
const installed = async (o: Parameters<typeof statement>[0] = {}): Promise<VerifiedRelease> =>
  (await verify(statement(o), o.keyring ?? KEYRING, { now: day(1, o.created ?? PUBLISHED) })).release;

describe('a keyring release', () => {
  it('verifies as new on a first update, with what it says and who signed it when', async () => {
    const { release, change } = await verify(statement());
    expect(change).toBe('new');
    expect(release).toEqual({
      ...describeKeyring('pkgsrc', KEYRING, 10),
      signer: publisher.fingerprint,
      signed: PUBLISHED,
      expires: day(14, PUBLISHED),
    });
  });

  it('is new with a higher serial, renewed when the installed one is signed again later, unchanged when seen again', async () => {
    const first = await installed();
    expect(
      (await verify(statement({ serial: 11, keyring: Buffer.from('next') }), Buffer.from('next'), { installed: first }))
        .change,
    ).toBe('new');
    expect((await verify(statement({ created: day(1, PUBLISHED) }), KEYRING, { installed: first })).change).toBe(
      'renewed',
    );
    expect((await verify(statement(), KEYRING, { installed: first })).change).toBe('unchanged');
    const renewed = await installed({ created: day(1, PUBLISHED) });
    expect((await verify(statement(), KEYRING, { installed: renewed })).change).toBe('unchanged');
  });

  it('ROLLBACK: a lower serial than the installed one, or the same serial for another keyring, even when expiry is waived', async () => {
    const current = await installed({ serial: 12 });
    const older = await expectCode(verify(statement({ serial: 11 }), KEYRING, { installed: current }), 'ROLLBACK');
    expect(older.message).toBe(
      'keyring pkgsrc release 11 (signed 2026-04-11T00:00:00Z) is older than the installed release 12 (signed 2026-04-11T00:00:00Z)',
    );
    await expectCode(
      verify(statement({ serial: 11 }), KEYRING, { installed: current, allowExpired: true, now: day(30, PUBLISHED) }),
      'ROLLBACK',
    );
    const other = Buffer.from('another keyring');
    const reused = await expectCode(
      verify(statement({ serial: 12, keyring: other }), other, { installed: current }),
      'ROLLBACK',
    );
    expect(reused.message).toContain('a serial is never reused');
  });

  it('REPOSITORY_MISMATCH: a statement for another keyring, whether the text or the signature says so', async () => {
    const text = formatRelease(describeKeyring('other', KEYRING, 10));
    const error = await expectCode(verify(statement({ text })), 'REPOSITORY_MISMATCH');
    expect(error.message).toBe('release.asc describes keyring other, not pkgsrc');
    expect((await expectCode(verify(statement({ identifier: 'keyring/other' })), 'REPOSITORY_MISMATCH')).message).toBe(
      'the keyring release is signed for keyring/other, not for keyring/pkgsrc',
    );
  });

  it('RELEASE_MALFORMED: a signed text that is no release statement, an unreadable file, a statement without expiry', async () => {
    await expectCode(
      verify(statement({ text: Buffer.from('pkgkeys keyring release 1\nKeyring: pkgsrc\n') })),
      'RELEASE_MALFORMED',
    );
    await expectCode(verify(Buffer.from('<html>a captive portal</html>\n')), 'RELEASE_MALFORMED');
    await expectCode(verify(statement({ expires: null })), 'RELEASE_MALFORMED');
  });

  it('SIZE_MISMATCH and HASH_MISMATCH: a keyring file that is not the one described', async () => {
    await expectCode(verify(statement(), Buffer.concat([KEYRING, Buffer.from('x')])), 'SIZE_MISMATCH');
    const forged = Buffer.from(KEYRING);
    forged[0] ^= 1;
    const error = await expectCode(verify(statement(), forged), 'HASH_MISMATCH');
    expect(error.message).toMatch(
      /^keyring of release\.asc: sha256 [0-9a-f]{64}, but release 10 of keyring pkgsrc says [0-9a-f]{64}$/,
    );
  });

  it('KEYRING_FROZEN past its expiry, unless the caller waives it (a keyring package installed long after)', async () => {
    await expectCode(verify(statement(), KEYRING, { now: day(14, PUBLISHED) }), 'KEYRING_FROZEN');
    expect((await verify(statement(), KEYRING, { now: day(400, PUBLISHED), allowExpired: true })).change).toBe('new');
  });

  it('CLOCK_BEHIND: signed after now, beyond the clock skew (the clock must be wrong)', async () => {
    await expectCode(verify(statement({ created: day(1, NOW) })), 'CLOCK_BEHIND');
  });
});

describe('readClaim', () => {
  it('reads what a statement claims without judging it: the release, the times, the issuer', async () => {
    const claim = await readClaim(await statement({ expires: null }), 'release.asc');
    expect(claim).toEqual({
      release: describeKeyring('pkgsrc', KEYRING, 10),
      signed: PUBLISHED,
      expires: null,
      issuer: publisher.fingerprint,
    });
  });

  it('RELEASE_MALFORMED: a file that is no signed statement', async () => {
    await expectCode(readClaim(Buffer.from('not signed at all\n'), 'release.asc'), 'RELEASE_MALFORMED');
  });
});
