import type { CommandModule } from 'yargs';
import { PkgkeysError } from '../../lib/errors';
import { readBounded, writeAtomic } from '../../lib/fsutil';
import { MAX_VULNERABILITIES_BYTES } from '../../lib/limits';
import { formatTime, parseExpiry } from '../../lib/time';
import { nowOf, print, readPassphrase } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  file: string;
  key: string;
  expires: string;
  hash: 'sha256' | 'sha512';
  output: string | undefined;
  'passphrase-file': string | undefined;
}

export const signVulnerabilitiesCommand: CommandModule<GlobalArgs, Args> = {
  command: 'sign-vulnerabilities <file>',
  describe: 'Clearsign a pkg-vulnerabilities file for pkg_admin fetch-pkg-vulnerabilities (RSA, with an expiry)',
  builder: (y) =>
    y
      .positional('file', {
        type: 'string',
        demandOption: true,
        describe: 'the pkg-vulnerabilities file, plain or .gz/.bz2/.xz/.zst',
      })
      .option('key', {
        type: 'string',
        demandOption: true,
        describe: 'the secret signing key certified for pkg-vulnerabilities (RSA: pkg_admin verifies nothing else)',
      })
      // The list is regenerated upstream every day: a week leaves room for a missed run, and no more.
      .option('expires', {
        type: 'string',
        default: '7d',
        describe: 'when the signature expires: DURATION (7d, 36h) or DATE; never is refused',
      })
      .option('hash', {
        choices: ['sha256', 'sha512'] as const,
        default: 'sha512' as const,
        describe: 'digest algorithm (both are read by pkg_admin)',
      })
      .option('output', {
        type: 'string',
        describe: 'write the signed file here, atomically (default: standard output)',
      })
      .option('passphrase-file', {
        type: 'string',
        describe: "read the key's passphrase from the first line of FILE",
      }) as never,
  handler: async (argv) => {
    const { openSecretKey } = require('../../lib/authority') as typeof import('../../lib/authority');
    const { signVulnerabilities } =
      require('../../lib/publish/vulnerabilities') as typeof import('../../lib/publish/vulnerabilities');
    const { decompress } = require('../../lib/summary/compress') as typeof import('../../lib/summary/compress');
    if (argv.json && !argv.output)
      throw new PkgkeysError(
        'USAGE',
        'with --json, standard output carries the report: give --output FILE for the signed file',
      );
    const now = nowOf(argv);
    const expires = parseExpiry(argv.expires, now);
    if (expires === null)
      throw new PkgkeysError(
        'USAGE',
        'a pkg-vulnerabilities signature must expire (freshness is mandatory): give --expires DURATION',
      );
    const key = await openSecretKey(argv.key, () =>
      readPassphrase(argv.session.io, argv['passphrase-file'], `Passphrase for ${argv.key}`),
    );
    const text = await decompress(
      await readBounded(argv.file, MAX_VULNERABILITIES_BYTES),
      argv.file,
      MAX_VULNERABILITIES_BYTES,
    );
    const result = await signVulnerabilities(text, argv.file, { key, created: now, expires, hash: argv.hash });
    if (argv.output) await writeAtomic(argv.output, result.signed);
    else if (!argv.json) for (const part of result.signed) argv.session.io.stdout(part);
    const report = {
      signer: result.signer,
      entries: result.entries,
      signed: now,
      expires,
      output: argv.output ?? null,
    };
    if (argv.json) return print(argv, report, () => []);
    argv.session.io.stderr(
      `pkgkeys: signed pkg-vulnerabilities (${result.entries} entries) with ${result.signer}, valid until ${formatTime(expires)}\n`,
    );
  },
};
