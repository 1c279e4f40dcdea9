/**
 * The signing daemon's protocol: JSON objects, one per line, over a Unix socket; every read bounded in
 * size and in time, so that a client that sends too much or nothing at all costs one connection,
 * not the daemon.
 *
 *   client: {"op":"sign","repository":ID,"sha256":HEX}   daemon: {"challenge":NONCE,"proofDir":DIR}
 *   client: {"proved":true}  (after creating DIR/NONCE)   daemon: {"ok":true,"signed":BASE64}
 *   client: {"op":"unlock","passphrase":P} | {"op":"lock"} | {"op":"status"}
 *   daemon, on any refusal: {"ok":false,"code":CODE,"message":TEXT}
 */
import type * as net from 'node:net';
import { type Code, PkgkeysError, exitStatusOf } from '../errors';

export const MAX_LINE_BYTES = 64 * 1024;

export type Message = Record<string, unknown>;

/** Reads the protocol's messages, JSON lines from a socket, one at a time, each within MAX_LINE_BYTES and `timeoutMs`. */
export class MessageReader {
  private buffer = Buffer.alloc(0);
  private waiting: ((error: Error | null) => void) | null = null;
  private ended: Error | null = null;

  constructor(
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      if (this.buffer.length > MAX_LINE_BYTES && this.buffer.indexOf(0x0a) < 0)
        this.end(new PkgkeysError('SIGND_REFUSED', `request longer than ${MAX_LINE_BYTES} bytes`));
      this.wake(null);
    });
    socket.on('end', () => this.end(new PkgkeysError('NETWORK_ERROR', 'the other end closed the connection')));
    socket.on('error', (error) => this.end(new PkgkeysError('NETWORK_ERROR', error.message)));
  }

  private end(error: Error): void {
    this.ended ??= error;
    this.wake(error);
  }

  private wake(error: Error | null): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.(error);
  }

  async next(): Promise<Message> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline >= 0) {
        const line = this.buffer.subarray(0, newline).toString('utf8');
        this.buffer = this.buffer.subarray(newline + 1);
        if (newline > MAX_LINE_BYTES)
          throw new PkgkeysError('SIGND_REFUSED', `request longer than ${MAX_LINE_BYTES} bytes`);
        try {
          const message = JSON.parse(line) as unknown;
          if (typeof message !== 'object' || message === null || Array.isArray(message))
            throw new Error('not an object');
          return message as Message;
        } catch {
          throw new PkgkeysError('SIGND_REFUSED', 'a request must be one JSON object on one line');
        }
      }
      if (this.ended) throw this.ended;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new PkgkeysError(
          'NETWORK_ERROR',
          `nothing complete received within ${Math.round(this.timeoutMs / 1000)} s`,
        );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiting = null;
          resolve();
        }, left);
        this.waiting = (error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        };
      });
    }
  }
}

export const send = (socket: net.Socket, message: Message): void => void socket.write(`${JSON.stringify(message)}\n`);

export const refusal = (error: PkgkeysError): Message => ({ ok: false, code: error.code, message: error.message });

/** A refusal answered by the daemon, as the error it stands for. */
export function failureOf(message: Message): PkgkeysError {
  const named = typeof message.code === 'string' ? (message.code as Code) : null;
  const code = named !== null && exitStatusOf(named) !== undefined ? named : 'IO_ERROR';
  return new PkgkeysError(code, `signd: ${typeof message.message === 'string' ? message.message : 'refused'}`);
}
