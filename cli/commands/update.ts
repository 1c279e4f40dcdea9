import type { CommandModule } from 'yargs';
import { formatTime } from '../../lib/time';
import { ClientState } from '../../lib/verify/state';
import { anchorsOf, clientOf, print, readClock, repeatable, thresholdOption } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  url: string | undefined;
  name: string | undefined;
  anchor: string[] | undefined;
  threshold: number | undefined;
  'random-delay': number;
  timeout: number;
  quiet: boolean;
  'allow-expired': boolean;
}

const CHANGES = {
  new: 'installed',
  renewed: 'renewed',
  unchanged: 'up to date',
  'not-modified': 'up to date',
} as const;

export const updateCommand: CommandModule<GlobalArgs, Args> = {
  command: 'update',
  describe: 'Fetch the newest keyring release, verify it, and install it with its exports for pkg_install (for cron)',
  builder: (y) =>
    y
      .option('url', {
        type: 'string',
        describe:
          'directory serving release.asc and keyring.gpg (http, https or file; default: keyring-url in pkgkeys.conf)',
      })
      .option('name', {
        type: 'string',
        describe:
          'keyring name: the release must be signed for keyring/NAME (default: keyring-name in pkgkeys.conf, pkgsrc)',
      })
      .option(
        'anchor',
        repeatable(
          "trust anchor: the master key's public certificate; repeatable (default: every file in the anchors directory of pkgkeys.conf)",
        ),
      )
      .option('threshold', thresholdOption)
      .option('random-delay', {
        type: 'number',
        default: 0,
        describe:
          'wait a random time of up to SECONDS first, so that machines started by cron at the same minute spread out',
      })
      .option('timeout', { type: 'number', default: 60, describe: 'seconds allowed for each download' })
      .option('quiet', { type: 'boolean', default: false, describe: 'print nothing on success' })
      .option('allow-expired', {
        type: 'boolean',
        default: false,
        describe:
          "accept an expired release (the keyring package's copy); never an older serial, and status reports it frozen",
      }),
  handler: async (argv) => {
    const { update } = require('../../lib/client/update') as typeof import('../../lib/client/update');
    const client = await clientOf(argv);
    const anchors = await anchorsOf(argv, client);
    if (argv['random-delay'] > 0)
      await new Promise((resolve) => setTimeout(resolve, Math.random() * argv['random-delay'] * 1000));
    const clock = await readClock(argv, client.locations.stateDir, client.policy);
    const result = await update({
      url: argv.url ?? client.config.keyringURL,
      name: argv.name ?? client.config.keyringName,
      dir: client.locations.liveDir,
      anchors,
      now: clock.now,
      clock,
      state: new ClientState(client.locations.stateDir),
      policy: client.policy,
      timeoutMs: argv.timeout * 1000,
      lockWaitMs: 10 * 60 * 1000,
      allowExpired: argv['allow-expired'],
    });
    if (argv.quiet && !argv.json) return;
    const { release } = result;
    print(argv, { ...result, dir: client.locations.liveDir }, (r) => [
      `keyring ${release.name} release ${release.serial} ${CHANGES[r.change]}, valid until ${formatTime(release.expires)}: ` +
        `${r.verifyKeys} package signing key(s), ${r.pkgvulnKeys} pkg-vulnerabilities key(s) in ${r.dir}`,
    ]);
  },
};
