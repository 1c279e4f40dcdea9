// Attack: an index signed by a key the trust chain does not vouch for (revoked, expired, uncertified,
// out of scope, an anchor or intermediate that must not sign). Each chain failure of the trust core
// (test/trust/) must reach the index and stop it before its signature counts. RFC 9580 §5.2.3.21,
// §5.2.3.31; DESIGN.md §2, §3.
import { REPO, Repo, SIGNED_AT, VERIFY_AT, expectRefusal, expectVerified } from '../helpers/repo';
import { type TestKey, World, day } from '../helpers/world';

const minutes = (n: number, from = SIGNED_AT) => new Date(from.getTime() + n * 60_000);

interface Case {
  /** Changes the world (then the keyring is written) and returns the key that signs, if not the host. */
  setup: (repo: Repo) => Promise<TestKey | void>;
  signedAt?: Date;
  verifyAt?: Date;
  /** The refusal expected, or null: verified. */
  code: string | null;
}

/** A fresh key in the repository's world, certified by the master with `options`. */
async function certified(repo: Repo, name: string, options: Parameters<World['certify']>[2] = {}): Promise<TestKey> {
  const key = await repo.world.key(name);
  await repo.world.certify(repo.master, key, { scopes: [REPO], ...options });
  return key;
}

const CASES: Record<string, Case> = {
  'the certified host (the control)': { setup: async () => undefined, code: null },
  'signing key hard-revoked, index signed after': {
    setup: async (r) => void (await r.world.revokeKey(r.host, 'compromised', minutes(-60))),
    code: 'KEY_REVOKED',
  },
  'signing key hard-revoked, index signed before': {
    setup: async (r) => void (await r.world.revokeKey(r.host, 'compromised', minutes(30))),
    code: 'KEY_REVOKED',
  },
  'signing key revoked without a reason (hard)': {
    setup: async (r) => void (await r.world.revokeKey(r.host, 'unspecified', minutes(30))),
    code: 'KEY_REVOKED',
  },
  'signing key soft-revoked, index signed after': {
    setup: async (r) => void (await r.world.revokeKey(r.host, 'superseded', minutes(-60))),
    code: 'KEY_REVOKED',
  },
  'signing key soft-revoked, index signed before': {
    setup: async (r) => void (await r.world.revokeKey(r.host, 'retired', minutes(30))),
    code: null,
  },
  'certification expired': {
    setup: async () => undefined,
    signedAt: day(729),
    verifyAt: minutes(60, day(731)),
    code: 'CERT_EXPIRED',
  },
  'certification revoked': {
    setup: async (r) => void (await r.world.revokeCertification(r.master, r.host, day(50))),
    code: 'CERT_REVOKED',
  },
  'signing key expired': {
    setup: async (r) => {
      const key = await r.world.key('short-lived', { expires: minutes(30) });
      await r.world.certify(r.master, key, { scopes: [REPO] });
      return key;
    },
    code: 'KEY_EXPIRED',
  },
  'signing key not in the keyring': { setup: async () => new World().key('stranger'), code: 'UNKNOWN_KEY' },
  'signing key in the keyring but not certified': { setup: async (r) => r.world.key('uncertified'), code: 'NO_PATH' },
  'signing key certified for other repositories only': {
    setup: async (r) => certified(r, 'arm-host', { scopes: ['NetBSD/aarch64/**'] }),
    code: 'OUT_OF_SCOPE',
  },
  'anchor revoked': {
    setup: async (r) => void (await r.world.revokeKey(r.master, 'compromised', day(50))),
    code: 'ANCHOR_REVOKED',
  },
  'index signed by the master itself': { setup: async (r) => r.master, code: 'ANCHOR_NOT_SIGNER' },
  'index signed by a delegated intermediate': {
    setup: async (r) => certified(r, 'developer', { delegate: 1 }),
    code: 'NOT_SIGNING_KEY',
  },
};

describe('a chain failure behind the index signer', () => {
  it.each(Object.entries(CASES))('%s', async (_name, { setup, signedAt, verifyAt, code }) => {
    const repo = await Repo.create();
    try {
      const text = await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
      const key = (await setup(repo)) ?? undefined;
      await repo.writeKeyring();
      // Signed by hand: sign-summary refuses to sign for a key clients would not trust (PUBLISH_SIGNER_UNTRUSTED).
      const file = await repo.write(
        'pkg_summary.asc',
        await repo.signIndex(text, { created: signedAt ?? SIGNED_AT, ...(key ? { key } : {}) }),
      );
      const result = await repo.verify(file, { at: verifyAt ?? VERIFY_AT });
      if (code === null) expectVerified(result);
      else expectRefusal(result, code);
    } finally {
      await repo.cleanup();
    }
  });
});
