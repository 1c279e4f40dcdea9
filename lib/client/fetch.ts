/**
 * Downloads for clients run from cron against mirrors nobody should have to trust: every byte counted
 * against a cap (DESIGN.md §3 "endless data"), a deadline on the whole transfer and on silence, the
 * Content-Type checked (a captive portal's HTML page is not a keyring), and conditional requests
 * (RFC 9110 §13.1: If-None-Match, If-Modified-Since) so that an unchanged file costs one round trip.
 * A transfer that ends short of its Content-Length is an error, never a shorter file.
 */
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { fileURLToPath } from 'node:url';
import { PkgkeysError, ioError } from '../errors';
import { readBounded } from '../fsutil';

/** What the server said identifies this version of the file. */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

export interface FetchRequest {
  url: URL;
  /** Most bytes accepted. */
  limit: number;
  /** Media types accepted, lower case; a response without Content-Type is accepted too. */
  types: readonly string[];
  /** For the whole transfer, redirects included. */
  timeoutMs: number;
  /** From the last successful fetch of this URL: ask to be told "not modified". */
  validators?: Validators | null;
}

export type Fetched = { notModified: true } | { notModified: false; body: Buffer; validators: Validators };

const MAX_REDIRECTS = 5;

export async function fetchBounded(request: FetchRequest): Promise<Fetched> {
  if (request.url.protocol === 'file:') return fetchFile(request);
  let url = request.url;
  const deadline = Date.now() + request.timeoutMs;
  for (let hops = 0; ; hops++) {
    const response = await get(url, request, deadline);
    if (response.redirect === null) return response.result;
    const next = new URL(response.redirect, url);
    // A redirect may not downgrade to plain HTTP, nor leave HTTP altogether.
    if (hops >= MAX_REDIRECTS || !['http:', 'https:'].includes(next.protocol) || (url.protocol === 'https:' && next.protocol !== 'https:')) {
      throw new PkgkeysError('NETWORK_ERROR', `${request.url}: refusing redirect to ${next}`);
    }
    url = next;
  }
}

/** A local release (the keyring package's copy, a mounted mirror): the same cap, no conditions. */
async function fetchFile(request: FetchRequest): Promise<Fetched> {
  const file = fileURLToPath(request.url);
  const body = await readBounded(file, request.limit);
  const stat = await fs.stat(file).catch((cause) => {
    throw ioError('cannot read', file, cause);
  });
  return { notModified: false, body, validators: { etag: null, lastModified: stat.mtime.toUTCString() } };
}

function get(url: URL, request: FetchRequest, deadline: number): Promise<{ redirect: string; result?: never } | { redirect: null; result: Fetched }> {
  return new Promise((resolve, reject) => {
    const fail = (code: 'NETWORK_ERROR' | 'TOO_LARGE' | 'BAD_CONTENT_TYPE', message: string) => {
      clearTimeout(timer);
      req.destroy();
      reject(new PkgkeysError(code, `${url}: ${message}`));
    };
    const headers: Record<string, string> = { 'user-agent': 'pkgkeys', 'accept-encoding': 'identity' };
    if (request.validators?.etag) headers['if-none-match'] = request.validators.etag;
    if (request.validators?.lastModified) headers['if-modified-since'] = request.validators.lastModified;
    const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (client === null) return reject(new PkgkeysError('USAGE', `${url}: only http, https and file URLs are fetched`));
    const req = client.get(url, { headers });
    const remaining = deadline - Date.now();
    const timer = setTimeout(() => fail('NETWORK_ERROR', `no complete answer within ${Math.round(request.timeoutMs / 1000)} s`), Math.max(remaining, 0));
    req.on('error', (error) => fail('NETWORK_ERROR', error.message));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        clearTimeout(timer);
        res.resume();
        return resolve({ redirect: res.headers.location });
      }
      if (status === 304 && request.validators) {
        clearTimeout(timer);
        res.resume();
        return resolve({ redirect: null, result: { notModified: true } });
      }
      if (status !== 200) return fail('NETWORK_ERROR', `HTTP ${status} ${res.statusMessage ?? ''}`.trim());
      const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== '' && !request.types.includes(type)) return fail('BAD_CONTENT_TYPE', `served as ${type}, expected ${request.types.join(' or ')}`);
      const declared = res.headers['content-length'] === undefined ? null : Number(res.headers['content-length']);
      if (declared !== null && declared > request.limit) return fail('TOO_LARGE', `${declared} bytes announced, more than the ${request.limit} allowed`);
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > request.limit) return fail('TOO_LARGE', `more than the ${request.limit} bytes allowed`);
        chunks.push(chunk);
      });
      res.on('error', () => undefined); // reported by 'close' below, with the byte count
      res.on('close', () => {
        if (length > request.limit) return;
        if (!res.complete || (declared !== null && length !== declared)) {
          return fail('NETWORK_ERROR', `transfer cut off after ${length}${declared !== null ? ` of ${declared}` : ''} bytes`);
        }
        clearTimeout(timer);
        const validators = { etag: header(res.headers.etag), lastModified: header(res.headers['last-modified']) };
        resolve({ redirect: null, result: { notModified: false, body: Buffer.concat(chunks, length), validators } });
      });
    });
  });
}

const header = (value: string | string[] | undefined): string | null => (typeof value === 'string' && value !== '' ? value : null);
