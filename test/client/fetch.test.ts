/**
 * Downloads from an untrusted mirror (lib/client/fetch.ts), against a server on 127.0.0.1 that answers
 * each path as the test says: redirects followed only within HTTP and only so far, "not modified" only
 * when asked conditionally, the cap, a transfer cut off, a mirror that goes silent.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FetchRequest, fetchBounded } from '../../lib/client/fetch';
import { caught } from '../helpers/caught';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const routes = new Map<string, Handler>();
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => (routes.get(req.url ?? '') ?? ((_, r) => r.writeHead(404).end()))(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => routes.clear());

const fetch = (path: string, more: Partial<FetchRequest> = {}) =>
  fetchBounded({ url: new URL(`${base}${path}`), limit: 1000, timeoutMs: 10_000, ...more });
const redirect =
  (to: string): Handler =>
  (_, res) =>
    res.writeHead(302, { location: to }).end();
const file =
  (body: string, headers: http.OutgoingHttpHeaders = {}): Handler =>
  (_, res) =>
    res.writeHead(200, headers).end(body);

test('follows redirects within HTTP, and gives back what the server says identifies the file', async () => {
  routes.set('/a', redirect('/b'));
  routes.set('/b', redirect(`${base}/c`));
  routes.set('/c', file('the file', { etag: '"v1"', 'last-modified': 'Tue, 01 Sep 2026 00:00:00 GMT' }));
  expect(await fetch('/a')).toEqual({
    notModified: false,
    body: Buffer.from('the file'),
    validators: { etag: '"v1"', lastModified: 'Tue, 01 Sep 2026 00:00:00 GMT' },
  });
});

test('refuses a redirect out of HTTP, and a sixth redirect', async () => {
  routes.set('/out', redirect('file:///etc/passwd'));
  expect(await caught(() => fetch('/out'))).toMatchObject({
    code: 'NETWORK_ERROR',
    message: expect.stringContaining('refusing redirect to file:///etc/passwd'),
  });
  for (let i = 0; i < 6; i++) routes.set(`/r${i}`, redirect(`/r${i + 1}`));
  routes.set('/r6', file('too far'));
  expect(await caught(() => fetch('/r0'))).toMatchObject({
    code: 'NETWORK_ERROR',
    message: expect.stringContaining('refusing redirect'),
  });
});

test('asks conditionally with the validators it is given, and takes 304 only then', async () => {
  const asked: Array<[unknown, unknown]> = [];
  routes.set('/same', (req, res) => {
    asked.push([req.headers['if-none-match'], req.headers['if-modified-since']]);
    res.writeHead(304).end();
  });
  expect(await fetch('/same', { validators: { etag: '"v1"', lastModified: 'then' } })).toEqual({ notModified: true });
  expect(await caught(() => fetch('/same'))).toMatchObject({
    code: 'NETWORK_ERROR',
    message: expect.stringContaining('HTTP 304'),
  });
  expect(asked).toEqual([
    ['"v1"', 'then'],
    [undefined, undefined],
  ]);
});

test('tells a missing file (NOT_FOUND) from another failure, and refuses a web page', async () => {
  routes.set('/gone', (_, res) => res.writeHead(410).end());
  routes.set('/broken', (_, res) => res.writeHead(500).end());
  routes.set('/portal', file('<html>', { 'content-type': 'text/html; charset=utf-8' }));
  expect((await caught(() => fetch('/missing'))).code).toBe('NOT_FOUND');
  expect((await caught(() => fetch('/gone'))).code).toBe('NOT_FOUND');
  expect((await caught(() => fetch('/broken'))).code).toBe('NETWORK_ERROR');
  expect((await caught(() => fetch('/portal'))).code).toBe('BAD_CONTENT_TYPE');
});

test('refuses more than the cap, announced or not, with the code the caller gives', async () => {
  routes.set('/announced', file('x'.repeat(1001), { 'content-length': 1001 }));
  routes.set('/chunked', (_, res) => {
    res.writeHead(200);
    res.write('x'.repeat(600));
    res.end('x'.repeat(600));
  });
  expect(await caught(() => fetch('/announced'))).toMatchObject({
    code: 'TOO_LARGE',
    message: expect.stringContaining('1001 bytes announced'),
  });
  expect(await caught(() => fetch('/chunked', { overLimit: 'SIZE_MISMATCH' }))).toMatchObject({
    code: 'SIZE_MISMATCH',
    message: expect.stringContaining('more than the 1000 bytes'),
  });
});

test('a transfer cut off short of its Content-Length is an error, never a shorter file', async () => {
  routes.set('/short', (req, res) => {
    res.writeHead(200, { 'content-length': 100 });
    res.write('x'.repeat(40), () => req.socket.destroy());
  });
  expect(await caught(() => fetch('/short'))).toMatchObject({
    code: 'NETWORK_ERROR',
    message: expect.stringContaining('transfer cut off after 40 of 100 bytes'),
  });
});

test('a mirror that goes silent mid-transfer is given up after the idle time', async () => {
  routes.set('/silent', (_, res) => {
    res.writeHead(200, { 'content-length': 100 });
    res.write('x'.repeat(10));
  });
  expect(await caught(() => fetch('/silent', { idleMs: 200 }))).toMatchObject({
    code: 'NETWORK_ERROR',
    message: expect.stringContaining('nothing received for'),
  });
  expect(await caught(() => fetch('/silent', { timeoutMs: 200 }))).toMatchObject({
    code: 'NETWORK_ERROR',
    message: expect.stringContaining('no complete answer within'),
  });
});
