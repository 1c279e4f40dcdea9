/**
 * A run renders help only when help is asked for or the command line is wrong (issue 18). yargs would
 * render the whole help text of a command as its handler starts, about 10 ms a run, to have it should
 * the handler fail; pkgkeys never shows that text (cli/main.ts withoutHelpCache). Counted as the
 * layouts yargs asks cliui for, in-process.
 */
import { cleanup, pkgkeys, tempDir } from '../helpers/cli';

let layouts = 0;
jest.mock('cliui', () => {
  const cliui = jest.requireActual('cliui') as (...args: unknown[]) => unknown;
  return (...args: unknown[]) => {
    layouts++;
    return cliui(...args);
  };
});

let root: string;
beforeAll(async () => (root = await tempDir('pkgkeys-help-')));
afterAll(() => cleanup(root));
beforeEach(() => (layouts = 0));

test('a command that runs, and fails in its handler, renders no help', async () => {
  const result = await pkgkeys(['status'], { PKGKEYS_ROOT: root });
  expect(result.stderr).toMatch(/^pkgkeys: USAGE: no trust anchor in /);
  expect(result.stdout).toBe('');
  expect(layouts).toBe(0);
});

test('--help renders it', async () => {
  const result = await pkgkeys(['status', '--help'], { PKGKEYS_ROOT: root });
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/^pkgkeys status\n/);
  expect(layouts).toBeGreaterThan(0);
});

test('a wrong command line renders the usage of the command at hand', async () => {
  const result = await pkgkeys(['status', '--bogus'], { PKGKEYS_ROOT: root });
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/^pkgkeys: USAGE: Unknown argument: bogus:\n\npkgkeys status\n/);
  expect(layouts).toBeGreaterThan(0);
});

describe('in a German locale', () => {
  const saved = { LANG: process.env.LANG, LC_ALL: process.env.LC_ALL };
  beforeAll(() => Object.assign(process.env, { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' }));
  afterAll(() => {
    for (const [name, value] of Object.entries(saved))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  // yargs reads the locale from the process's environment, and would answer in German where its
  // translations are at hand (node_modules), in English where not (the bundle): the same everywhere now.
  test('yargs speaks English, as pkgkeys does', async () => {
    const missing = await pkgkeys(['keyring'], { PKGKEYS_ROOT: root });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(
      /^pkgkeys: USAGE: a subcommand or an argument is missing:\n\npkgkeys keyring <command>\n/,
    );
    expect(missing.stderr).toMatch(/^Commands:$/m);
    const unknown = await pkgkeys(['status', '--bogus'], { PKGKEYS_ROOT: root });
    expect(unknown.stderr).toMatch(/^pkgkeys: USAGE: Unknown argument: bogus:/);
  });
});
