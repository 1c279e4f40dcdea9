/**
 * A run loads the code of the command it runs and no other (issue 18): cli/main.ts reads every command's
 * definition, which is cheap, and each handler loads its lib/ code when it runs. Checked on the compiled
 * CLI as its own process, by the modules it loaded.
 */
import * as path from 'node:path';
import { loadsOpenPGP, pkgkeysLoading } from '../helpers/cli';
import { withSignedRepo } from '../helpers/repo';

const LIB = path.resolve(__dirname, '../../dist/lib');

/** The modules of lib/ among `loaded`, by their path below lib/ without the extension: `verify/state`. */
const libModules = (loaded: readonly string[]) =>
  loaded
    .filter((file) => file.startsWith(`${LIB}/`))
    .map((file) => file.slice(LIB.length + 1).replace(/\.js$/, ''))
    .sort();

/** What cli/common.ts needs to read a client's configuration and clock, and the size caps: all of lib/ that start-up may load. */
const START_UP = [
  'client/config',
  'errors',
  'fsutil',
  'limits',
  'model',
  'paths',
  'settings',
  'time',
  'trust/policy',
  'trust/scope',
  'verify/state',
];

test.each([[['--version']], [['--help']], [['verify-summary', '--help']], [['keyring', 'publish', '--help']]])(
  'pkgkeys %j loads no more of lib/ than start-up needs, and not OpenPGP.js',
  async (args) => {
    const run = await pkgkeysLoading(args);
    expect(run.status).toBe(0);
    expect(libModules(run.loaded)).toEqual(START_UP);
    expect(loadsOpenPGP(run.loaded)).toBe(false);
  },
);

describe('verify-summary', () => {
  const fixture = withSignedRepo([{ pkgname: 'foo-1.0', content: Buffer.from('foo') }]);

  test('loads the verifier and OpenPGP.js, and nothing that publishes, signs or runs a client', async () => {
    const run = await pkgkeysLoading(['verify-summary', ...fixture.repo.trustArgs(), fixture.index]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^PKGNAME=foo-1\.0$/m);
    expect(loadsOpenPGP(run.loaded)).toBe(true);
    const lib = libModules(run.loaded);
    expect(lib).toContain('verify/summary');
    expect(lib.filter((m) => /^(publish|signd|authority)\/|^client\/(?!config$)/.test(m))).toEqual([]);
  });
});
