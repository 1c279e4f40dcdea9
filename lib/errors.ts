/**
 * Typed errors with stable codes. Every failure pkgkeys reports carries one of these codes, printed in
 * messages and in --json output; the code decides the exit status, so callers never guess.
 */

/** Exit statuses (DESIGN.md §5). */
export const EXIT = { ok: 0, notTrusted: 1, usage: 2, io: 3 } as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** Every stable code, with the exit status it leads to. */
const CODES = {
  // The trust chain: "not trusted".
  KEY_REVOKED: EXIT.notTrusted,
  KEY_EXPIRED: EXIT.notTrusted,
  KEY_NOT_YET_VALID: EXIT.notTrusted,
  KEY_INVALID: EXIT.notTrusted,
  SUBKEY_REVOKED: EXIT.notTrusted,
  SUBKEY_EXPIRED: EXIT.notTrusted,
  SUBKEY_UNBOUND: EXIT.notTrusted,
  NOT_SIGNING_KEY: EXIT.notTrusted,
  ANCHOR_REVOKED: EXIT.notTrusted,
  ANCHOR_EXPIRED: EXIT.notTrusted,
  ANCHOR_NOT_SIGNER: EXIT.notTrusted,
  CERT_EXPIRED: EXIT.notTrusted,
  CERT_REVOKED: EXIT.notTrusted,
  CERT_INVALID: EXIT.notTrusted,
  CERT_NOT_YET_VALID: EXIT.notTrusted,
  USER_ID_REVOKED: EXIT.notTrusted,
  OUT_OF_SCOPE: EXIT.notTrusted,
  NOT_DELEGATED: EXIT.notTrusted,
  DEPTH_EXCEEDED: EXIT.notTrusted,
  WEAK_ALGORITHM: EXIT.notTrusted,
  NO_PATH: EXIT.notTrusted,
  UNKNOWN_KEY: EXIT.notTrusted,
  /** Some anchors vouch for the key, fewer than the threshold asks (lib/trust/threshold.ts). */
  BELOW_THRESHOLD: EXIT.notTrusted,
  // Keyring consistency.
  KEYRING_INVALID: EXIT.notTrusted,
  // The signed index (RFC 9580 §7 cleartext framework, DESIGN.md §5 freshness).
  INDEX_MALFORMED: EXIT.notTrusted,
  TOO_LARGE: EXIT.notTrusted,
  HASH_HEADER_MISMATCH: EXIT.notTrusted,
  BAD_SIGNATURE: EXIT.notTrusted,
  REPOSITORY_MISMATCH: EXIT.notTrusted,
  INDEX_NO_EXPIRY: EXIT.notTrusted,
  INDEX_EXPIRED: EXIT.notTrusted,
  ROLLBACK: EXIT.notTrusted,
  /** A signature made after now, or a clock that reads before the time signatures proved (lib/verify/state.ts). */
  CLOCK_BEHIND: EXIT.notTrusted,
  SUMMARY_MALFORMED: EXIT.notTrusted,
  // Signed binary packages (lib/pkgsrc/signed-package.ts).
  PACKAGE_MALFORMED: EXIT.notTrusted,
  PKGNAME_MISMATCH: EXIT.notTrusted,
  SIGNATURE_EXPIRED: EXIT.notTrusted,
  /**
   * pkg_add's built-in verifier would refuse it (lib/pkgsrc/pkg-add.ts): a block size it cannot verify
   * the package with, or a signature it cannot read (not v4 RSA, a hash it lacks, no Issuer Key ID
   * hashed before the Issuer Fingerprint), whoever signed it.
   */
  PKG_ADD_UNVERIFIABLE: EXIT.notTrusted,
  // Keyring releases (lib/keyring/release.ts): a replayed keyring must not hide a revocation.
  RELEASE_MALFORMED: EXIT.notTrusted,
  KEYRING_FROZEN: EXIT.notTrusted,
  KEYRING_STALE: EXIT.notTrusted,
  // pkg-vulnerabilities (lib/verify/vulnerabilities.ts), as pkg_admin fetch-pkg-vulnerabilities reads it.
  VULNERABILITIES_MALFORMED: EXIT.notTrusted,
  VULNERABILITIES_EXPIRED: EXIT.notTrusted,
  // Packages against the index.
  HASH_MISMATCH: EXIT.notTrusted,
  SIZE_MISMATCH: EXIT.notTrusted,
  NO_CHECKSUM: EXIT.notTrusted,
  UNSAFE_PATH: EXIT.notTrusted,
  UNKNOWN_PACKAGE: EXIT.notTrusted,
  PACKAGE_MISSING: EXIT.io,
  // Publish gates (lib/publish/gates.ts): what clients would refuse, or a failed build, is not published.
  PUBLISH_SIGNER_UNTRUSTED: EXIT.notTrusted,
  PUBLISH_SHRINK: EXIT.notTrusted,
  /** A keyring release that expires before clients' next update run: every client would report it frozen. */
  PUBLISH_RELEASE_TOO_SHORT: EXIT.usage,
  PUBLISH_RELEASE_OUTLIVES_SIGNER: EXIT.notTrusted,
  // Usage and configuration.
  USAGE: EXIT.usage,
  BAD_PASSPHRASE: EXIT.usage,
  NO_PASSPHRASE: EXIT.usage,
  NOT_SECRET_KEY: EXIT.usage,
  BAD_INPUT: EXIT.usage,
  BAD_CONFIG: EXIT.usage,
  // The signing daemon (lib/signd/).
  SIGND_LOCKED: EXIT.io,
  SIGND_REFUSED: EXIT.notTrusted,
  AUDIT_BROKEN: EXIT.notTrusted,
  // Input/output.
  IO_ERROR: EXIT.io,
  /**
   * Local state that cannot be read (the rollback record of a repository, the installed keyring's
   * record): never reset to nothing, which would reopen the door to rollback; refused until someone looks.
   */
  STATE_DAMAGED: EXIT.io,
  EXISTS: EXIT.io,
  LOCKED: EXIT.io,
  NETWORK_ERROR: EXIT.io,
  NOT_FOUND: EXIT.io,
  /** A FIFO, device or socket where a file is read: refused before it is opened, as reading one may never end. */
  NOT_REGULAR_FILE: EXIT.io,
  BAD_CONTENT_TYPE: EXIT.io,
} as const satisfies Record<string, ExitStatus>;

export type Code = keyof typeof CODES;

export const exitStatusOf = (code: Code): ExitStatus => CODES[code];

/**
 * The status of a command that reports several failures (packages, repositories, problems): the
 * lowest of theirs, so that "not trusted" outranks a usage or input/output error; 0 for none.
 */
export const exitStatusOfAll = (codes: readonly Code[]): ExitStatus =>
  codes.length === 0 ? EXIT.ok : (Math.min(...codes.map(exitStatusOf)) as ExitStatus);

export class PkgkeysError extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(printable(message), options);
    this.name = 'PkgkeysError';
    this.code = code;
  }

  get exitStatus(): ExitStatus {
    return CODES[this.code];
  }
}

/**
 * Control characters escaped as \xNN, but for line ends and tabs: messages quote what mirrors and
 * files said, and an escape sequence in a message could rewrite the terminal it is printed on.
 */
export const printable = (text: string): string =>
  text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** Wraps a failed file-system call so the message names the path. */
export function ioError(what: string, path: string, cause: unknown): PkgkeysError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PkgkeysError('IO_ERROR', `${what} ${path}: ${reason}`, { cause });
}
