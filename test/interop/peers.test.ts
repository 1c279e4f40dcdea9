// `make test` needs these programs as peers (README.md lists them, .ci/run installs them). A missing one
// fails here, by name, and in every test that runs it: none passes without its peer.
import { PEERS, peerSync } from '../helpers/peer';

test.each(Object.keys(PEERS))('%s is installed', (command) => {
  // Only that it starts: not every peer has --version (mandoc), and its status does not matter here.
  expect(() => peerSync(command, ['--version'])).not.toThrow();
});
