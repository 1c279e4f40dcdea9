/**
 * The signed index read as it arrives (CleartextReader, verifyIndexStream: the proxy's path, never
 * whole in memory) is a second reading of the same format, so it is held to the first: every document
 * of a corpus of framework tricks and signed-index attacks, cut into chunks of every awkward size,
 * gets the same text, hashes and signature, or the same error with the same message. The grammar
 * checked on the lines as both decode them is held to checkSummary on the text they decoded.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { PkgkeysError } from '../../lib/errors';
import { loadTrustGraph } from '../../lib/keyring/store';
import { REPOSITORY_NOTATION } from '../../lib/model';
import { CleartextReader, type SignatureSpec, canonicalize, parseCleartext } from '../../lib/pgp';
import { SummaryLines, checkSummary } from '../../lib/summary/format';
import type { TrustGraph } from '../../lib/trust/chain';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { checkRepository } from '../../lib/trust/scope';
import {
  type IndexRequest,
  type StreamedIndex,
  type VerifyOptions,
  recheckIndex,
  verifyIndexData,
  verifyIndexFile,
  verifyIndexFileInto,
  verifyIndexFileStream,
} from '../../lib/verify';
import { ClientState, clockAt } from '../../lib/verify/state';
import { verifyIndexStream } from '../../lib/verify/summary';
import { gzipBomb } from '../helpers/bombs';
import { REPO, Repo, VERIFY_AT, entry, forgeIndex } from '../helpers/repo';
import { day } from '../helpers/world';

/** Chunk sizes: single bytes, sizes that split "\r\n" and "- ", and a few that split lines anywhere. */
const CUTS = [1, 2, 3, 7, 61, 4096];

function* chunked(data: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  yield* chunked(data, size);
}

/** chunked through one buffer, filled again for each chunk, as a file is read. */
function* reused(data: Buffer, size: number): Generator<Buffer> {
  const buffer = Buffer.alloc(size);
  for (const chunk of chunked(data, size)) yield buffer.subarray(0, chunk.copy(buffer));
}

/** The grammar's verdict on a text: its number of entries, or its error. */
type Grammar = number | { error: string };
type Outcome =
  | { error: string }
  | { text: string; headerHashes: string[]; signature: string; digests: Record<string, string>; grammar: Grammar };

const failure = (error: unknown): { error: string } => {
  if (!(error instanceof PkgkeysError)) throw error;
  return { error: `${error.code}: ${error.message}` };
};

const grammarOf = (check: () => number): Grammar => {
  try {
    return check();
  } catch (error) {
    return failure(error);
  }
};

/** The grammar told the lines as they were decoded says what checkSummary says of the text decoded. */
function expectGrammarOfText(outcome: Outcome): void {
  if ('text' in outcome)
    expect(outcome.grammar).toEqual(grammarOf(() => checkSummary(Buffer.from(outcome.text, 'latin1'), 'doc')));
}

/** parseCleartext, then canonicalize with each hash the headers name. */
function whole(data: Buffer): Outcome {
  try {
    const cleartext = parseCleartext(data, 'doc', 'INDEX_MALFORMED');
    const digests: Record<string, string> = {};
    let text = '';
    let lines = new SummaryLines('doc');
    for (const name of new Set(cleartext.headerHashes.filter((h) => ['sha256', 'sha512', 'sha1'].includes(h)))) {
      const hash = createHash(name);
      lines = new SummaryLines('doc');
      text = canonicalize(cleartext.body, hash, lines).toString('latin1');
      digests[name] = hash.digest('hex');
    }
    if (Object.keys(digests).length === 0)
      text = canonicalize(cleartext.body, createHash('sha256'), lines).toString('latin1');
    return {
      text,
      headerHashes: cleartext.headerHashes,
      signature: cleartext.signature.toString('hex'),
      digests,
      grammar: grammarOf(() => lines.end()),
    };
  } catch (error) {
    return failure(error);
  }
}

function streamed(data: Buffer, size: number, from = chunked): Outcome {
  const pieces: Buffer[] = [];
  try {
    const lines = new SummaryLines('doc');
    const reader = new CleartextReader(
      'doc',
      'INDEX_MALFORMED',
      (piece) => void pieces.push(Buffer.from(piece)),
      lines,
    );
    for (const chunk of from(data, size)) reader.push(chunk);
    const cleartext = reader.end();
    const digests = Object.fromEntries(
      [...cleartext.hashes]
        .filter(([name]) => ['sha256', 'sha512', 'sha1'].includes(name))
        .map(([name, hash]) => [name, hash.digest('hex')]),
    );
    return {
      text: Buffer.concat(pieces).toString('latin1'),
      headerHashes: cleartext.headerHashes,
      signature: cleartext.signature.toString('hex'),
      digests,
      grammar: grammarOf(() => lines.end()),
    };
  } catch (error) {
    return failure(error);
  }
}

let repo: Repo;
let signed: Buffer;
let graph: TrustGraph;
beforeAll(async () => {
  repo = await Repo.create();
  const text = await repo.publish([
    { pkgname: 'foo-1.0', content: Buffer.from('foo') },
    { pkgname: 'bar-2.0', content: Buffer.from('bar') },
  ]);
  signed = await repo.signIndex(text);
  graph = await loadTrustGraph([repo.path('master.asc')], repo.path('keyring.asc'));
}, 60_000);
afterAll(() => repo.cleanup());

/** Framework tricks: each a transformation of the signed index as latin1 text. */
const TRICKS: Array<[string, (doc: string) => string]> = [
  ['untouched', (d) => d],
  ['CRLF line ends', (d) => d.replace(/\n/g, '\r\n')],
  ['trailing empty lines and CRLF ones', (d) => `${d}\n\r\n\n`],
  ['no line end after END', (d) => d.replace(/\n$/, '')],
  ['CR but no LF after END', (d) => d.replace(/\n$/, '\r')],
  ['trailing whitespace on text lines', (d) => d.replace(/^(PKGNAME=.*)$/gm, '$1 \t ')],
  ['CR before some line ends only', (d) => d.replace(/^(COMMENT=.*)\n/gm, '$1\r\n')],
  ['dash-escaped text lines', (d) => d.replace(/^(DEPENDS=.*)$/gm, '- $1')],
  ['an unescaped dash line', (d) => d.replace(/^(OPSYS=.*)$/m, '-$1')],
  ['a line that is one dash', (d) => d.replace(/^(OPSYS=.*)$/m, '-')],
  ['a dash line first in the text', (d) => d.replace('\n\nPKGNAME=', '\n\n-PKGNAME=')],
  ['an escaped dash line first in the text', (d) => d.replace('\n\nPKGNAME=', '\n\n- PKGNAME=')],
  [
    'BEGIN SIGNATURE with a trailing space',
    (d) => d.replace('-----BEGIN PGP SIGNATURE-----', '-----BEGIN PGP SIGNATURE----- '),
  ],
  [
    'BEGIN SIGNATURE with CRLF',
    (d) => d.replace('-----BEGIN PGP SIGNATURE-----\n', '-----BEGIN PGP SIGNATURE-----\r\n'),
  ],
  ['no text at all', (d) => d.replace(/\n\n[^]*?-----BEGIN PGP SIGNATURE/, '\n\n-----BEGIN PGP SIGNATURE')],
  ['text before BEGIN', (d) => `\n${d}`],
  ['an entry before BEGIN', (d) => entry('evil-6.6.6') + d],
  ['an entry after END', (d) => `${d}${entry('evil-6.6.6')}`],
  ['spaces after END', (d) => `${d}  \n`],
  ['a second signed block', (d) => d + d],
  ['no Hash header', (d) => d.replace('Hash: SHA256\n', '')],
  ['Hash: SHA512', (d) => d.replace('Hash: SHA256', 'Hash: SHA512')],
  ['two hashes in the header', (d) => d.replace('Hash: SHA256', 'Hash: SHA512, SHA256')],
  ['two Hash headers', (d) => d.replace('Hash: SHA256\n', 'Hash: SHA1\nHash: SHA256\n')],
  ['an unknown hash', (d) => d.replace('Hash: SHA256', 'Hash: FOO')],
  ['another armor header', (d) => d.replace('Hash: SHA256\n', 'Hash: SHA256\nComment: hi\n')],
  ['CRLF after the headers only', (d) => d.replace('Hash: SHA256\n\n', 'Hash: SHA256\r\n\r\n')],
  ['no END line', (d) => d.replace(/-----END PGP SIGNATURE-----\n$/, '')],
  [
    'the armor checksum changed',
    (d) => d.replace(/^=(....)$/m, (_, crc: string) => `=${crc === 'AAAA' ? 'BBBB' : 'AAAA'}`),
  ],
  ['an armor line of bad base64', (d) => d.replace(/^(=....)$/m, '!!!!\n$1')],
  [
    'an armor longer than 64 KiB',
    (d) =>
      d.replace('-----BEGIN PGP SIGNATURE-----\n', `-----BEGIN PGP SIGNATURE-----\n${'Comment: x\n'.repeat(7000)}`),
  ],
  ['an empty file', () => ''],
  ['one empty line', () => '\n'],
  ['a first line without a line end', () => '-----BEGIN PGP SIGNED MESSAGE-----'],
  ['the end of the headers without a line end', () => '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256'],
  ['headers, then nothing', () => '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n'],
  ['text without a line end', () => '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nPKGNAME=a'],
  ['an escaped last line without a line end', () => '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n- PKGNAME=a'],
  [
    'BEGIN SIGNATURE without a line end',
    () => '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nPKGNAME=a\n-----BEGIN PGP SIGNATURE-----',
  ],
  [
    'a last unescaped dash line without a line end',
    () => '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nPKGNAME=a\n-x',
  ],
  ['a CR alone after the headers', () => '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\r'],
  [
    'a text line longer than the hashing buffer',
    (d) => d.replace('COMMENT=', `COMMENT=${'x'.repeat(1.5 * (1 << 20))} `),
  ],
  ['a CR inside a value', (d) => d.replace(/^(COMMENT=.*)$/m, '$1\rmore')],
  ['a CR and trailing blanks ending a line', (d) => d.replace(/^(OPSYS=.*)$/m, '$1\r \t')],
  ['a NUL inside a value', (d) => d.replace(/^(COMMENT=.*)$/m, '$1\0')],
  ['a CR inside an escaped dash line', (d) => d.replace(/^(DEPENDS=.*)$/m, '- $1\rx')],
  ['CRLF line ends and a CR inside a value', (d) => d.replace(/^(COMMENT=.*)$/m, '$1\rmore').replace(/\n/g, '\r\n')],
  [
    'a NUL in the armor after a CR in the text',
    (d) => d.replace(/^(OPSYS=.*)$/m, '$1\r').replace('-----END PGP', '\0-----END PGP'),
  ],
  ['a line without "=" in the text', (d) => d.replace(/^OPSYS=/m, 'OPSYS ')],
  ['two empty lines in the text', (d) => d.replace('\n\nPKGNAME=bar', '\n\n\nPKGNAME=bar')],
  ['the last entry cut short', (d) => d.replace(/\n\n-----BEGIN PGP SIGNATURE/, '\n-----BEGIN PGP SIGNATURE')],
  [
    'a text that is not a pkg_summary',
    (d) => d.replace(/\n\n[^]*?\n-----BEGIN PGP SIGNATURE/, '\n\nhello\n-----BEGIN PGP SIGNATURE'),
  ],
];

/** Seeded mutations of the signed index: bytes deleted, inserted and replaced where the framework cares. */
function mutations(doc: Buffer, count: number): Array<[string, Buffer]> {
  let seed = 12345;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const bytes = [0x2d, 0x0a, 0x0d, 0x20, 0x09, 0x3d, 0x41, 0x00];
  const out: Array<[string, Buffer]> = [];
  for (let i = 0; i < count; i++) {
    const at = next(doc.length);
    const byte = bytes[next(bytes.length)]!;
    const how = next(3);
    const mutated =
      how === 0
        ? Buffer.concat([doc.subarray(0, at), doc.subarray(at + 1)])
        : how === 1
          ? Buffer.concat([doc.subarray(0, at), Buffer.from([byte]), doc.subarray(at)])
          : Buffer.from(doc);
    if (how === 2) mutated[at] = byte;
    out.push([`${['delete', 'insert', 'replace'][how]} ${byte} at ${at}`, mutated]);
  }
  return out;
}

describe('CleartextReader reads what parseCleartext and canonicalize read, chunked anywhere', () => {
  it.each(TRICKS)('%s', (_name, trick) => {
    const doc = Buffer.from(trick(signed.toString('latin1')), 'latin1');
    const expected = whole(doc);
    expectGrammarOfText(expected);
    // A megabyte line a byte at a time would only take long.
    for (const size of [...CUTS.filter((n) => doc.length < 1 << 20 || n > 7), doc.length || 1])
      expect({ size, outcome: streamed(doc, size) }).toEqual({ size, outcome: expected });
    for (const size of [7, 61])
      expect({ size, reused: streamed(doc, size, reused) }).toEqual({ size, reused: expected });
  });

  it('and so for 400 seeded mutations of a signed index', () => {
    for (const [name, doc] of mutations(signed, 400)) {
      const expected = whole(doc);
      expectGrammarOfText(expected);
      for (const size of [1, 5, 64])
        expect({ name, size, outcome: streamed(doc, size) }).toEqual({ name, size, outcome: expected });
    }
  });
});

describe('verifyIndexFileStream verifies as verifyIndexData does', () => {
  let counter = 0;
  /** Each verification starts from nothing accepted, unless the test gives the newest accepted. */
  const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
    graph,
    repository: REPO,
    now: VERIFY_AT,
    policy: DEFAULT_POLICY,
    newest: null,
    ...extra,
  });

  async function both(doc: Buffer, extra: Partial<VerifyOptions> = {}): Promise<{ whole: unknown; streamed: unknown }> {
    const file = await repo.write(`doc-${counter}`, doc);
    const summarize = (r: { signer: string; signed: Date; expires: Date; entries: number; repository: string }) => ({
      signer: r.signer,
      signed: r.signed,
      expires: r.expires,
      entries: r.entries,
      repository: r.repository,
    });
    const inMemory = await verifyIndexData(doc, 'doc', options(extra)).then(
      (r) => ({ ...summarize(r), text: r.text.toString('latin1') }),
      failure,
    );
    const pieces: Buffer[] = [];
    const read = await verifyIndexFileStream(file, 'doc', {
      ...options(extra),
      text: (p) => void pieces.push(...p.map((b) => Buffer.from(b))),
    }).then((r) => ({ ...summarize(r), text: Buffer.concat(pieces).toString('latin1') }), failure);
    return { whole: inMemory, streamed: read };
  }

  const sameFor = async (doc: Buffer, extra: Partial<VerifyOptions> = {}) => {
    const { whole: expected, streamed: got } = await both(doc, extra);
    expect(got).toEqual(expected);
    return got as Outcome & { error?: string };
  };

  it('a good index: the same text and verdict', async () => {
    expect(await sameFor(signed)).toMatchObject({ entries: 2, signer: repo.host.fingerprint });
  });

  it.each([
    ['gzip', 'gz'],
    ['zstd', 'zst'],
  ])('a good index compressed with %s', async (_tool, ext) => {
    const { execFileSync } = await import('node:child_process');
    const compressed = execFileSync(_tool, ['-c'], { input: signed });
    expect(await sameFor(compressed)).toMatchObject({ entries: 2 });
    expect((await sameFor(compressed.subarray(0, compressed.length - 20))).error).toMatch(
      /^INDEX_MALFORMED: doc: corrupt/,
    );
  });

  it.each([
    ['modified text', (d: string) => d.replace('foo-1.0', 'foo-6.6'), 'BAD_SIGNATURE'],
    ['a second block', (d: string) => d + d, 'INDEX_MALFORMED'],
    ['an unescaped dash line', (d: string) => d.replace(/^(OPSYS=.*)$/m, '-$1'), 'INDEX_MALFORMED'],
    ['a Hash header that lies', (d: string) => d.replace('Hash: SHA256', 'Hash: SHA512'), 'HASH_HEADER_MISMATCH'],
  ])('%s: the same refusal', async (_name, attack, code) => {
    expect((await sameFor(Buffer.from(attack(signed.toString('latin1')), 'latin1'))).error).toMatch(
      new RegExp(`^${code}: `),
    );
  });

  it.each<[string, Partial<SignatureSpec>, string]>([
    [
      'for another repository',
      { notations: [{ name: REPOSITORY_NOTATION, value: 'NetBSD/aarch64/10.0/All' }] },
      'REPOSITORY_MISMATCH',
    ],
    ['without expiry', { expires: null }, 'INDEX_NO_EXPIRY'],
    ['expired', { created: day(90), expires: day(91) }, 'INDEX_EXPIRED'],
    ['from the future', { created: day(101) }, 'CLOCK_BEHIND'],
  ])('signed %s: the same refusal', async (_name, spec, code) => {
    const text = (await fs.readFile(repo.path('pkg_summary'))).toString();
    expect((await sameFor(await repo.signIndex(text, spec))).error).toMatch(new RegExp(`^${code}: `));
  });

  it('signed with SHA-1: the same refusal', async () => {
    const text = (await fs.readFile(repo.path('pkg_summary'))).toString();
    expect((await sameFor(forgeIndex(repo.host, text, { hash: 'sha1' }))).error).toMatch(/^WEAK_ALGORITHM: /);
  });

  it('signed, but not a pkg_summary: the grammar is told last, after the signature', async () => {
    expect((await sameFor(await repo.signIndex('PKGNAME=a\nno equals sign\n\n'))).error).toMatch(
      /^SUMMARY_MALFORMED: doc:2: /,
    );
    // Malformed text that is not signed either: the signature's failure, not the grammar's.
    const forged = Buffer.from(signed.toString('latin1').replace('PKGNAME=foo-1.0', 'PKGNAME foo-1.0'), 'latin1');
    expect((await sameFor(forged)).error).toMatch(/^BAD_SIGNATURE: /);
  });

  it('older than the index already accepted: the same ROLLBACK, the state left as it was', async () => {
    const newest = { repository: REPO, signed: day(101), signer: repo.host.fingerprint };
    expect((await sameFor(signed, { newest })).error).toMatch(/^ROLLBACK: /);
  });
});

describe('verifyIndexFileInto verifies a file as verifyIndexFile does, never holding it whole', () => {
  let counter = 0;
  const request = (file: string): IndexRequest => ({
    file,
    repository: REPO,
    clock: clockAt(VERIFY_AT, null),
    policy: DEFAULT_POLICY,
    sources: {
      anchors: [repo.path('master.asc')],
      keyring: repo.path('keyring.asc'),
      stateDir: repo.path(`state-into-${++counter}`),
    },
  });
  /** The verdict, the text (what was handed on before a refusal is no text), and what the state directory then holds. */
  async function outcome(
    verify: (
      r: IndexRequest,
      text: (pieces: Buffer[]) => Promise<void>,
    ) => Promise<{ signer: string; entries: number; expires: Date }>,
    file: string,
  ) {
    const r = request(file);
    const pieces: Buffer[] = [];
    const verdict = await verify(r, async (p) => void pieces.push(...p.map((b) => Buffer.from(b)))).then(
      (v) => ({ signer: v.signer, entries: v.entries, expires: v.expires }),
      failure,
    );
    const text = 'error' in verdict ? null : Buffer.concat(pieces).toString('latin1');
    return { verdict, text, newest: await new ClientState(r.sources.stateDir).newest(REPO) };
  }
  const same = async (file: string) => {
    const whole = await outcome(async (r, text) => {
      const v = await verifyIndexFile(r);
      await text([v.text]);
      return v;
    }, file);
    expect(await outcome(verifyIndexFileInto, file)).toEqual(whole);
    return whole;
  };
  const sameFor = async (doc: Buffer) => same(await repo.write(`into-${counter}`, doc));

  it.each(TRICKS)('%s', async (_name, trick) => {
    await sameFor(Buffer.from(trick(signed.toString('latin1')), 'latin1'));
  });

  it('a good index, plain and compressed with each tool: the same text, verdict and state', async () => {
    const { execFileSync } = await import('node:child_process');
    expect(await sameFor(signed)).toMatchObject({ verdict: { entries: 2 }, newest: { signer: repo.host.fingerprint } });
    for (const tool of ['gzip', 'bzip2', 'xz', 'zstd'])
      expect(await sameFor(execFileSync(tool, ['-c'], { input: signed }))).toMatchObject({ verdict: { entries: 2 } });
  });

  it('a compressed index, corrupt or too large, whose beginning is no signed index: the decompression is told, as it comes first', async () => {
    const { gzipSync } = await import('node:zlib');
    const garbage = gzipSync(Buffer.from('garbage\n'.repeat(100_000)));
    expect((await sameFor(garbage.subarray(0, garbage.length - 100))).verdict).toMatchObject({
      error: expect.stringMatching(/^INDEX_MALFORMED: .*corrupt gzip data/),
    });
    expect((await sameFor(gzipBomb())).verdict).toMatchObject({
      error: expect.stringMatching(/^TOO_LARGE: .*decompresses to more than/),
    });
  });

  it('what cannot be read: the same refusal, before anything is verified', async () => {
    expect((await same(repo.path('absent.asc'))).verdict).toMatchObject({
      error: expect.stringMatching(/^IO_ERROR: /),
    });
    await fs.mkdir(repo.path('a-directory.asc'), { recursive: true });
    expect((await same(repo.path('a-directory.asc'))).verdict).toMatchObject({
      error: expect.stringMatching(/^NOT_REGULAR_FILE: /),
    });
  });
});

describe('verifyIndexStream tells a failure to read before a failure of the framework', () => {
  it('a read that fails after a chunk that is no signed index: the failure to read', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('not a signed index\n');
      throw new PkgkeysError('IO_ERROR', 'cannot read doc: the disk went away');
    }
    await expect(
      verifyIndexStream(failing(), 'doc', {
        graph,
        repository: REPO,
        now: VERIFY_AT,
        policy: DEFAULT_POLICY,
        newest: null,
      }),
    ).rejects.toMatchObject({ code: 'IO_ERROR' });
  });
});

describe('recheckIndex judges an unchanged index again without its text', () => {
  let first: StreamedIndex;
  beforeAll(async () => {
    const file = await repo.write('recheck.asc', signed);
    first = await verifyIndexFileStream(file, 'doc', {
      graph,
      repository: REPO,
      now: VERIFY_AT,
      policy: DEFAULT_POLICY,
      newest: null,
    });
  });
  const recheck = (extra: Partial<VerifyOptions> & { graph?: TrustGraph }) =>
    recheckIndex(first, { graph, repository: REPO, now: VERIFY_AT, policy: DEFAULT_POLICY, newest: null, ...extra });

  it('as it was', async () => {
    expect(await recheck({})).toMatchObject({ signed: first.signed, expires: first.expires, entries: 2 });
  });

  it('expired meanwhile', async () => {
    await expect(recheck({ now: day(108) })).rejects.toMatchObject({ code: 'INDEX_EXPIRED' });
  });

  it('its chain expired meanwhile: the chain is walked again, before the expiry is looked at', async () => {
    await expect(recheck({ now: day(800) })).rejects.toMatchObject({ code: 'CERT_EXPIRED' });
  });

  it('a newer index was accepted meanwhile', async () => {
    const newest = { repository: REPO, signed: day(101), signer: repo.host.fingerprint };
    await expect(recheck({ newest })).rejects.toMatchObject({ code: 'ROLLBACK' });
  });

  it('for another repository, which its signer may not sign', async () => {
    await expect(recheck({ repository: checkRepository('NetBSD/aarch64/10.0/All') })).rejects.toMatchObject({
      code: 'OUT_OF_SCOPE',
    });
  });

  it('with another key under the signer’s name: not vouched for', async () => {
    const forged = {
      ...first,
      verifiedWith: { ...first.verifiedWith, key: Buffer.from(first.verifiedWith.key).fill(0, 10, 20) },
    };
    await expect(
      recheckIndex(forged, { graph, repository: REPO, now: VERIFY_AT, policy: DEFAULT_POLICY, newest: null }),
    ).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
  });
});
