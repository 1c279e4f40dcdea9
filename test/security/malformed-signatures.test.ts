// Attack: a signature that cannot be read, made to crash the verifier: an armor checksum line cut
// short ("=" and fewer than 4 base64 characters: one deleted byte), and a hash algorithm octet no
// OpenPGP hash has (RFC 9580 §9.5). Both used to end in a stack trace ("unexpected error", exit 3),
// and `check-repo` then gave up on every repository. Each must be the document's own malformed code
// (index, keyring release, pkg-vulnerabilities, signed package, key material), and check-repo must go
// on with the next repository. RFC 9580 §6.1, §6.2, §5.2.3.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { armor, toBinary } from '../../lib/pgp';
import { packetSpans } from '../../lib/pgp/packets';
import { buildPackage } from '../../lib/pkgsrc/package';
import { type CliResult, pkgkeys } from '../helpers/cli';
import { KeyringSite, MirrorServer, type Release } from '../helpers/mirror';
import { PackageSigners, packageSpec } from '../helpers/packages';
import { REPO, Repo, VERIFY_AT, codeOf, expectRefusal, iso } from '../helpers/repo';
import { ClientRoot, PREFIX, Upstream, packagesOf } from '../helpers/upstream';
import { VulnSite } from '../helpers/vulnerabilities';

const SIGNATURE = /-----BEGIN PGP SIGNATURE-----\n[\s\S]*?-----END PGP SIGNATURE-----\n?/;

/** The (last) armor checksum line ("=" and 4 base64 characters) with its last `cut` characters deleted. */
function shortChecksum(text: string, cut = 1): string {
  const crc = [...text.matchAll(/^=[A-Za-z0-9+/]{4}$/gm)].at(-1)!;
  return text.slice(0, crc.index) + crc[0].slice(0, 5 - cut) + text.slice(crc.index + 5);
}

/** The signature armored again, with a good checksum, after its hash algorithm octet (RFC 9580 §5.2.3: the 4th body octet) is set to `id`. */
async function withHashID(text: string, id: number): Promise<string> {
  const block = SIGNATURE.exec(text)![0];
  const packet = Buffer.from(await toBinary(block, 'signature'));
  const header = packet[0]! & 0x40 ? (packet[1]! < 192 ? 2 : packet[1]! < 224 ? 3 : 6) : 1 + (1 << (packet[0]! & 0x03));
  expect(packet[header]).toBe(4); // a v4 signature
  packet[header + 3] = id;
  return text.replace(block, armor('signature', packet));
}

/** A malformed refusal: the document's code, exit 1, in pkgkeys' words, and no stack. */
function expectMalformed(result: CliResult, code: string, status = 1): void {
  expectRefusal(result, code, status);
  expect(result.stderr).not.toMatch(/unexpected error|\n\s+at |Invalid enum|Error during parsing|Parsing \w+ failed/);
}

/**
 * The signed package (a BSD ar archive: "!<arch>\n", then 60-byte headers) with its second member,
 * +PKG_GPG_SIGNATURE, rewritten by `change` (the member's data, after its extended name: lib/pkgsrc/ar.ts).
 */
async function replaceSignature(archive: Buffer, change: (text: string) => Promise<string>): Promise<Buffer> {
  const members: Buffer[] = [];
  for (let at = 8; at < archive.length;) {
    const size = Number(archive.toString('latin1', at + 48, at + 58).trim());
    members.push(archive.subarray(at, at + 60 + size + (size % 2)));
    at += 60 + size + (size % 2);
  }
  const old = members[1]!;
  const data = Buffer.from(
    await change(old.toString('latin1', 60, 60 + Number(old.toString('latin1', 48, 58).trim()))),
    'latin1',
  );
  const header = Buffer.from(old.toString('latin1', 0, 48) + String(data.length).padEnd(10, ' ') + '`\n', 'latin1');
  members[1] = Buffer.concat([header, data, data.length % 2 ? Buffer.from('\n') : Buffer.alloc(0)]);
  return Buffer.concat([archive.subarray(0, 8), ...members]);
}

describe('signed documents', () => {
  let repo: Repo;
  let index: string;
  let keyringSite: KeyringSite;
  let release: Release;
  let vulnSite: VulnSite;
  let vulnerabilities: string;
  let signers: PackageSigners;
  let signedPackage: Buffer;
  beforeAll(async () => {
    repo = await Repo.create();
    await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
    index = await fs.readFile((await repo.sign()).file, 'latin1');
    keyringSite = await KeyringSite.create();
    release = await keyringSite.publish(2026041001);
    vulnSite = await VulnSite.create();
    vulnerabilities = await fs.readFile(await vulnSite.sign(), 'latin1');
    signers = await PackageSigners.create();
    const input = await signers.write('foo-1.0.tgz', buildPackage(packageSpec('foo-1.0', Buffer.from('foo'))));
    expect((await signers.sign(input, signers.path('signed.tgz'))).status).toBe(0);
    signedPackage = await fs.readFile(signers.path('signed.tgz'));
  }, 120_000);
  afterAll(async () => {
    await Promise.all([repo, keyringSite, vulnSite, signers].map((site) => site?.cleanup()));
  });

  let releases = 0;

  /** verify-package of the signed package with its signature member rewritten by `change`: one line per package on stdout. */
  async function verifyPackage(change: (text: string) => Promise<string>): Promise<CliResult> {
    const result = await signers.verify([
      await signers.write('damaged.tgz', await replaceSignature(signedPackage, change)),
    ]);
    expect({ status: result.status, code: /: ([A-Z_]+): /.exec(result.stdout)?.[1], stderr: result.stderr }).toEqual({
      status: 1,
      code: 'PACKAGE_MALFORMED',
      stderr: '',
    });
    return result;
  }

  describe.each<[string, (text: string) => Promise<string>]>([
    ['an armor checksum line one character short', async (t) => shortChecksum(t, 1)],
    ['an armor checksum line of "=" alone', async (t) => shortChecksum(t, 4)],
    ['an unknown hash algorithm (99)', (t) => withHashID(t, 99)],
    ['a reserved hash algorithm ID (4)', (t) => withHashID(t, 4)],
  ])('%s', (_name, damage) => {
    it('in a signed index is INDEX_MALFORMED', async () => {
      expectMalformed(await repo.verify(await repo.write('damaged.asc', await damage(index))), 'INDEX_MALFORMED');
    });

    it('in a keyring release statement is RELEASE_MALFORMED, and nothing is installed', async () => {
      const dir = keyringSite.path(`damaged-${++releases}`);
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'keyring.gpg'), release.keyring);
      await fs.writeFile(path.join(dir, 'release.asc'), await damage(release.statement.toString('latin1')), 'latin1');
      const client = await keyringSite.client(`client-${path.basename(dir)}`);
      const result = await client.update(`file://${dir}/`);
      expectMalformed(result, 'RELEASE_MALFORMED');
      expect(await client.snapshot()).toEqual({});
    });

    it('in pkg-vulnerabilities is VULNERABILITIES_MALFORMED', async () => {
      expectMalformed(
        await vulnSite.verify(await vulnSite.write('damaged.asc', await damage(vulnerabilities))),
        'VULNERABILITIES_MALFORMED',
      );
    });

    it("in a signed package's +PKG_GPG_SIGNATURE is PACKAGE_MALFORMED", async () => {
      expect((await verifyPackage(damage)).stdout).not.toMatch(/unexpected error|Invalid enum|Error during parsing/);
    });
  });

  it("two signatures in a signed package's +PKG_GPG_SIGNATURE are PACKAGE_MALFORMED (pkg_add reads one), not INDEX_MALFORMED", async () => {
    const result = await verifyPackage(async (text) => {
      const block = SIGNATURE.exec(text)![0];
      const packet = Buffer.from(await toBinary(block, 'signature'));
      return text.replace(block, armor('signature', Buffer.concat([packet, packet])));
    });
    expect(result.stdout).toMatch(/expected exactly one signature packet, found 2/);
  });
});

describe('in key material', () => {
  let repo: Repo;
  let signed: string;
  beforeAll(async () => {
    repo = await Repo.create();
    await repo.publish([{ pkgname: 'foo-1.0', content: Buffer.from('foo package') }]);
    signed = await fs.readFile((await repo.sign()).file, 'latin1');
    await fs.mkdir(repo.path('keyring-dir'));
  });
  afterAll(() => repo.cleanup());

  /** verify-summary of the good index with `anchor` as the anchor's file. */
  async function verifyWithAnchor(anchor: string | Buffer): Promise<CliResult> {
    await repo.write('damaged-anchor.asc', anchor);
    // The keyring without the master's own certificate, so that the anchor's file is its only copy.
    await repo.write(
      'keyring-without-master.asc',
      repo.world.material.filter((m) => m !== repo.master.public).join('\n'),
    );
    return repo.verify(await repo.write('good.asc', signed), {
      anchor: repo.path('damaged-anchor.asc'),
      keyring: repo.path('keyring-without-master.asc'),
    });
  }

  it.each([1, 4])(
    'an armor checksum line %i character(s) short is KEYRING_INVALID in an anchor, BAD_INPUT to keyring import',
    async (cut) => {
      const anchor = shortChecksum(repo.master.public, cut);
      expect(anchor).not.toBe(repo.master.public);
      expectMalformed(await verifyWithAnchor(anchor), 'KEYRING_INVALID');
      expectMalformed(
        await pkgkeys(['keyring', '--keyring', repo.path('keyring-dir'), 'import', repo.path('damaged-anchor.asc')]),
        'BAD_INPUT',
        2,
      );
    },
  );

  it("an unknown hash algorithm in the anchor's self-signature leaves it without one: not trusted", async () => {
    const binary = Buffer.from(await toBinary(repo.master.public, 'anchor'));
    const selfSig = packetSpans(binary).spans.find((s) => s.tag === 2)!;
    const header = binary[selfSig.start]! & 0x40 ? 2 : 1 + (1 << (binary[selfSig.start]! & 0x03));
    binary[selfSig.start + header + 3] = 99;
    const result = await verifyWithAnchor(armor('publicKey', binary));
    expectMalformed(result, 'KEY_INVALID');
    expect(result.stderr).toMatch(/has no valid self-signature/);
  });
});

describe('check-repo with two repositories, the first one damaged', () => {
  let upstream: Upstream;
  let broken: MirrorServer;
  let client: ClientRoot;
  const BROKEN = 'NetBSD/x86_64/9.0/All';
  beforeAll(async () => {
    upstream = await Upstream.start();
    const signed = await upstream.publish(packagesOf({ 'foo-1.0': 100 }), { expires: '7d' });
    broken = await MirrorServer.start(PREFIX.replace(REPO, BROKEN));
    broken.files.set('pkg_summary.asc', { body: Buffer.from(shortChecksum(signed.toString('latin1')), 'latin1') });
    client = await ClientRoot.create(upstream);
    await fs.writeFile(
      client.path('etc/pkgkeys/pkgkeys.conf'),
      `repository ${BROKEN} ${broken.url.replace(/\/$/, '')}\nrepository ${REPO} ${upstream.url}\n`,
    );
  }, 60_000);
  afterAll(async () => {
    await broken.close();
    await upstream.stop();
  });

  it('reports the damaged one INDEX_MALFORMED and still verifies the next', async () => {
    const result = await pkgkeys(['check-repo', '--now', iso(VERIFY_AT), '--timeout', '5'], client.env);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${BROKEN}: INDEX_MALFORMED: .*armor checksum`));
    expect(lines[1]).toMatch(new RegExp(`^${REPO}: good index, 1 entries`));
    expect(codeOf(result)).toBeNull();
  });
});
