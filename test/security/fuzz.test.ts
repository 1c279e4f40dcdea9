// Attack: hostile bytes anywhere. Seeded mutations (bit flips, truncation, deleted, duplicated and
// replaced bytes, lines cut short, armor lines inserted) of a signed index (its text and its armor, and its
// signature packet re-armored with a good checksum), of keyrings and anchors (armored and binary), and
// of a keyring release statement. Whatever the bytes, pkgkeys must end with a stable code and the exit
// status that code gives, never an unexpected error or OpenPGP.js' own words; and it must never
// accept changed signed text: exit 0 only when the text it verified is the text that was signed.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type Code, exitStatusOf } from '../../lib/errors';
import { armor, canonicalize, parseCleartext, toBinary } from '../../lib/pgp';
import type { CliResult } from '../helpers/cli';
import { KeyringSite } from '../helpers/mirror';
import { Repo, codeOf } from '../helpers/repo';

/** mulberry32: a small seeded PRNG, so that every run tries the same cases and a failure can be replayed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Lines that mean something to an armor or cleartext parser, to insert where they do not belong. */
const TOKENS = [
  '',
  '-----BEGIN PGP SIGNATURE-----',
  '-----END PGP SIGNATURE-----',
  '-----BEGIN PGP SIGNED MESSAGE-----',
  'Hash: SHA1',
  'Hash: RIPEMD160',
  '-----BEGIN PGP PUBLIC KEY BLOCK-----',
  '-----END PGP PUBLIC KEY BLOCK-----',
  '=',
  '=A',
  '=AAA',
  '=AAAAA',
  '- ',
  '-',
  'Comment: x',
  'PKGNAME=evil-1.0',
];

/** One mutation of `data` at a place in [from, to): returns the mutant and what was done, to name the case. */
function mutate(
  data: Buffer,
  from: number,
  to: number,
  rand: (n: number) => number,
  binary: boolean,
): { mutant: Buffer; what: string } {
  // Half the binary mutations hit the first octets, where a packet header and a signature's version, type and algorithms are.
  const at = from + rand(Math.max(1, binary && rand(2) === 0 ? Math.min(6, to - from) : to - from));
  const ops = binary ? 5 : 10; // text: as many line operations as byte ones
  switch (rand(ops)) {
    case 0: {
      const copy = Buffer.from(data);
      const bit = rand(8);
      if (at < copy.length) copy[at]! ^= 1 << bit;
      return { mutant: copy, what: `bit ${bit} of byte ${at} flipped` };
    }
    case 1:
      return { mutant: data.subarray(0, at), what: `truncated to ${at} bytes` };
    case 2:
      return { mutant: Buffer.concat([data.subarray(0, at), data.subarray(at + 1)]), what: `byte ${at} deleted` };
    case 3:
      return { mutant: Buffer.concat([data.subarray(0, at + 1), data.subarray(at)]), what: `byte ${at} duplicated` };
    case 4: {
      const copy = Buffer.from(data);
      const value = rand(256);
      if (at < copy.length) copy[at] = value;
      return { mutant: copy, what: `byte ${at} set to ${value}` };
    }
    default: {
      // Line operations, on a line of the region chosen evenly (a short line, such as the armor checksum, as often as a long one).
      const starts = [from === 0 ? 0 : data.indexOf(0x0a, from - 1) + 1];
      for (let nl = data.indexOf(0x0a, starts[0]!); nl >= 0 && nl + 1 < to; nl = data.indexOf(0x0a, nl + 1))
        starts.push(nl + 1);
      const start = starts[rand(starts.length)]!;
      const newline = data.indexOf(0x0a, start);
      const end = newline < 0 ? data.length : newline + 1;
      const kind = rand(4);
      if (kind === 0)
        return {
          mutant: Buffer.concat([data.subarray(0, start), data.subarray(end)]),
          what: `line at byte ${start} deleted`,
        };
      if (kind === 1)
        return {
          mutant: Buffer.concat([data.subarray(0, end), data.subarray(start, end), data.subarray(end)]),
          what: `line at byte ${start} duplicated`,
        };
      if (kind === 2) {
        const cut = 1 + rand(4);
        const last = newline < 0 ? data.length : newline;
        return {
          mutant: Buffer.concat([data.subarray(0, Math.max(start, last - cut)), data.subarray(last)]),
          what: `line at byte ${start} cut by ${cut}`,
        };
      }
      const token = TOKENS[rand(TOKENS.length)]!;
      return {
        mutant: Buffer.concat([data.subarray(0, start), Buffer.from(`${token}\n`), data.subarray(start)]),
        what: `line "${token}" inserted at byte ${start}`,
      };
    }
  }
}

const UPSTREAM_WORDS =
  /Error during parsing|Parsing \w+ failed|Invalid enum value|Packet not allowed|Unknown packet type|Misformed armored text|Ascii armor integrity|Unsupported|Error reading|Unexpected end/i;

/** Everything wrong with one run's outcome, or nothing. `accepted`: whether exit 0 is right for this input. */
function problemsOf(result: CliResult, accepted: () => boolean): string[] {
  const problems: string[] = [];
  const code = codeOf(result);
  if (![0, 1, 2, 3].includes(result.status)) problems.push(`exit ${result.status}`);
  if (/unexpected error|\n\s+at /.test(result.stderr)) problems.push('an unexpected error');
  if (UPSTREAM_WORDS.test(result.stderr)) problems.push("OpenPGP.js' words in the message");
  if (result.status !== 0 && (code === null || exitStatusOf(code as Code) !== result.status))
    problems.push(`exit ${result.status} with code ${code}`);
  // Every file is there and readable: an input/output error can only be a failure that was not foreseen.
  if (code === 'IO_ERROR') problems.push('IO_ERROR for bytes that were read');
  if (result.status === 0 && !accepted()) problems.push('CHANGED TEXT ACCEPTED');
  return problems;
}

/** The text a cleartext-signed file carries, as a verifier reads it; null when it has no framework. */
function signedTextOf(file: Buffer): string | null {
  try {
    return canonicalize(
      parseCleartext(Buffer.from(file), 'mutant', 'INDEX_MALFORMED').body,
      createHash('sha256'),
    ).toString('latin1');
  } catch {
    return null;
  }
}

/** The armored signature block's packet mutated and armored again, with a good checksum: mutations that reach the packet parser. */
async function withMutatedSignature(
  file: Buffer,
  rand: (n: number) => number,
): Promise<{ mutant: Buffer; what: string }> {
  const text = file.toString('latin1');
  const begin = text.indexOf('-----BEGIN PGP SIGNATURE-----');
  const packet = Buffer.from(await toBinary(text.slice(begin), 'signature'));
  const { mutant, what } = mutate(packet, 0, packet.length, rand, true);
  return {
    mutant: Buffer.from(
      text.slice(0, begin) +
        (mutant.length ? armor('signature', mutant) : '-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n'),
      'latin1',
    ),
    what: `signature packet: ${what}`,
  };
}

/** Hundreds of in-process runs: generous, for a loaded machine (nothing here is timed). */
const FUZZ_TIMEOUT_MS = 600_000;

interface Failure {
  target: string;
  seed: number;
  what: string;
  problems: string[];
  stderr: string;
}

describe('fuzzing with seeded mutations', () => {
  let repo: Repo;
  let summary: string;
  let signed: Buffer;
  let keyringArmored: Buffer;
  let keyringBinary: Buffer;
  let anchor: Buffer;
  beforeAll(async () => {
    repo = await Repo.create();
    summary = await repo.publish([
      { pkgname: 'foo-1.0', content: Buffer.from('foo package') },
      { pkgname: 'bar-2.0', content: Buffer.from('bar package') },
    ]);
    signed = await fs.readFile((await repo.sign()).file);
    keyringArmored = await fs.readFile(repo.path('keyring.asc'));
    keyringBinary = Buffer.from(await toBinary(keyringArmored, 'keyring'));
    anchor = Buffer.from(repo.master.public);
  });
  afterAll(() => repo.cleanup());

  /** Runs `cases` mutants of one target; collects every run that ends wrongly. */
  async function fuzz(
    target: string,
    seed: number,
    cases: number,
    make: (rand: (n: number) => number) => Promise<{ mutant: Buffer; what: string }>,
    run: (mutant: Buffer) => Promise<{ result: CliResult; accepted: () => boolean }>,
  ): Promise<Failure[]> {
    const failures: Failure[] = [];
    for (let i = 0; i < cases; i++) {
      const caseSeed = seed * 1000 + i;
      const { mutant, what } = await make(prng(caseSeed));
      const { result, accepted } = await run(mutant);
      const problems = problemsOf(result, accepted);
      if (problems.length > 0)
        failures.push({ target, seed: caseSeed, what, problems, stderr: result.stderr.slice(0, 400) });
    }
    return failures;
  }

  const verifyIndex = async (mutant: Buffer) => {
    const result = await repo.verify(await repo.write('mutant.asc', mutant), { stateDir: repo.path('fuzz-state') });
    return { result, accepted: () => result.stdout === summary };
  };
  /** Verifies the good index with mutated key material in place of the keyring (or of the anchor). */
  const verifyWith = (file: 'anchor' | 'keyring') => async (mutant: Buffer) => {
    const result = await repo.verify(await repo.write('good.asc', signed), {
      stateDir: repo.path('fuzz-state'),
      [file]: await repo.write(`mutant-${file}.asc`, mutant),
    });
    return { result, accepted: () => result.stdout === summary };
  };

  it(
    'a signed index: its text and its armor',
    async () => {
      const armorAt = signed.indexOf('-----BEGIN PGP SIGNATURE-----');
      const failures = [
        ...(await fuzz('index text', 1, 40, async (rand) => mutate(signed, 0, armorAt, rand, false), verifyIndex)),
        ...(await fuzz(
          'index armor',
          2,
          100,
          async (rand) => mutate(signed, armorAt, signed.length, rand, false),
          verifyIndex,
        )),
        ...(await fuzz('index signature packet', 3, 60, (rand) => withMutatedSignature(signed, rand), verifyIndex)),
      ];
      expect(failures).toEqual([]);
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'keyrings and anchors, armored and binary',
    async () => {
      const failures = [
        ...(await fuzz(
          'keyring armored',
          4,
          30,
          async (rand) => mutate(keyringArmored, 0, keyringArmored.length, rand, false),
          verifyWith('keyring'),
        )),
        ...(await fuzz(
          'keyring binary',
          5,
          60,
          async (rand) => mutate(keyringBinary, 0, keyringBinary.length, rand, true),
          verifyWith('keyring'),
        )),
        ...(await fuzz(
          'anchor armored',
          6,
          40,
          async (rand) => mutate(anchor, 0, anchor.length, rand, false),
          verifyWith('anchor'),
        )),
        ...(await fuzz(
          'anchor binary, armored again',
          7,
          40,
          async (rand) => {
            const binary = Buffer.from(await toBinary(anchor, 'anchor'));
            const { mutant, what } = mutate(binary, 0, binary.length, rand, true);
            return { mutant: Buffer.from(armor('publicKey', mutant)), what: `re-armored: ${what}` };
          },
          verifyWith('anchor'),
        )),
      ];
      expect(failures).toEqual([]);
    },
    FUZZ_TIMEOUT_MS,
  );

  describe('a keyring release statement', () => {
    let site: KeyringSite;
    let statement: Buffer;
    let releaseText: string;
    beforeAll(async () => {
      site = await KeyringSite.create();
      const release = await site.publish(2026041001);
      statement = release.statement;
      releaseText = signedTextOf(statement)!;
      await fs.mkdir(site.path('mutant'));
      await fs.writeFile(site.path('mutant', 'keyring.gpg'), release.keyring);
    }, 120_000);
    afterAll(() => site.cleanup());

    let clients = 0;
    const update = async (mutant: Buffer) => {
      await fs.writeFile(site.path('mutant', 'release.asc'), mutant);
      const client = await site.client(`client-${clients++}`);
      const url = `file://${path.join(site.dir, 'mutant')}/`;
      const result = await client.update(url);
      return { result, accepted: () => signedTextOf(mutant) === releaseText };
    };

    it(
      'its text, its armor and its signature packet',
      async () => {
        const armorAt = statement.indexOf('-----BEGIN PGP SIGNATURE-----');
        const failures = [
          ...(await fuzz('release text', 8, 25, async (rand) => mutate(statement, 0, armorAt, rand, false), update)),
          ...(await fuzz(
            'release armor',
            9,
            25,
            async (rand) => mutate(statement, armorAt, statement.length, rand, false),
            update,
          )),
          ...(await fuzz('release signature packet', 10, 25, (rand) => withMutatedSignature(statement, rand), update)),
        ];
        expect(failures).toEqual([]);
      },
      FUZZ_TIMEOUT_MS,
    );
  });
});
