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
 * A repository line names the identifier, the repository directory (the daemon reads the index to
 * sign from its staging file, lib/publish/repository.ts) and the expiry of the signatures it makes.
 */
import { promises as fs } from 'node:fs';
import { PkgkeysError, ioError } from '../errors';
import { absolute, integer, readSettings } from '../settings';
import { parseExpiry } from '../time';
import { checkRepository } from '../trust/scope';

export interface SigndRepository {
  id: string;
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
}

const required = ['socket', 'key', 'audit-log', 'proof-dir'] as const;

/** ${VARBASE}/db/pkgkeys, as for a client's state (lib/paths.ts). */
export const DEFAULT_STATE_DIR = '/var/db/pkgkeys/signd';

/** The daemon's copy of the audit log's head. */
export const auditStateFile = (config: SigndConfig): string => `${config.stateDir}/audit.head`;

export async function readSigndConfig(file: string): Promise<SigndConfig> {
  const text = await fs.readFile(file, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    throw cause.code === 'ENOENT' ? new PkgkeysError('BAD_CONFIG', `${file} does not exist`) : ioError('cannot read', file, cause);
  });
  const seen = new Set<string>();
  const config: SigndConfig = { socket: '', socketMode: 0o660, socketGroup: null, key: '', unlockMinutes: 60, auditLog: '', stateDir: DEFAULT_STATE_DIR, proofDir: '', repositories: [] };
  const path = (keyword: string, set: (c: SigndConfig, v: string) => void) => ({ arity: 1, set: (c: SigndConfig, [v]: string[]) => void (seen.add(keyword), set(c, absolute(v!, keyword))) });
  readSettings(text, file, config, {
    socket: path('socket', (c, v) => (c.socket = v)),
    key: path('key', (c, v) => (c.key = v)),
    'audit-log': path('audit-log', (c, v) => (c.auditLog = v)),
    'proof-dir': path('proof-dir', (c, v) => (c.proofDir = v)),
    'state-dir': path('state-dir', (c, v) => (c.stateDir = v)),
    'socket-mode': { arity: 1, set: (c, [m]) => {
      if (!/^0?[0-7]{3}$/.test(m!)) throw new PkgkeysError('BAD_CONFIG', `socket-mode is octal, such as 0660, not "${m}"`);
      c.socketMode = Number.parseInt(m!, 8);
    } },
    'socket-group': { arity: 1, set: (c, [g]) => void (c.socketGroup = g!) },
    'unlock-minutes': { arity: 1, set: (c, [m]) => void (c.unlockMinutes = integer(1, 24 * 60)(m!, 'unlock-minutes')) },
    repository: { arity: 3, set: (c, [id, dir, expires]) => {
      const repository = { id: checkRepository(id!), dir: absolute(dir!, 'repository'), expires: expires! };
      if (parseExpiry(expires!, new Date(0)) === null) throw new PkgkeysError('BAD_CONFIG', `repository ${id}: signatures must expire, not "${expires}"`);
      if (c.repositories.some((r) => r.id === repository.id)) throw new PkgkeysError('BAD_CONFIG', `repository ${repository.id} is configured twice`);
      c.repositories.push(repository);
    } },
  });
  const missing = required.filter((k) => !seen.has(k));
  if (missing.length > 0) throw new PkgkeysError('BAD_CONFIG', `${file}: ${missing.join(', ')} must be set`);
  if (config.repositories.length === 0) throw new PkgkeysError('BAD_CONFIG', `${file}: no repository to sign for`);
  return config;
}
