/** Talking to the signing daemon (lib/signd/daemon.ts): one request per connection, identity proven on demand. */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PkgkeysError, ioError } from '../errors';
import { writeAtomic } from '../fsutil';
import type { RepositoryId } from '../model';
import { stagingFile } from '../publish/repository';
import { MessageReader, type Message, failureOf, send } from './protocol';

export async function signdRequest(socketPath: string, request: Message, timeoutMs = 60_000): Promise<Message> {
  const socket = net.createConnection(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (cause) => reject(ioError('cannot connect to the signing daemon at', socketPath, cause)));
  });
  const reader = new MessageReader(socket, timeoutMs);
  let proof: string | null = null;
  try {
    send(socket, request);
    let reply = await reader.next();
    if (typeof reply.challenge === 'string' && typeof reply.proofDir === 'string') {
      // Who we are, by a file only we can have made: its owner.
      if (!/^[0-9a-f]{32}$/.test(reply.challenge)) throw new PkgkeysError('IO_ERROR', 'signd: malformed challenge');
      proof = path.join(reply.proofDir, reply.challenge);
      await fs.writeFile(proof, '', { flag: 'wx', mode: 0o600 }).catch((cause) => {
        throw ioError('cannot prove who we are to the signing daemon: cannot create', proof!, cause);
      });
      send(socket, { proved: true });
      reply = await reader.next();
    }
    if (reply.ok !== true) throw failureOf(reply);
    return reply;
  } finally {
    if (proof) await fs.rm(proof, { force: true });
    socket.destroy();
  }
}

/**
 * The clearsigned index for `repository`, of the text the daemon finds staged: its hash must be `text`'s.
 * `allowShrink` is the operator's word for this one index (PUBLISH_SHRINK); the daemon records it.
 */
export async function signIndexVia(
  socketPath: string,
  repository: RepositoryId,
  text: Uint8Array,
  options: { allowShrink?: boolean } = {},
): Promise<Buffer> {
  const sha256 = createHash('sha256').update(text).digest('hex');
  const reply = await signdRequest(socketPath, {
    op: 'sign',
    repository,
    sha256,
    ...(options.allowShrink ? { allowShrink: true } : {}),
  });
  if (typeof reply.signed !== 'string') throw new PkgkeysError('IO_ERROR', 'signd: answer without a signed index');
  return Buffer.from(reply.signed, 'base64');
}

/**
 * The handshake of a publication signed by the daemon: `text` staged in the repository directory `dir`,
 * where the daemon reads what it signs itself, then signIndexVia, which asks for that text by its hash.
 */
export async function signStagedIndex(
  socketPath: string,
  dir: string,
  repository: RepositoryId,
  text: Buffer,
  options: { allowShrink?: boolean } = {},
): Promise<Buffer> {
  await writeAtomic(stagingFile(dir), text);
  return signIndexVia(socketPath, repository, text, options);
}
