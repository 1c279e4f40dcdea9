import type { CommandModule } from 'yargs';
import { PkgkeysError } from '../../lib/errors';
import type { Extension } from '../../lib/publish/repository';
import { checkRepository } from '../../lib/trust/scope';
import { formatTime, parseExpiry } from '../../lib/time';
import { nowOf, print, readPassphrase, warn } from '../common';
import {
  type ClientKeyringArgs,
  type ShrinkArgs,
  clientKeyringOf,
  clientKeyringOptions,
  shrinkOptions,
  shrinkPolicyOf,
} from '../gates';
import type { GlobalArgs } from '../io';

interface Args extends ClientKeyringArgs, ShrinkArgs {
  dir: string;
  build: string | undefined;
  repository: string;
  key: string | undefined;
  signd: string | undefined;
  expires: string;
  hash: 'sha256' | 'sha512';
  formats: string;
  'sign-packages': boolean;
  resign: boolean;
  jobs: number;
  'lock-wait': number;
  'passphrase-file': string | undefined;
}

export const publishCommand: CommandModule<GlobalArgs, Args> = {
  command: 'publish <dir>',
  describe:
    'Publish a build into the repository directory: its packages, checksums into pkg_summary, the compressed and signed index files, all swapped in at once under a lock',
  builder: (y) => {
    const { defaultJobs } = require('../../lib/packages/hash') as typeof import('../../lib/packages/hash');
    const { ALL_EXTENSIONS } = require('../../lib/publish/repository') as typeof import('../../lib/publish/repository');
    return shrinkOptions(clientKeyringOptions(y))
      .positional('dir', {
        type: 'string',
        demandOption: true,
        describe: 'the repository directory, which mirrors copy; only publish writes it',
      })
      .option('build', {
        type: 'string',
        describe:
          "the build's output (pbulk's packages/All): its packages and the pkg_summary it wrote; never DIR itself",
      })
      .option('repository', {
        type: 'string',
        demandOption: true,
        describe: 'repository identifier, e.g. NetBSD/x86_64/10.0/All',
      })
      .option('key', { type: 'string', describe: "the build host's secret signing key (or --signd)" })
      .option('signd', {
        type: 'string',
        describe: "the signing daemon's socket: it signs the index, the key stays with it",
      })
      .option('expires', {
        type: 'string',
        default: '7d',
        describe: 'when the index signature expires: DURATION or DATE (re-sign before with --resign)',
      })
      .option('hash', {
        choices: ['sha256', 'sha512'] as const,
        default: 'sha256' as const,
        describe: 'digest algorithm of the index signature',
      })
      .option('formats', {
        type: 'string',
        default: ALL_EXTENSIONS.join(','),
        describe: 'compressed forms to publish, of gz, bz2, xz, zst',
      })
      .option('sign-packages', {
        type: 'boolean',
        default: false,
        describe: 'sign every package not signed yet, in place, for pkg_add (RSA key)',
      })
      .option('resign', {
        type: 'boolean',
        default: false,
        describe: 'only sign the published index again, with a new expiry (for cron)',
      })
      .option('jobs', { type: 'number', default: defaultJobs(), describe: 'files hashed in parallel' })
      .option('lock-wait', {
        type: 'number',
        default: 600,
        describe: 'seconds to wait for another publish of this directory to finish',
      })
      .option('passphrase-file', {
        type: 'string',
        describe: "read the key's passphrase from the first line of FILE",
      }) as never;
  },
  handler: async (argv) => {
    const { openSecretKey } = require('../../lib/authority') as typeof import('../../lib/authority');
    const { ALL_EXTENSIONS, publish } =
      require('../../lib/publish/repository') as typeof import('../../lib/publish/repository');
    const { signPackage } =
      require('../../lib/publish/sign-package') as typeof import('../../lib/publish/sign-package');
    const { signIndex } = require('../../lib/publish/summary') as typeof import('../../lib/publish/summary');
    const { signStagedIndex } = require('../../lib/signd/client') as typeof import('../../lib/signd/client');
    const repository = checkRepository(argv.repository);
    const extensions = argv.formats.split(',').filter((f) => f !== '');
    const unknown = extensions.filter((e) => !(ALL_EXTENSIONS as string[]).includes(e));
    if (unknown.length > 0 || extensions.length === 0)
      throw new PkgkeysError('USAGE', `--formats takes some of ${ALL_EXTENSIONS.join(', ')}, not "${argv.formats}"`);
    if (argv.resign && argv['sign-packages'])
      throw new PkgkeysError('USAGE', '--resign signs the published index only; --sign-packages needs a publish');
    const now = nowOf(argv);
    const expires = parseExpiry(argv.expires, now);
    if (expires === null) throw new PkgkeysError('USAGE', 'an index signature must expire: give --expires DURATION');
    if ((argv.key === undefined) === (argv.signd === undefined))
      throw new PkgkeysError('USAGE', 'give either --key or --signd');
    if (argv.signd && argv['sign-packages'])
      throw new PkgkeysError('USAGE', '--sign-packages needs --key: signd signs indexes only');
    const shrink = shrinkPolicyOf(argv);
    const clientKeyring = await clientKeyringOf(argv, now);
    const key = argv.key
      ? await openSecretKey(argv.key, () =>
          readPassphrase(argv.session.io, argv['passphrase-file'], `Passphrase for ${argv.key}`),
        )
      : null;
    const socket = argv.signd;
    const sign = key
      ? async (text: Buffer) =>
          (await signIndex(text, argv.dir, { key, repository, created: now, expires, hash: argv.hash })).signed
      : async (text: Buffer) => [
          await signStagedIndex(socket!, argv.dir, repository, text, { allowShrink: shrink.allow }),
        ];
    const result = await publish({
      dir: argv.dir,
      build: argv.build,
      extensions: extensions as Extension[],
      jobs: argv.jobs,
      lockWaitMs: argv['lock-wait'] * 1000,
      resign: argv.resign,
      label: formatTime(now).replace(/[-:]/g, ''),
      sign,
      signPackage:
        key && argv['sign-packages']
          ? async (input, output) => void (await signPackage(input, output, { key, created: now }))
          : undefined,
      gates: { repository, clientKeyring, now, shrink },
    });
    for (const warning of result.warnings) warn(argv, warning);
    for (const override of result.overrides) argv.session.io.stderr(`pkgkeys: override: ${override}\n`);
    print(argv, { ...result, repository: argv.repository, expires, clientKeyring: clientKeyring.description }, (r) => [
      `published ${r.entries} entries for ${r.repository}${r.signedPackages ? `, ${r.signedPackages} package(s) signed` : ''}` +
        `${argv.resign ? '' : `, ${r.copiedPackages} package(s) copied, ${r.removedPackages} removed`}, index valid until ${formatTime(expires)}: ${r.files.join(' ')}`,
    ]);
  },
};
