/**
 * Downloads for clients run from cron against mirrors nobody should have to trust: every byte counted
 * against a cap (DESIGN.md §3 "endless data"), a deadline on the whole transfer and on silence, the
 * Content-Type checked (a captive portal's HTML page is not a keyring), and conditional requests
 * (RFC 9110 §13.1: If-None-Match, If-Modified-Since) so that an unchanged file costs one round trip.
 * A transfer that ends short of its Content-Length is an error, never a shorter file.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type * as http from 'node:http';
import { fileURLToPath } from 'node:url';
import { BoundedBuffer } from '../bounded-buffer';
import { type Code, PkgkeysError, ioError } from '../errors';

/** What the server said identifies this version of the file. */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

export interface FetchRequest {
  url: URL;
  /** Most bytes accepted. */
  limit: number;
  /** The code for more than `limit` bytes: TOO_LARGE unless the limit is what a signed index says (SIZE_MISMATCH). */
  overLimit?: Code;
  /** For the whole transfer, redirects included. */
  timeoutMs: number;
  /** Longest silence accepted while the body arrives (default: no limit but `timeoutMs`). */
  idleMs?: number;
  /** From the last successful fetch of this URL: ask to be told "not modified". */
  validators?: Validators | null;
  /** Ends the transfer, which then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export type Fetched = { notModified: true } | { notModified: false; body: Buffer; validators: Validators };

/**
 * Receives the body as it arrives, with the length announced (Content-Length, a file's size) if there
 * is one; a returned promise holds the transfer until it settles.
 */
export type Sink = (chunk: Buffer, announced: number | null) => void | Promise<void>;

export type Streamed = { notModified: true } | { notModified: false; validators: Validators };

const MAX_REDIRECTS = 5;

/**
 * The Content-Types refused: what is clearly not the file. Any other is the server's guess from the
 * name (Debian's /etc/mime.types, which Apache and Python's http.server use, makes .asc
 * application/pgp-keys), and the bytes are verified whatever it says.
 */
const WEB_PAGES = ['text/html', 'application/xhtml+xml'];

/**
 * Downloads a whole file into one buffer: of the length announced, or else growing up to the limit,
 * never gathered in pieces and joined (a 200 MB index must not cost twice that).
 */
export async function fetchBounded(request: FetchRequest): Promise<Fetched> {
  const body: { buffer?: BoundedBuffer } = {};
  // fetchStream never passes the limit, so every chunk fits.
  const streamed = await fetchStream(
    request,
    (chunk, announced) => void (body.buffer ??= new BoundedBuffer(request.limit, announced)).push(chunk),
  );
  return streamed.notModified
    ? streamed
    : { notModified: false, body: body.buffer?.bytes() ?? Buffer.alloc(0), validators: streamed.validators };
}

/** A transfer as chunks its reader pulls; see fetchChunks. */
export interface Transfer {
  /** Ending the iteration early (break, return) cancels the transfer. */
  chunks: AsyncIterable<Buffer>;
  /** Settles when the transfer ends, as fetchStream's promise; rejects once it was cancelled. */
  result: Promise<Streamed>;
  /** Ends the transfer early: a reader that stops before the end must, or the transfer waits for it. */
  cancel(): void;
}

/**
 * fetchStream as chunks the caller pulls, one at a time: the transfer waits while a chunk is not taken,
 * so nothing but the chunk being read is held. The chunks end with the transfer's failure, if it fails.
 */
export function fetchChunks(request: FetchRequest): Transfer {
  const arrived: Array<{ chunk: Buffer; taken: () => void }> = [];
  let reader: (() => void) | null = null;
  let ended = false;
  let failure: unknown = null;
  let cancelled = false;
  const wake = () => {
    const waiting = reader;
    reader = null;
    waiting?.();
  };
  const stop = new AbortController();
  const result = fetchStream({ ...request, signal: stop.signal }, (chunk) => {
    if (cancelled) return Promise.reject(stop.signal.reason);
    return new Promise<void>((taken) => {
      arrived.push({ chunk, taken });
      wake();
    });
  });
  result.then(
    () => void ((ended = true), wake()),
    (error: unknown) => void ((ended = true), (failure = error), wake()),
  );
  const cancel = () => {
    cancelled = true;
    stop.abort(new Error('the download was cancelled'));
    for (const { taken } of arrived.splice(0)) taken();
  };
  const next = async (): Promise<IteratorResult<Buffer>> => {
    for (;;) {
      const first = arrived.shift();
      if (first) {
        first.taken();
        return { done: false, value: first.chunk };
      }
      if (failure !== null) throw failure;
      if (ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (reader = resolve));
    }
  };
  const iterator: AsyncIterator<Buffer> = {
    next,
    return: async () => {
      cancel();
      return { done: true, value: undefined };
    },
  };
  return { chunks: { [Symbol.asyncIterator]: () => iterator }, result, cancel };
}

/**
 * Downloads a file into the open file `handle`, chunk by chunk as it arrives, each chunk also shown
 * to `seen` (a hash, say). A transfer that fails leaves in the file what came, for the caller to remove.
 */
export function fetchInto(
  request: FetchRequest,
  handle: fs.FileHandle,
  seen: (chunk: Buffer) => void,
): Promise<Streamed> {
  return fetchStream(request, async (chunk) => {
    seen(chunk);
    await handle.write(chunk);
  });
}

/**
 * Downloads a file into `sink`, chunk by chunk: the sink sees at most `limit` bytes, and a transfer
 * that fails after some of them rejects, so the sink's owner must discard what it was given.
 * NOT_FOUND (404, 410, a missing file) is told apart from the other failures: a caller may try another name.
 */
export async function fetchStream(request: FetchRequest, sink: Sink): Promise<Streamed> {
  if (request.url.protocol === 'file:') return streamFile(request, sink);
  let url = request.url;
  const deadline = Date.now() + request.timeoutMs;
  for (let hops = 0; ; hops++) {
    const response = await get(url, request, deadline, sink);
    if (response.redirect === null) return response.result;
    const next = new URL(response.redirect, url);
    // A redirect may not downgrade to plain HTTP, nor leave HTTP altogether.
    if (
      hops >= MAX_REDIRECTS ||
      !['http:', 'https:'].includes(next.protocol) ||
      (url.protocol === 'https:' && next.protocol !== 'https:')
    ) {
      throw new PkgkeysError('NETWORK_ERROR', `${request.url}: refusing redirect to ${next}`);
    }
    url = next;
  }
}

/** A local release or repository (a package's copy, a mounted mirror): the same cap, no conditions. */
async function streamFile(request: FetchRequest, sink: Sink): Promise<Streamed> {
  const file = fileURLToPath(request.url);
  const stat = await fs.stat(file).catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === 'ENOENT') throw new PkgkeysError('NOT_FOUND', `${file}: no such file`);
    throw ioError('cannot read', file, cause);
  });
  const overLimit = overLimitOf(request);
  if (stat.size > request.limit)
    throw new PkgkeysError(overLimit, `${file}: ${stat.size} bytes is more than the ${request.limit} allowed`);
  let length = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      length += (chunk as Buffer).length;
      if (length > request.limit)
        throw new PkgkeysError(overLimit, `${file}: grew past the ${request.limit} bytes allowed while it was read`);
      await sink(chunk as Buffer, stat.size);
    }
  } catch (cause) {
    throw cause instanceof PkgkeysError ? cause : ioError('cannot read', file, cause);
  }
  return { notModified: false, validators: { etag: null, lastModified: stat.mtime.toUTCString() } };
}

type Answer = { redirect: string; result?: never } | { redirect: null; result: Streamed };

/** One GET of `url`: the request, then the response policy, then the body into `sink`. */
function get(url: URL, request: FetchRequest, deadline: number, sink: Sink): Promise<Answer> {
  // Loaded for the URLs that need them: a file:// mirror loads neither.
  const client =
    url.protocol === 'https:'
      ? (require('node:https') as typeof import('node:https'))
      : url.protocol === 'http:'
        ? (require('node:http') as typeof import('node:http'))
        : null;
  if (client === null)
    return Promise.reject(new PkgkeysError('USAGE', `${url}: only http, https and file URLs are fetched`));
  if (request.signal?.aborted) return Promise.reject(request.signal.reason);
  return new Promise((resolve, reject) => {
    const exchange = new Exchange(
      url,
      client.get(url, { headers: headersOf(request) }),
      request,
      deadline,
      resolve,
      reject,
    );
    exchange.req.on('error', (error) => exchange.fail('NETWORK_ERROR', error.message));
    exchange.req.on('response', (res) => {
      const next = judgeResponse(res, request);
      if ('answer' in next) exchange.done(next.answer, res);
      else if ('failure' in next) exchange.fail(...next.failure);
      else receiveBody(exchange, res, request, next.declared, sink);
    });
  });
}

/** Identity encoding (the bytes counted are the file's), and the conditions when there are validators. */
function headersOf(request: FetchRequest): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'pkgkeys', 'accept-encoding': 'identity' };
  if (request.validators?.etag) headers['if-none-match'] = request.validators.etag;
  if (request.validators?.lastModified) headers['if-modified-since'] = request.validators.lastModified;
  return headers;
}

/** What a response's status and headers decide before its body is read: an answer, a failure, or a body to read. */
type Judged = { answer: Answer } | { failure: [Code, string] } | { declared: number | null };

function judgeResponse(res: http.IncomingMessage, request: FetchRequest): Judged {
  const status = res.statusCode ?? 0;
  if ([301, 302, 303, 307, 308].includes(status) && res.headers.location)
    return { answer: { redirect: res.headers.location } };
  if (status === 304 && request.validators) return { answer: { redirect: null, result: { notModified: true } } };
  if (status === 404 || status === 410)
    return { failure: ['NOT_FOUND', `HTTP ${status} ${res.statusMessage ?? ''}`.trim()] };
  if (status !== 200) return { failure: ['NETWORK_ERROR', `HTTP ${status} ${res.statusMessage ?? ''}`.trim()] };
  const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (WEB_PAGES.includes(type))
    return {
      failure: ['BAD_CONTENT_TYPE', `served as ${type}: a web page (a captive portal, an error page), not the file`],
    };
  const declared = res.headers['content-length'] === undefined ? null : Number(res.headers['content-length']);
  if (declared !== null && declared > request.limit)
    return { failure: [overLimitOf(request), `${declared} bytes announced, more than the ${request.limit} allowed`] };
  return { declared };
}

/**
 * The body into `sink`, counted against the limit and held while the sink writes; whole (as long as
 * announced, if it was), or a failure.
 */
function receiveBody(
  exchange: Exchange,
  res: http.IncomingMessage,
  request: FetchRequest,
  declared: number | null,
  sink: Sink,
): void {
  let length = 0;
  // The sink's last write, which the end of the transfer waits for.
  let written: Promise<void> = Promise.resolve();
  exchange.heard();
  res.on('data', (chunk: Buffer) => {
    exchange.heard();
    length += chunk.length;
    if (length > request.limit)
      return exchange.fail(overLimitOf(request), `more than the ${request.limit} bytes allowed`);
    const held = sink(chunk, declared);
    if (held) {
      res.pause();
      written = held.then(
        () => void res.resume(),
        (error: unknown) => exchange.abort(error),
      );
    }
  });
  res.on('error', () => undefined); // reported by 'close' below, with the byte count
  res.on('close', () => {
    if (exchange.failed) return;
    if (!res.complete || (declared !== null && length !== declared)) {
      return exchange.fail(
        'NETWORK_ERROR',
        `transfer cut off after ${length}${declared !== null ? ` of ${declared}` : ''} bytes`,
      );
    }
    const validators = { etag: header(res.headers.etag), lastModified: header(res.headers['last-modified']) };
    void written.then(
      () => exchange.failed || exchange.done({ redirect: null, result: { notModified: false, validators } }, res),
    );
  });
}

const overLimitOf = (request: FetchRequest): Code => request.overLimit ?? 'TOO_LARGE';

/**
 * The plumbing of one GET: its promise, settled by the answer or the first failure, its clocks
 * (deadline, silence), and the caller's signal, which aborts it.
 */
class Exchange {
  failed = false;
  private readonly timer: NodeJS.Timeout;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: URL,
    readonly req: http.ClientRequest,
    private readonly request: FetchRequest,
    deadline: number,
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    const late = () =>
      this.fail('NETWORK_ERROR', `no complete answer within ${Math.round(request.timeoutMs / 1000)} s`);
    this.timer = setTimeout(late, Math.max(deadline - Date.now(), 0));
    const { signal } = request;
    if (signal) {
      const cancelled = () => this.abort(signal.reason);
      signal.addEventListener('abort', cancelled, { once: true });
      req.on('close', () => signal.removeEventListener('abort', cancelled));
    }
  }

  /** Something arrived: the silence clock starts again. */
  heard(): void {
    const { idleMs } = this.request;
    if (idleMs === undefined) return;
    clearTimeout(this.idle);
    this.idle = setTimeout(
      () => this.fail('NETWORK_ERROR', `nothing received for ${Math.round(idleMs / 1000)} s`),
      idleMs,
    );
  }

  done(answer: Answer, res: http.IncomingMessage): void {
    this.stopClocks();
    res.resume();
    this.resolve(answer);
  }

  fail(code: Code, message: string): void {
    this.abort(new PkgkeysError(code, `${this.url}: ${message}`));
  }

  abort(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.stopClocks();
    this.req.destroy();
    this.reject(error);
  }

  private stopClocks(): void {
    clearTimeout(this.timer);
    clearTimeout(this.idle);
  }
}

const header = (value: string | string[] | undefined): string | null =>
  typeof value === 'string' && value !== '' ? value : null;
