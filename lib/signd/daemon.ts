/**
 * `pkgkeys signd`: the build host's signing key behind a Unix socket, so that the bulk build's
 * publishing step never holds it (DESIGN.md §3). It signs only indexes of the repositories in its
 * configuration, reading each index itself from the repository's staging file and checking the hash
 * the client named: it never signs bytes a client sends. The key is usable only between an operator's
 * unlock and the configured relock time. Every signature is recorded in the chained audit log with the
 * requester's uid, which the client proves by creating a file named by a one-time nonce in proofDir
 * (its owner is the uid; Node has no getpeereid(2)).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { readBounded } from '../fsutil';
import { MAX_INDEX_BYTES, MAX_KEYRING_BYTES } from '../limits';
import { SecretKey } from '../pgp';
import { checkShrink, checkSignerForClients, loadClientKeyring } from '../publish/gates';
import { publishedEntries, stagingFile } from '../publish/repository';
import { signIndex } from '../publish/summary';
import { formatTime, parseExpiry } from '../time';
import { AuditLog } from './audit';
import { parseSummary } from '../summary/format';
import { DEFAULT_POLICY } from '../trust/policy';
import { type SigndConfig, type SigndRepository, auditStateFile } from './config';
import { MessageReader, type Message, refusal, send } from './protocol';

export interface DaemonOptions {
  config: SigndConfig;
  now: () => Date;
  /** Per read from a client. */
  timeoutMs: number;
  log: (line: string) => void;
}

/** For the keyring clients have, when it is fetched (keyring-url) before a signature. */
const KEYRING_TIMEOUT_MS = 60_000;

export class SigningDaemon {
  private key: SecretKey | null = null;
  private relock: NodeJS.Timeout | null = null;
  private unlockedUntil: Date | null = null;
  private readonly audit: AuditLog;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly options: DaemonOptions) {
    this.audit = new AuditLog(options.config.auditLog, auditStateFile(options.config));
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      void this.serve(socket);
    });
  }

  static async start(options: DaemonOptions): Promise<SigningDaemon> {
    const daemon = new SigningDaemon(options);
    const { socket, socketMode, socketGroup } = options.config;
    await fs.rm(socket, { force: true }); // a socket a stopped daemon left behind
    await new Promise<void>((resolve, reject) => {
      daemon.server.once('error', (cause) => reject(ioError('cannot listen on', socket, cause)));
      daemon.server.listen(socket, resolve);
    });
    await fs.chmod(socket, socketMode);
    if (socketGroup !== null) await chgrp(socket, socketGroup);
    return daemon;
  }

  get locked(): boolean {
    return this.key === null;
  }

  async close(): Promise<void> {
    this.lock();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private lock(): void {
    this.key = null;
    this.unlockedUntil = null;
    if (this.relock) clearTimeout(this.relock);
    this.relock = null;
  }

  private async serve(socket: net.Socket): Promise<void> {
    const reader = new MessageReader(socket, this.options.timeoutMs);
    try {
      send(socket, await this.answer(await reader.next(), reader, socket));
    } catch (error) {
      const failure =
        error instanceof PkgkeysError
          ? error
          : new PkgkeysError('IO_ERROR', `unexpected error: ${(error as Error)?.message ?? String(error)}`);
      const detail = failure.cause instanceof PkgkeysError ? failure.cause : failure;
      this.options.log(`pkgkeys: signd: refused: ${detail.code}: ${detail.message}`);
      if (!socket.destroyed) send(socket, refusal(failure));
    } finally {
      // A client that never reads the answer, nor closes, is dropped all the same.
      socket.end();
      socket.setTimeout(this.options.timeoutMs, () => socket.destroy());
    }
  }

  private async answer(request: Message, reader: MessageReader, socket: net.Socket): Promise<Message> {
    switch (request.op) {
      case 'status':
        return { ok: true, locked: this.locked, until: this.unlockedUntil ? formatTime(this.unlockedUntil) : null };
      case 'lock':
        this.lock();
        return { ok: true, locked: true };
      case 'unlock':
        return this.unlock(request);
      case 'sign':
        return this.sign(request, reader, socket);
      default:
        throw new PkgkeysError('SIGND_REFUSED', `unknown op ${JSON.stringify(request.op)?.slice(0, 40)}`);
    }
  }

  private async unlock(request: Message): Promise<Message> {
    if (typeof request.passphrase !== 'string' || request.passphrase === '')
      throw new PkgkeysError('NO_PASSPHRASE', 'unlock needs the passphrase');
    const { config } = this.options;
    const key = await SecretKey.open(await readBounded(config.key, MAX_KEYRING_BYTES), request.passphrase, config.key);
    this.lock();
    this.key = key;
    this.unlockedUntil = new Date(this.options.now().getTime() + config.unlockMinutes * 60_000);
    this.relock = setTimeout(() => this.lock(), config.unlockMinutes * 60_000);
    this.relock.unref();
    this.options.log(`pkgkeys: signd: unlocked until ${formatTime(this.unlockedUntil)}`);
    return { ok: true, locked: false, until: formatTime(this.unlockedUntil) };
  }

  /** Checks the request, then the requester, then the index on disk against the hash asked for, and only then signs. */
  private async sign(request: Message, reader: MessageReader, socket: net.Socket): Promise<Message> {
    const signing = this.options.config.repositories.find((r) => r.repository === request.repository);
    if (!signing)
      throw new PkgkeysError(
        'SIGND_REFUSED',
        `${JSON.stringify(request.repository)?.slice(0, 80)} is not a repository this daemon signs for`,
      );
    if (typeof request.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(request.sha256))
      throw new PkgkeysError('SIGND_REFUSED', 'sha256 must be 64 lowercase hex digits');
    if (this.locked)
      throw new PkgkeysError('SIGND_LOCKED', 'the signing key is locked: an operator must run pkgkeys signd unlock');
    const uid = await this.requester(reader, socket);
    const file = stagingFile(signing.dir);
    const now = this.options.now();
    // The key first: whether clients trust it says nothing about the staged file.
    await this.signerGate(signing, now);
    const { digest, signed, overrides } = await withheld(file, async () => {
      // The daemon may read what its clients cannot: only a regular file with one name, never a link,
      // in the staging directory itself, not one a link below the repository points elsewhere.
      const [staging, expected] = await Promise.all([fs.realpath(path.dirname(file)), fs.realpath(signing.dir)]).catch(
        (cause) => {
          throw ioError('cannot find the staging directory of', signing.dir, cause);
        },
      );
      if (staging !== path.join(expected, path.relative(signing.dir, path.dirname(file)))) {
        throw new PkgkeysError(
          'NOT_REGULAR_FILE',
          `${path.dirname(file)} leads to ${staging} through a symbolic link; refusing to read there`,
        );
      }
      const text = await readBounded(file, MAX_INDEX_BYTES, { follow: false });
      const digest = createHash('sha256').update(text).digest('hex');
      if (digest !== request.sha256)
        throw new PkgkeysError('SIGND_REFUSED', `${file} has SHA-256 ${digest}, not the ${request.sha256} asked for`);
      const key = this.key;
      if (!key) throw new PkgkeysError('SIGND_LOCKED', 'the signing key locked itself meanwhile');
      const overrides = await this.shrinkGate(signing, text, file, request.allowShrink === true);
      const options = {
        key,
        repository: signing.repository,
        created: now,
        expires: parseExpiry(signing.expires, now)!,
        hash: 'sha256' as const,
      };
      return { digest, overrides, signed: Buffer.concat((await signIndex(text, file, options)).signed) };
    });
    await this.audit.append({
      time: now,
      uid,
      repository: signing.repository,
      index: digest,
      signature: createHash('sha256').update(signed).digest('hex'),
      ...(overrides.length > 0 ? { overrides } : {}),
    });
    for (const override of overrides) this.options.log(`pkgkeys: signd: override for uid ${uid}: ${override}`);
    this.options.log(`pkgkeys: signd: signed ${signing.repository} (${digest}) for uid ${uid}`);
    return { ok: true, signed: signed.toString('base64') };
  }

  /**
   * The publish gates (lib/publish/gates.ts), whoever asks. The key must be trusted for the repository
   * by the keyring clients have now.
   */
  private async signerGate(signing: SigndRepository, now: Date): Promise<void> {
    const { config } = this.options;
    const key = this.key;
    if (!key) throw new PkgkeysError('SIGND_LOCKED', 'the signing key locked itself meanwhile');
    const clients = await loadClientKeyring({
      source: config.clientKeyring,
      name: config.keyringName,
      anchors: config.anchors,
      now,
      policy: { ...DEFAULT_POLICY, anchorThreshold: config.anchorThreshold },
      timeoutMs: KEYRING_TIMEOUT_MS,
    });
    checkSignerForClients(clients, key.fingerprint, signing.repository, now);
  }

  /**
   * The staged index may not drop more than max-shrink percent of the packages of the publication in
   * force unless the request says allowShrink; returns the overrides to record.
   */
  private async shrinkGate(
    signing: SigndRepository,
    text: Buffer,
    file: string,
    allowShrink: boolean,
  ): Promise<string[]> {
    const previous = await publishedEntries(signing.dir);
    const shrink = checkShrink(
      previous ?? [],
      parseSummary(text, file),
      { maxPercent: this.options.config.maxShrinkPercent, allow: allowShrink },
      `${signing.dir} (${signing.repository})`,
    );
    return shrink.override ? [shrink.override] : [];
  }

  /** The client's uid: the owner of the file it creates, named by a fresh nonce, in proofDir. */
  private async requester(reader: MessageReader, socket: net.Socket): Promise<number> {
    const nonce = randomBytes(16).toString('hex');
    const proof = path.join(this.options.config.proofDir, nonce);
    send(socket, { challenge: nonce, proofDir: this.options.config.proofDir });
    const reply = await reader.next();
    try {
      const stat = await fs.lstat(proof).catch(() => null);
      // A link to someone else's file would borrow their uid: only a plain file with one name counts.
      if (reply.proved !== true || !stat?.isFile() || stat.nlink !== 1)
        throw new PkgkeysError('SIGND_REFUSED', `no proof of identity: expected a plain file ${proof}`);
      return stat.uid;
    } finally {
      await fs.rm(proof, { force: true });
    }
  }
}

/**
 * Runs `body`, which reads `file`; a refusal reaches the client as its code and a fixed message, the
 * details (a hash, a quoted line: what the file holds) only the daemon's log, as the error's cause.
 * A client that could point the staging file elsewhere must learn nothing of what it points to.
 */
async function withheld<T>(file: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof PkgkeysError)) throw error;
    throw new PkgkeysError(
      error.code,
      `the staged index ${file} was refused (${error.code}); the signing daemon's log says why`,
      { cause: error },
    );
  }
}

/** chgrp(1) by name: Node's chown takes numbers only, and the group database is the system's. */
async function chgrp(file: string, group: string): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    execFile('chgrp', [group, file], (error, _out, stderr) =>
      error ? reject(ioError('cannot set the group of', file, new Error(stderr.trim() || error.message))) : resolve(),
    ),
  );
}
