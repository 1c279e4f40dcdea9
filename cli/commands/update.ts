import type { CommandModule } from 'yargs';
import { update } from '../../lib/client/update';
import { DEFAULT_KEYRING_URL, anchorFiles, defaultLocations } from '../../lib/paths';
import { formatTime } from '../../lib/time';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { nowOf, print, repeatable } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  url: string;
  name: string;
  anchor: string[] | undefined;
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
      .option('url', { type: 'string', default: DEFAULT_KEYRING_URL, describe: 'directory serving release.asc and keyring.gpg (http, https or file)' })
      .option('name', { type: 'string', default: 'pkgsrc', describe: 'keyring name: the release must be signed for keyring/NAME' })
      .option('anchor', repeatable(`trust anchor: the master key's public certificate; repeatable (default: every file in ${defaultLocations({}).anchorDir})`))
      .option('random-delay', { type: 'number', default: 0, describe: 'wait a random time of up to SECONDS first, so that machines started by cron at the same minute spread out' })
      .option('timeout', { type: 'number', default: 60, describe: 'seconds allowed for each download' })
      .option('quiet', { type: 'boolean', default: false, describe: 'print nothing on success' })
      .option('allow-expired', { type: 'boolean', default: false, describe: "accept an expired release (the keyring package's copy); never an older serial, and status reports it frozen" }),
  handler: async (argv) => {
    const locations = defaultLocations(argv.session.io.env);
    const anchors = argv.anchor?.length ? argv.anchor : await anchorFiles(locations.anchorDir);
    if (argv['random-delay'] > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * argv['random-delay'] * 1000));
    const result = await update({
      url: argv.url, name: argv.name, dir: locations.liveDir, anchors, now: nowOf(argv), policy: DEFAULT_POLICY,
      timeoutMs: argv.timeout * 1000, lockWaitMs: 10 * 60 * 1000, allowExpired: argv['allow-expired'],
    });
    if (argv.quiet && !argv.json) return;
    const { release } = result;
    print(argv, { ...result, dir: locations.liveDir }, (r) => [
      `keyring ${release.name} release ${release.serial} ${CHANGES[r.change]}, valid until ${formatTime(release.expires)}: ` +
        `${r.verifyKeys} package signing key(s), ${r.pkgvulnKeys} pkg-vulnerabilities key(s) in ${r.dir}`,
    ]);
  },
};
