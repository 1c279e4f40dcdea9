/**
 * The build host's side of the index: checksums into pkg_summary, then a cleartext signature that
 * names the repository and expires (DESIGN.md §5). The signature is RSA or Ed25519 v4 with the Issuer
 * Key ID in the hashed area, the layout gpgv, sq and pkg_add's verifier all accept (lib/pgp/signature.ts).
 */
import { PkgkeysError } from '../errors';
import { REPOSITORY_NOTATION, type RepositoryId } from '../model';
import { packageFile, pkgnameOf } from '../packages/files';
import { hashFiles } from '../packages/hash';
import { type SecretKey, hashCanonical, signData, signableText, writeCleartext } from '../pgp';
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
  if (options.expires <= options.created)
    throw new PkgkeysError('USAGE', 'the index signature must expire after it is made');
  const signable = signableText(text);
  const signer = options.key.signer();
  const notations = [{ name: REPOSITORY_NOTATION, value: options.repository }];
  // The grammar is checked in the pass that hashes the text, and told before anything is signed.
  const grammar = new SummaryLines(source);
  let entries = 0;
  const signature = await signData(
    signer,
    { kind: 'text', hash: options.hash, created: options.created, expires: options.expires, notations },
    (hash) => {
      hashCanonical(signable, hash, grammar);
      entries = grammar.end();
    },
  );
  return { signed: writeCleartext(signable, options.hash, signature), entries, signer: signer.fingerprint };
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
