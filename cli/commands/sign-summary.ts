import type { CommandModule } from 'yargs';
import { PkgkeysError } from '../../lib/errors';
import { readBounded, writeAtomic } from '../../lib/fsutil';
import { MAX_INDEX_BYTES } from '../../lib/limits';
import { formatTime, parseExpiry } from '../../lib/time';
import { checkRepository } from '../../lib/trust/scope';
import { nowOf, print, readPassphrase, warn } from '../common';
import { type ClientKeyringArgs, clientKeyringOf, clientKeyringOptions } from '../gates';
import type { GlobalArgs } from '../io';

interface Args extends ClientKeyringArgs {
  summary: string;
  key: string;
  repository: string;
  expires: string;
  hash: 'sha256' | 'sha512';
  packages: string | undefined;
  jobs: number;
  output: string | undefined;
  'passphrase-file': string | undefined;
}

export const signSummaryCommand: CommandModule<GlobalArgs, Args> = {
  command: 'sign-summary <summary>',
  describe: 'Clearsign a pkg_summary for one repository, with an expiry (and, with --packages, checksums first)',
  builder: (y) => {
    const { defaultJobs } = require('../../lib/packages/hash') as typeof import('../../lib/packages/hash');
    return clientKeyringOptions(y)
      .positional('summary', {
        type: 'string',
        demandOption: true,
        describe: 'pkg_summary, plain or .gz/.bz2/.xz/.zst',
      })
      .option('key', { type: 'string', demandOption: true, describe: "the build host's secret signing key" })
      .option('repository', {
        type: 'string',
        demandOption: true,
        describe: 'repository identifier, e.g. NetBSD/x86_64/10.0/All',
      })
      .option('expires', {
        type: 'string',
        default: '7d',
        describe: 'when the signature expires: DURATION (7d, 36h) or DATE; never is refused',
      })
      .option('hash', {
        choices: ['sha256', 'sha512'] as const,
        default: 'sha256' as const,
        describe: 'digest algorithm (SHA-256 is hardware-accelerated on most CPUs)',
      })
      .option('packages', {
        type: 'string',
        describe: 'add (or check) FILE_SIZE and FILE_CKSUM from the package files in DIR first',
      })
      .option('jobs', { type: 'number', default: defaultJobs(), describe: 'files hashed in parallel with --packages' })
      .option('output', {
        type: 'string',
        describe: 'write the signed index here, atomically (default: standard output)',
      })
      .option('passphrase-file', { type: 'string', describe: "read the key's passphrase from the first line of FILE" });
  },
  handler: async (argv) => {
    const { openSecretKey } = require('../../lib/authority') as typeof import('../../lib/authority');
    const { checkSignerForClients } = require('../../lib/publish/gates') as typeof import('../../lib/publish/gates');
    const { addChecksums, normaliseSummary, signIndex } =
      require('../../lib/publish/summary') as typeof import('../../lib/publish/summary');
    const { decompress } = require('../../lib/summary/compress') as typeof import('../../lib/summary/compress');
    if (argv.json && !argv.output)
      throw new PkgkeysError(
        'USAGE',
        'with --json, standard output carries the report: give --output FILE for the signed index',
      );
    const repository = checkRepository(argv.repository);
    const now = nowOf(argv);
    const expires = parseExpiry(argv.expires, now);
    if (expires === null)
      throw new PkgkeysError(
        'USAGE',
        'an index signature must expire (freshness is mandatory): give --expires DURATION',
      );
    const clientKeyring = await clientKeyringOf(argv, now);
    const key = await openSecretKey(argv.key, () =>
      readPassphrase(argv.session.io, argv['passphrase-file'], `Passphrase for ${argv.key}`),
    );
    const normal = normaliseSummary(
      await decompress(await readBounded(argv.summary, MAX_INDEX_BYTES), argv.summary, MAX_INDEX_BYTES),
    );
    if (normal.lines > 0) warn(argv, normal.warning(argv.summary));
    let text = normal.text;
    if (argv.packages) text = await addChecksums(text, argv.summary, argv.packages, argv.jobs);
    const result = await signIndex(text, argv.summary, { key, repository, created: now, expires, hash: argv.hash });
    // Written only if clients with the keyring they have now will accept the signer (lib/publish/gates.ts).
    checkSignerForClients(clientKeyring, result.signer, repository, now);
    if (argv.output) await writeAtomic(argv.output, result.signed);
    else if (!argv.json) for (const part of result.signed) argv.session.io.stdout(part);
    const report = {
      signer: result.signer,
      repository: argv.repository,
      entries: result.entries,
      signed: now,
      expires,
      output: argv.output ?? null,
      clientKeyring: clientKeyring.description,
    };
    if (argv.json) return print(argv, report, () => []);
    argv.session.io.stderr(
      `pkgkeys: signed ${result.entries} entries for ${argv.repository} with ${result.signer}, valid until ${formatTime(expires)}\n`,
    );
  },
};
