import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { checkRepositoryURL } from '../../lib/settings';
import { PkgkeysError } from '../../lib/errors';
import { PREFIX, SYSCONFDIR, defaultLocations } from '../../lib/paths';
import { asReported, clientOf, print, repeatable } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  repositories: string | undefined;
  arch: string;
  osrelease: string;
  identifier: string[] | undefined;
  'keyring-url': string | undefined;
  'dry-run': boolean;
}

export const setupCommand: CommandModule<GlobalArgs, Args> = {
  command: 'setup',
  describe: "Write pkgkeys.conf from pkgin's repositories.conf, then print the pkg_install.conf and cron lines to add",
  builder: (y) => {
    const { hostMacros } = require('../../lib/client/pkgin') as typeof import('../../lib/client/pkgin');
    const host = hostMacros();
    return y
      .option('repositories', {
        type: 'string',
        describe: `pkgin's repositories.conf (default: ${defaultLocations({}).pkginRepositories})`,
      })
      .option('arch', { type: 'string', default: host.arch, describe: 'what $arch stands for in repositories.conf' })
      .option('osrelease', {
        type: 'string',
        default: host.osrelease,
        describe: 'what $osrelease stands for in repositories.conf',
      })
      .option(
        'identifier',
        repeatable('URL=IDENTIFIER: the repository identifier of a URL that has no packages/ directory; repeatable'),
      )
      .option('keyring-url', {
        type: 'string',
        describe: 'where the keyring releases are published (default: keep, or the pkgsrc keyring)',
      })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print pkgkeys.conf instead of writing it' });
  },
  handler: async (argv) => {
    const { setup } = require('../../lib/client/setup') as typeof import('../../lib/client/setup');
    const client = await clientOf(argv, true);
    const identifiers = new Map<string, string>();
    for (const pair of argv.identifier ?? []) {
      const at = pair.lastIndexOf('=');
      if (at <= 0) throw new PkgkeysError('USAGE', `--identifier takes URL=IDENTIFIER, not "${pair}"`);
      identifiers.set(checkRepositoryURL(pair.slice(0, at)), pair.slice(at + 1));
    }
    const { config, text } = await setup({
      pkginConf: argv.repositories ?? client.locations.pkginRepositories,
      macros: { arch: argv.arch, osrelease: argv.osrelease },
      named: identifiers,
      configFile: client.file,
      current: client.config,
      defaults: client.defaults,
      keyringURL: argv['keyring-url'],
      dryRun: argv['dry-run'],
    });
    const { liveDir } = client.locations;
    const configArg = argv.config ? ` --config ${argv.config}` : '';
    const pkgInstallConf = [
      `GPG_KEYRING_VERIFY=${path.join(liveDir, 'verify.gpg')}`,
      `GPG_KEYRING_PKGVULN=${path.join(liveDir, 'pkgvuln.gpg')}`,
      'VERIFIED_INSTALLATION=always',
    ];
    const cron = [
      `17 3 * * * ${PREFIX}/bin/pkgkeys${configArg} update --random-delay 3600 --quiet`,
      `47 5 * * * ${PREFIX}/bin/pkgkeys${configArg} check-repo --quiet`,
    ];
    if (argv['dry-run'] && !argv.json) return void argv.session.io.stdout(text);
    print(
      argv,
      {
        config: client.file,
        written: !argv['dry-run'],
        repositories: config.upstreams.map(asReported),
        pkgInstallConf,
        cron,
      },
      (r) => [
        `wrote ${r.config}: ${r.repositories.length} repositor${r.repositories.length === 1 ? 'y' : 'ies'}`,
        ...r.repositories.map((repo) => `  ${repo.id}  ${repo.url}`),
        '',
        `Add to ${SYSCONFDIR}/pkg_install.conf (VERIFIED_INSTALLATION=always once the repositories sign their packages; pkg_add then refuses unsigned ones):`,
        ...r.pkgInstallConf.map((l) => `  ${l}`),
        '',
        "Add to root's crontab (keyring updates; a daily check of the repositories' signatures):",
        ...r.cron.map((l) => `  ${l}`),
        '',
        `Then upgrade through the verifying proxy: ${PREFIX}/bin/pkgkeys${configArg} pkgin -y upgrade`,
      ],
    );
  },
};
