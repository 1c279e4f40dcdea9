import type { CommandModule } from 'yargs';
import { selectUpstreams } from '../../lib/client/config';
import { exitStatusOfAll } from '../../lib/errors';
import { describeSpan, formatTime } from '../../lib/time';
import { anchorsOf, asReported, clientOf, print, readClock, repeatable, thresholdOption } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  ids: string[];
  anchor: string[] | undefined;
  threshold: number | undefined;
  timeout: number;
  quiet: boolean;
}

export const checkRepoCommand: CommandModule<GlobalArgs, Args> = {
  command: 'check-repo [ids..]',
  describe:
    'Verify the current signed index of each configured repository (or those named) and report its age and expiry; installs and records nothing',
  builder: (y) =>
    y
      .positional('ids', {
        type: 'string',
        array: true,
        default: [],
        describe: 'repository identifiers from pkgkeys.conf (default: all)',
      })
      .option(
        'anchor',
        repeatable(
          "trust anchor: the master key's public certificate; repeatable (default: every file in the anchors directory of pkgkeys.conf)",
        ),
      )
      .option('threshold', thresholdOption)
      .option('timeout', { type: 'number', default: 300, describe: 'seconds allowed for each index download' })
      .option('quiet', {
        type: 'boolean',
        default: false,
        describe: 'print only the repositories that fail (for cron, which mails what is printed)',
      }) as never,
  handler: async (argv) => {
    const { checkRepositories } =
      require('../../lib/client/check-repo') as typeof import('../../lib/client/check-repo');
    const client = await clientOf(argv);
    const clock = await readClock(argv, client.locations.stateDir, client.policy);
    const { now } = clock;
    const checks = await checkRepositories(selectUpstreams(client.config, argv.ids, client.file), {
      anchors: await anchorsOf(argv, client),
      keyring: client.locations.keyring,
      liveDir: client.locations.liveDir,
      stateDir: client.locations.stateDir,
      clock,
      policy: client.policy,
      timeoutMs: argv.timeout * 1000,
    });
    const failed = checks.filter((c) => !c.ok);
    print(argv, { ok: failed.length === 0, repositories: checks.map(asReported) }, (r) =>
      r.repositories
        .filter((c) => !(argv.quiet && c.ok))
        .map((c) =>
          c.ok
            ? `${c.id}: good index, ${c.entries} entries, signed ${formatTime(c.signed)} (${describeSpan(now.getTime() - c.signed.getTime())} ago) by ${c.signer}, ` +
              `expires ${formatTime(c.expires)} (in ${describeSpan(c.expires.getTime() - now.getTime())})`
            : `${c.id}: ${c.code}: ${c.message}`,
        ),
    );
    argv.session.exit = exitStatusOfAll(failed.map((c) => c.code));
  },
};
