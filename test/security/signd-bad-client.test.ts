/**
 * Attack: a client that sends too much, or connects and says nothing, to tie the signing daemon up.
 * Each costs its own connection only: the oversized request is refused at 64 KiB, the silent client
 * dropped after the read timeout, and others are served meanwhile.
 */
import * as net from 'node:net';
import { signIndexVia, signdRequest } from '../../lib/signd/client';
import { REPO } from '../helpers/repo';
import { PASSPHRASE, STAGED, codeOf, withDaemon } from '../helpers/signd';

const fixture = withDaemon();

test('an oversized request and a silent client each cost their connection only', async () => {
  const { socket } = fixture.config;
  await signdRequest(socket, { op: 'unlock', passphrase: PASSPHRASE });
  const silent = net.createConnection(socket);
  const closed = new Promise((resolve) => silent.on('close', resolve));
  silent.resume();
  expect(await codeOf(signdRequest(socket, { op: 'status', padding: 'x'.repeat(70_000) }))).toBe('SIGND_REFUSED');
  expect((await signIndexVia(socket, REPO, STAGED)).includes(STAGED)).toBe(true);
  await closed; // dropped after the read timeout
  expect(fixture.log.some((l) => /NETWORK_ERROR: nothing complete received/.test(l))).toBe(true);
});
