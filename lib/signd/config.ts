/**
 * signd.conf: what the signing daemon may sign, and how it is reached. Keyword lines, as in
 * pkgkeys.conf(5) (lib/settings.ts):
 *
 *     socket /var/run/pkgkeys/signd.sock     the Unix socket it listens on
 *     socket-mode 0660                       its permissions (and with socket-group, who may connect)
 *     socket-group pkgbuild
 *     key /etc/pkgkeys/signd/host-secret.asc the build host's secret key, passphrase-protected
 *     unlock-minutes 60                      it locks itself again this long after an unlock
 *     audit-log /var/log/pkgkeys/signd.log   one chained record per signature
 *     state-dir /var/db/pkgkeys/signd        the daemon's own state: the copy of the audit log's head
 *     proof-dir /var/run/pkgkeys/proof       where clients prove who they are (sticky, world-writable)
 *     repository NetBSD/x86_64/10.0/All /pub/packages/NetBSD/x86_64/10.0/All 7d
 *
 *     keyring-url https://cdn.NetBSD.org/pub/pkgsrc/keyring/pkgsrc/   the keyring release clients have
 *     anchor /etc/pkgkeys/anchors/pkgsrc.asc                          (one line per anchor)
 *     anchor-threshold 1                                              how many anchors must vouch, as clients count
 *     max-shrink 10                                                   percent of packages a new index may drop
 *
 * A repository line names the repository identifier, the repository directory (the daemon reads the index to
 * sign from its staging file, lib/publish/repository.ts) and the expiry of the signatures it makes.
 * The publish gates (lib/publish/gates.ts) run before every signature: the daemon's key must be
 * trusted for the repository by the keyring clients have (keyring-url, or client-keyring FILE, with
 * the anchors; one of the two must be set), and the index may not drop more than max-shrink percent
 * of the published packages unless the request says allowShrink, which the audit log records.
 */
import { promises as fs } from 'node:fs';
import { PkgkeysError, ioError } from '../errors';
import type { RepositoryId } from '../model';
import { type ClientKeyringSource, DEFAULT_MAX_SHRINK_PERCENT } from '../publish/gates';
import { absolute, checkRepositoryURL, integer, readSettings } from '../settings';
import { parseExpiry } from '../time';
import { checkKeyringName, checkRepository } from '../trust/scope';

/** A repository the daemon signs for: its identifier, its directory, the lifetime of its signatures. */
export interface SigndRepository {
  repository: RepositoryId;
  dir: string;
  /** The signature's lifetime, as `--expires` takes it (7d). */
  expires: string;
}

export interface SigndConfig {
  socket: string;
  socketMode: number;
  socketGroup: string | null;
  key: string;
  unlockMinutes: number;
  auditLog: string;
  /** Where the daemon keeps what must survive the log (lib/signd/audit.ts): writable by it alone. */
  stateDir: string;
  proofDir: string;
  repositories: SigndRepository[];
  /** The keyring clients have, for the signer gate. */
  clientKeyring: ClientKeyringSource;
  anchors: string[];
  keyringName: string;
  /** How many of the anchors must each vouch for the key, as clients count (lib/trust/threshold.ts). */
  anchorThreshold: number;
  maxShrinkPercent: number;
}

/** keyring: keyring-url or client-keyring; the publish gates cannot be configured away. */
const required = ['socket', 'key', 'audit-log', 'proof-dir', 'keyring', 'anchor'] as const;

/** ${VARBASE}/db/pkgkeys, as for a client's state (lib/paths.ts). */
export const DEFAULT_STATE_DIR = '/var/db/pkgkeys/signd';

/** The daemon's copy of the audit log's head. */
export const auditStateFile = (config: SigndConfig): string => `${config.stateDir}/audit.head`;

export async function readSigndConfig(file: string): Promise<SigndConfig> {
  const text = await fs.readFile(file, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    throw cause.code === 'ENOENT'
      ? new PkgkeysError('BAD_CONFIG', `${file} does not exist`)
      : ioError('cannot read', file, cause);
  });
  const seen = new Set<string>();
  const config: SigndConfig = {
    socket: '',
    socketMode: 0o660,
    socketGroup: null,
    key: '',
    unlockMinutes: 60,
    auditLog: '',
    stateDir: DEFAULT_STATE_DIR,
    proofDir: '',
    repositories: [],
    clientKeyring: { url: '' },
    anchors: [],
    keyringName: 'pkgsrc',
    anchorThreshold: 1,
    maxShrinkPercent: DEFAULT_MAX_SHRINK_PERCENT,
  };
  const path = (keyword: string, set: (c: SigndConfig, v: string) => void) => ({
    arity: 1,
    set: (c: SigndConfig, [v]: string[]) => void (seen.add(keyword), set(c, absolute(v!, keyword))),
  });
  const clientKeyring = (source: ClientKeyringSource) => {
    if (seen.has('keyring'))
      throw new PkgkeysError(
        'BAD_CONFIG',
        'keyring-url and client-keyring name the keyring clients have: set one, once',
      );
    seen.add('keyring');
    return source;
  };
  readSettings(text, file, config, {
    socket: path('socket', (c, v) => (c.socket = v)),
    key: path('key', (c, v) => (c.key = v)),
    'audit-log': path('audit-log', (c, v) => (c.auditLog = v)),
    'proof-dir': path('proof-dir', (c, v) => (c.proofDir = v)),
    'state-dir': path('state-dir', (c, v) => (c.stateDir = v)),
    'socket-mode': {
      arity: 1,
      set: (c, [m]) => {
        if (!/^0?[0-7]{3}$/.test(m!))
          throw new PkgkeysError('BAD_CONFIG', `socket-mode is octal, such as 0660, not "${m}"`);
        c.socketMode = Number.parseInt(m!, 8);
      },
    },
    'socket-group': { arity: 1, set: (c, [g]) => void (c.socketGroup = g!) },
    'unlock-minutes': { arity: 1, set: (c, [m]) => void (c.unlockMinutes = integer(1, 24 * 60)(m!, 'unlock-minutes')) },
    'keyring-url': {
      arity: 1,
      set: (c, [url]) => void (c.clientKeyring = clientKeyring({ url: checkRepositoryURL(url!) })),
    },
    'client-keyring': {
      arity: 1,
      set: (c, [file]) => void (c.clientKeyring = clientKeyring({ file: absolute(file!, 'client-keyring') })),
    },
    anchor: path('anchor', (c, v) => c.anchors.push(v)),
    'keyring-name': { arity: 1, set: (c, [name]) => void (c.keyringName = checkKeyringName(name!)) },
    'anchor-threshold': {
      arity: 1,
      set: (c, [k]) => void (c.anchorThreshold = integer(1, 1000)(k!, 'anchor-threshold')),
    },
    // Below 100: an index that drops every package always needs the operator's word.
    'max-shrink': { arity: 1, set: (c, [p]) => void (c.maxShrinkPercent = integer(0, 99)(p!, 'max-shrink')) },
    repository: {
      arity: 3,
      set: (c, [repository, dir, expires]) => {
        const signing = {
          repository: checkRepository(repository!),
          dir: absolute(dir!, 'repository'),
          expires: expires!,
        };
        if (parseExpiry(expires!, new Date(0)) === null)
          throw new PkgkeysError('BAD_CONFIG', `repository ${repository}: signatures must expire, not "${expires}"`);
        if (c.repositories.some((r) => r.repository === signing.repository))
          throw new PkgkeysError('BAD_CONFIG', `repository ${signing.repository} is configured twice`);
        c.repositories.push(signing);
      },
    },
  });
  const missing = required.filter((k) => !seen.has(k));
  if (missing.length > 0)
    throw new PkgkeysError(
      'BAD_CONFIG',
      `${file}: ${missing.map((k) => (k === 'keyring' ? 'keyring-url (or client-keyring)' : k)).join(', ')} must be set`,
    );
  if (config.repositories.length === 0) throw new PkgkeysError('BAD_CONFIG', `${file}: no repository to sign for`);
  return config;
}
