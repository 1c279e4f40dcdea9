/**
 * The build host's side of the index: checksums into pkg_summary, then a cleartext signature that
 * names the repository and expires (DESIGN.md §5). The signature is RSA or Ed25519 v4 with the Issuer
 * Key ID in the hashed area, the layout gpgv, sq and pkg_add's verifier all accept (lib/pgp/signature.ts).
 */
import { PkgkeysError } from '../errors';
import { REPOSITORY_NOTATION, type RepositoryId } from '../model';
import { packageFile, pkgnameOf } from '../packages/files';
import { hashFiles } from '../packages/hash';
import { MAX_INDEX_BYTES } from '../limits';
import {
  CanonicalLines,
  type SecretKey,
  cleartextHeader,
  cleartextSignature,
  escapeLines,
  isSignable,
  signData,
  signableText,
} from '../pgp';
import { decompressFile } from '../summary/compress';
import { type Entry, SummaryLines, formatSummary, parseSummary, setValue, value } from '../summary/format';

export interface SignIndexOptions {
  key: SecretKey;
  repository: RepositoryId;
  created: Date;
  /** Mandatory: an index without an expiry could be replayed for ever (freeze, DESIGN.md §3). */
  expires: Date;
  hash: 'sha256' | 'sha512';
}

export interface SignedIndex {
  /** The whole clearsigned file, in parts to be written one after the other. */
  signed: Buffer[];
  entries: number;
  signer: string;
}

/** A build's text as it can be signed, and how many of its lines that changed. */
export interface NormalisedSummary {
  text: Buffer;
  /** Lines that lost trailing blanks or a CR, plus one for a final newline added: 0 when `text` is the input. */
  lines: number;
  /** The warning to print when `lines` > 0, naming `source`. */
  warning: (source: string) => string;
}

/**
 * The text every published form is made from: a cleartext signature cannot keep trailing blanks or CR
 * line ends (RFC 9580 §7.2: they are not part of what is signed, and verifiers drop them), so they are
 * taken out before anything is signed or compressed, and the caller says so. Publishing the build's text
 * beside a signature over another would leave pkg_summary.gz and pkg_summary.asc disagreeing.
 */
export function normaliseSummary(text: Buffer): NormalisedSummary {
  const signable = signableText(text);
  if (signable === text) return { text, lines: 0, warning: () => '' };
  const raw = text.toString('latin1');
  const lines = (raw.match(/[ \t\r]+(?=\n|$)/g) ?? []).length + (raw.endsWith('\n') ? 0 : 1);
  return {
    text: signable,
    lines,
    warning: (source) =>
      `${source}: ${lines} line(s) had trailing blanks or a CR (CRLF line ends) or no final newline; the index is signed and published without them`,
  };
}

/** Signs a pkg_summary text (already decompressed). Trailing whitespace, which a cleartext signature cannot cover, is removed (normaliseSummary says when). */
export async function signIndex(text: Buffer, source: string, options: SignIndexOptions): Promise<SignedIndex> {
  const signed: Buffer[] = [];
  const result = await signIndexTo([signableText(text)], source, options, (parts) => void signed.push(...parts));
  if (result === null) throw new Error('signableText returned a text that cannot be signed as it is');
  return { signed, ...result };
}

/** Where signIndexTo writes the signed index, in parts to be written in order: a part may be a view of a run, to be done with once the promise settles. */
export type IndexOut = (parts: readonly Buffer[]) => void | Promise<void>;

/** Thrown inside signing to stop it: a run that cannot be signed as it is. */
const NOT_SIGNABLE = Symbol('not signable');

const LF = 0x0a;

/**
 * Signs a pkg_summary text that comes as runs of whole lines (in memory, or read as it goes:
 * summaryFileText), writing the cleartext-signed index to `out` in the same pass: header, text, then
 * the signature, so that what is written is what was hashed. The grammar is checked in that pass too,
 * and told before anything is signed. Returns null, `out` having had part of the text, when a run
 * cannot be signed as it is (isSignable): the caller discards what `out` had and signs
 * normaliseSummary's text instead.
 */
export async function signIndexTo(
  runs: Iterable<Buffer> | AsyncIterable<Buffer>,
  source: string,
  options: SignIndexOptions,
  out: IndexOut,
): Promise<Omit<SignedIndex, 'signed'> | null> {
  if (options.expires <= options.created)
    throw new PkgkeysError('USAGE', 'the index signature must expire after it is made');
  const signer = options.key.signer();
  const notations = [{ name: REPOSITORY_NOTATION, value: options.repository }];
  const grammar = new SummaryLines(source);
  let entries = 0;
  let signature: Uint8Array;
  try {
    await out([cleartextHeader(options.hash)]);
    signature = await signData(
      signer,
      { kind: 'text', hash: options.hash, created: options.created, expires: options.expires, notations },
      async (hash) => {
        const canonical = new CanonicalLines(hash, grammar);
        for await (const run of runs) {
          if (!isSignable(run)) throw NOT_SIGNABLE;
          canonical.push(run);
          await out(escapeLines(run));
        }
        canonical.end();
        entries = grammar.end();
      },
    );
  } catch (error) {
    if (error === NOT_SIGNABLE) return null;
    throw error;
  }
  await out([cleartextSignature(signature)]);
  return { entries, signer: signer.fingerprint };
}

/**
 * The text of a pkg_summary file, plain or compressed, read as it goes in runs of whole lines (the
 * last may lack its "\n"), for signIndexTo. A run is good until the next is asked for.
 */
export async function* summaryFileText(file: string): AsyncGenerator<Buffer> {
  // The start of a line a chunk cut off, copied: the next chunk is read into the same buffer.
  let cut: Buffer[] = [];
  for await (const chunk of decompressFile(file, file, MAX_INDEX_BYTES)) {
    const first = chunk.indexOf(LF);
    if (first < 0) {
      cut.push(Buffer.from(chunk));
      continue;
    }
    let from = 0;
    if (cut.length > 0) {
      yield Buffer.concat([...cut, chunk.subarray(0, first + 1)]);
      from = first + 1;
    }
    const end = chunk.lastIndexOf(LF) + 1;
    if (from < end) yield chunk.subarray(from, end);
    cut = end < chunk.length ? [Buffer.from(chunk.subarray(end))] : [];
  }
  if (cut.length > 0) yield Buffer.concat(cut);
}

/**
 * Adds FILE_SIZE and FILE_CKSUM=sha256 to every entry from its package file in `dir`, or checks them
 * where the entry has them already. A missing file, or a checksum that disagrees, is refused: the
 * index would promise a package the repository does not have. With `replace`, values already there
 * are replaced instead (the files were changed on purpose: signed, lib/publish/repository.ts).
 */
export async function addChecksums(
  text: Buffer,
  source: string,
  dir: string,
  jobs: number,
  options: { replace?: boolean } = {},
): Promise<Buffer> {
  const entries = parseSummary(text, source);
  const files = entries.map((entry) => packageFile(dir, entry));
  const hashed = await hashFiles(
    files.map((file) => ({ file, limit: null })),
    { jobs },
  );
  const out: Entry[] = entries.map((entry, i) => {
    const got = hashed[i]!;
    if (!got.ok) throw got.error;
    const pkgname = pkgnameOf(entry);
    const size = options.replace ? undefined : value(entry, 'FILE_SIZE');
    const cksum = options.replace ? undefined : value(entry, 'FILE_CKSUM');
    if (size !== undefined && size !== String(got.size))
      throw new PkgkeysError('SIZE_MISMATCH', `${pkgname}: FILE_SIZE says ${size} bytes, ${files[i]} has ${got.size}`);
    if (cksum !== undefined && cksum !== `sha256 ${got.sha256}`)
      throw new PkgkeysError(
        'HASH_MISMATCH',
        `${pkgname}: FILE_CKSUM says ${cksum}, ${files[i]} has sha256 ${got.sha256}`,
      );
    return setValue(setValue(entry, 'FILE_SIZE', String(got.size)), 'FILE_CKSUM', `sha256 ${got.sha256}`);
  });
  return Buffer.from(formatSummary(out), 'latin1');
}
