/**
 * A run loads the code of the command it runs and no other (issue 18): cli/main.ts reads every command's
 * definition, which is cheap, and each handler loads its lib/ code when it runs. Checked on the compiled
 * CLI as its own process, by the modules it loaded; and on the bundle bin/pkgkeys.js runs, where each
 * module is a function that runs at its first require (esbuild's __commonJS), by the modules it ran.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cleanup, loadsOpenPGP, pkgkeysLoading, tempDir } from '../helpers/cli';
import { withSignedRepo } from '../helpers/repo';

const ROOT = path.resolve(__dirname, '../..');
const LIB = path.join(ROOT, 'dist/lib');

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

/** esbuild's module wrapper in dist/pkgkeys.js, and a copy that records each module it runs, as the path esbuild gives it. */
const WRAPPER = 'var __commonJS = (cb, mod) => function __require() {\n';
const RECORDING = `${WRAPPER}  if (!mod) globalThis.__pkgkeysRan.push(__getOwnPropNames(cb)[0]);\n`;

/** The bundle, as bin/pkgkeys.js runs it from a copy of the install, and every module it ran (absolute paths). */
async function bundleRunning(
  args: string[],
): Promise<{ status: number; stdout: string; stderr: string; loaded: string[] }> {
  const dir = await tempDir('pkgkeys-bundle-ran-');
  try {
    const bundle = await fs.readFile(path.join(ROOT, 'dist/pkgkeys.js'), 'utf8');
    expect(bundle).toContain(WRAPPER);
    await fs.mkdir(path.join(dir, 'bin'));
    await fs.mkdir(path.join(dir, 'dist'));
    await fs.copyFile(path.join(ROOT, 'bin/pkgkeys.js'), path.join(dir, 'bin/pkgkeys.js'));
    await fs.copyFile(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    await fs.writeFile(path.join(dir, 'dist/pkgkeys.js'), bundle.replace(WRAPPER, RECORDING));
    const list = path.join(dir, 'ran');
    const preload = path.join(dir, 'record.js');
    await fs.writeFile(
      preload,
      `globalThis.__pkgkeysRan = []; process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, globalThis.__pkgkeysRan.join('\\n')));`,
    );
    const run = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--require', preload, path.join(dir, 'bin/pkgkeys.js'), ...args],
        (error, stdout, stderr) => resolve({ status: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );
    const ran = (await fs.readFile(list, 'utf8')).split('\n').filter((line) => line !== '');
    return { ...run, loaded: ran.map((module) => path.join(ROOT, module)) };
  } finally {
    await cleanup(dir);
  }
}

describe.each([
  ['the compiled CLI, a module a file (dist/)', pkgkeysLoading],
  ['the bundle bin/pkgkeys.js runs (dist/pkgkeys.js)', bundleRunning],
])('%s', (_what, running) => {
  test.each([[['--version']], [['--help']], [['verify-summary', '--help']], [['keyring', 'publish', '--help']]])(
    'pkgkeys %j loads no more of lib/ than start-up needs, and not OpenPGP.js',
    async (args) => {
      const run = await running(args);
      expect(run.status).toBe(0);
      expect(libModules(run.loaded)).toEqual(START_UP);
      expect(loadsOpenPGP(run.loaded)).toBe(false);
    },
  );

  const fixture = withSignedRepo([{ pkgname: 'foo-1.0', content: Buffer.from('foo') }]);

  test('verify-summary loads the verifier and OpenPGP.js, and nothing that publishes, signs or runs a client', async () => {
    const run = await running(['verify-summary', ...fixture.repo.trustArgs(), fixture.index]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^PKGNAME=foo-1\.0$/m);
    expect(loadsOpenPGP(run.loaded)).toBe(true);
    const lib = libModules(run.loaded);
    expect(lib).toContain('verify/summary');
    expect(lib.filter((m) => /^(publish|signd|authority)\/|^client\/(?!config$)/.test(m))).toEqual([]);
  });
});
