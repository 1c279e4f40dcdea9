/**
 * The steps every signed document goes through (lib/verify/signed.ts), called directly: the framework,
 * the signer, its chain, the signature, the repository named, the expiry; one test per code each step gives,
 * and the codes of the kind of document (an index's, a keyring release's).
 */
import { REPOSITORY_NOTATION, type RepositoryId } from '../../lib/model';
import { hashCanonical, readMessageSignature, signData } from '../../lib/pgp';
import { type TrustGraph, TrustGraph as Graph } from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { checkRepository } from '../../lib/trust/scope';
import { RELEASE } from '../../lib/verify/release';
import { type CleartextKind, type SignedOptions, findSigner, verifySigned } from '../../lib/verify/signed';
import { INDEX } from '../../lib/verify/summary';
import { expectCode } from '../helpers/caught';
import { REPO, Repo, SIGNED_AT, VERIFY_AT, clearsign, forgeIndex, notationSubpacket, subpacket } from '../helpers/repo';
import { World, day } from '../helpers/world';

const TEXT = Buffer.from('PKGNAME=foo-1.0\nCOMMENT=- a line the framework dash-escapes\n\n');

let repo: Repo;
let graph: TrustGraph;
beforeAll(async () => {
  repo = await Repo.create();
  graph = await repo.world.graph(repo.master);
});
afterAll(() => repo.cleanup());

const options = (
  o: Partial<SignedOptions> & { repository?: RepositoryId } = {},
): SignedOptions & { repository: RepositoryId } => ({
  graph,
  repository: REPO,
  now: VERIFY_AT,
  policy: DEFAULT_POLICY,
  ...o,
});
/** verifySigned on a copy: it rewrites its input in place. */
const verify = (
  signed: Buffer,
  kind: CleartextKind = INDEX,
  o: Partial<SignedOptions> & { repository?: RepositoryId } = {},
) => verifySigned(Buffer.from(signed), 'test.asc', kind, options(o));

describe('a signed document', () => {
  it('gives back the signed text, the signer, its chain and the signature times when every step holds', async () => {
    const result = await verify(await repo.signIndex(TEXT));
    expect(result.text.equals(TEXT)).toBe(true);
    expect(result).toMatchObject({
      signer: repo.host.fingerprint,
      primary: repo.host.fingerprint,
      signed: SIGNED_AT,
      expires: day(7, SIGNED_AT),
      chain: { trusted: true },
    });
  });
});

describe('step 1: the cleartext framework', () => {
  it('TOO_LARGE: a file larger than the kind allows, before anything is read', async () => {
    const signed = await repo.signIndex(TEXT);
    await expectCode(verify(signed, { ...INDEX, maxBytes: signed.length - 1 }), 'TOO_LARGE');
    await verify(signed, { ...INDEX, maxBytes: signed.length });
  });

  it("the kind's malformed code: INDEX_MALFORMED for an index, RELEASE_MALFORMED for a keyring release", async () => {
    const garbage = Buffer.from('PKGNAME=foo-1.0\n');
    await expectCode(verify(garbage), 'INDEX_MALFORMED');
    await expectCode(verify(garbage, RELEASE), 'RELEASE_MALFORMED');
  });

  it('INDEX_MALFORMED: a binary-mode signature (0x00) in the framework', async () => {
    const spec = {
      kind: 'binary' as const,
      hash: 'sha256' as const,
      created: SIGNED_AT,
      expires: day(7, SIGNED_AT),
      notations: [{ name: REPOSITORY_NOTATION, value: REPO }],
    };
    const binary = clearsign(
      TEXT,
      'sha256',
      await signData(repo.host.secret.signer(), spec, (h) => hashCanonical(TEXT, h)),
    );
    const error = await expectCode(verify(binary), 'INDEX_MALFORMED');
    expect(error.message).toContain('expected a text signature (type 0x01)');
  });

  it('HASH_HEADER_MISMATCH: a Hash header that names another hash than the signature uses', async () => {
    const signed = (await repo.signIndex(TEXT)).toString('latin1').replace('Hash: SHA256\n', 'Hash: SHA512\n');
    const error = await expectCode(verify(Buffer.from(signed, 'latin1')), 'HASH_HEADER_MISMATCH');
    expect(error.message).toBe('test.asc: the signature uses SHA256 but the Hash header says SHA512');
  });
});

describe('step 2: the signer', () => {
  it('UNKNOWN_KEY: a signer that is not in the keyring', async () => {
    const stranger = await new World().key('stranger');
    const error = await expectCode(verify(await repo.signIndex(TEXT, { key: stranger })), 'UNKNOWN_KEY');
    expect(error.message).toBe(`the index is signed by ${stranger.fingerprint}, which is not in the keyring`);
  });

  it('finds the signer by Issuer Fingerprint, else by an Issuer Key ID that names one key only', async () => {
    const sig = await readMessageSignature(
      await signData(
        repo.host.secret.signer(),
        { kind: 'text', hash: 'sha256', created: SIGNED_AT, expires: null, notations: [] },
        () => undefined,
      ),
      'sig',
      'INDEX_MALFORMED',
    );
    expect(findSigner(graph, sig, 'index')).toBe(repo.host.fingerprint);
    expect(findSigner(graph, { ...sig, issuerFingerprint: null }, 'index')).toBe(repo.host.fingerprint);
    const unknown = { ...sig, issuerFingerprint: null, issuerKeyID: '0123456789ABCDEF' };
    expect((await expectCode(() => findSigner(graph, unknown, 'index'), 'UNKNOWN_KEY')).message).toBe(
      'the index is signed by key ID 0123456789ABCDEF, which is not in the keyring',
    );
    // Two certificates with the host's key ID (a collision someone made on purpose): neither is taken.
    const [host] = [...graph.certificates()].filter((c) => c.fingerprint === repo.host.fingerprint);
    const twin = { ...host!, fingerprint: `${'0'.repeat(24)}${host!.keyID}` };
    const colliding = new Graph([...graph.certificates(), twin], [repo.master.fingerprint]);
    expect(
      (await expectCode(() => findSigner(colliding, { ...sig, issuerFingerprint: null }, 'index'), 'UNKNOWN_KEY'))
        .message,
    ).toContain('names several keys');
  });
});

describe('step 3: the chain, for this repository at the signature time and now', () => {
  it("the engine's code: OUT_OF_SCOPE for another repository, NO_PATH for a key nobody certified", async () => {
    const signed = await repo.signIndex(TEXT, {
      notations: [{ name: REPOSITORY_NOTATION, value: 'NetBSD/aarch64/10.0/All' }],
    });
    await expectCode(verify(signed, INDEX, { repository: checkRepository('NetBSD/aarch64/10.0/All') }), 'OUT_OF_SCOPE');
    const world = new World();
    const loner = await world.key('loner');
    world.add(repo.master.public);
    await expectCode(
      verify(await repo.signIndex(TEXT, { key: loner }), INDEX, { graph: await world.graph(repo.master) }),
      'NO_PATH',
    );
  });
});

describe('step 4: the signature', () => {
  it('WEAK_ALGORITHM: a signature made with SHA-1', async () => {
    await expectCode(verify(forgeIndex(repo.host, TEXT, { hash: 'sha1' })), 'WEAK_ALGORITHM');
  });

  it('BAD_SIGNATURE: a signature with an unknown critical subpacket, or over other text', async () => {
    const repository = notationSubpacket(REPOSITORY_NOTATION, REPO);
    await verify(
      forgeIndex(repo.host, TEXT, { hash: 'sha512', subpackets: [repository, subpacket(100, Buffer.from('x'))] }),
    );
    await expectCode(
      verify(
        forgeIndex(repo.host, TEXT, {
          hash: 'sha512',
          subpackets: [repository, subpacket(100, Buffer.from('x'), true)],
        }),
      ),
      'BAD_SIGNATURE',
    );
    const modified = Buffer.from(
      (await repo.signIndex(TEXT)).toString('latin1').replace('foo-1.0', 'foo-6.6'),
      'latin1',
    );
    const error = await expectCode(verify(modified), 'BAD_SIGNATURE');
    expect(error.message).toBe(
      `the signature by ${repo.host.fingerprint} does not match the signed text: the index was modified`,
    );
  });
});

describe('step 5: the repository named', () => {
  it.each([
    [
      'no repository notation',
      [],
      'the index signature names no repository (pkgsrc-repository@pkgsrc.org notation); expected NetBSD/x86_64/10.0/All',
    ],
    [
      'another repository',
      [{ name: REPOSITORY_NOTATION, value: 'NetBSD/x86_64/9.0/All' }],
      'the index is signed for NetBSD/x86_64/9.0/All, not for NetBSD/x86_64/10.0/All',
    ],
    [
      'two repositories',
      [
        { name: REPOSITORY_NOTATION, value: REPO },
        { name: REPOSITORY_NOTATION, value: 'NetBSD/x86_64/9.0/All' },
      ],
      `the index is signed for ${REPO}, NetBSD/x86_64/9.0/All, not for ${REPO}`,
    ],
  ])('REPOSITORY_MISMATCH: %s', async (_what, notations, message) => {
    const error = await expectCode(verify(await repo.signIndex(TEXT, { notations })), 'REPOSITORY_MISMATCH');
    expect(error.message).toBe(message);
  });
});

describe('step 6: freshness, by the codes of the kind', () => {
  it('no expiry: INDEX_NO_EXPIRY for an index, RELEASE_MALFORMED for a release', async () => {
    const signed = await repo.signIndex(TEXT, { expires: null });
    await expectCode(verify(signed), 'INDEX_NO_EXPIRY');
    await expectCode(verify(signed, RELEASE), 'RELEASE_MALFORMED');
  });

  it('past its expiry: INDEX_EXPIRED for an index, KEYRING_FROZEN for a release, and accepted when the caller allows it', async () => {
    const signed = await repo.signIndex(TEXT);
    const expiry = day(7, SIGNED_AT);
    await verify(signed, INDEX, { now: new Date(expiry.getTime() - 1000) });
    await expectCode(verify(signed, INDEX, { now: expiry }), 'INDEX_EXPIRED');
    await expectCode(verify(signed, RELEASE, { now: expiry }), 'KEYRING_FROZEN');
    expect((await verify(signed, INDEX, { now: expiry, allowExpired: true })).expires).toEqual(expiry);
  });

  it('made after now beyond the clock skew: CLOCK_BEHIND for an index and for a release (the clock must be wrong)', async () => {
    const skew = DEFAULT_POLICY.clockSkewSeconds * 1000;
    const signed = await repo.signIndex(TEXT);
    await verify(signed, INDEX, { now: new Date(SIGNED_AT.getTime() - skew) });
    await expectCode(verify(signed, INDEX, { now: new Date(SIGNED_AT.getTime() - skew - 1000) }), 'CLOCK_BEHIND');
    await expectCode(verify(signed, RELEASE, { now: new Date(SIGNED_AT.getTime() - skew - 1000) }), 'CLOCK_BEHIND');
  });
});
