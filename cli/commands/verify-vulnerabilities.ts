import type { CommandModule } from 'yargs';
import { writeAtomic } from '../../lib/fsutil';
import { formatTime } from '../../lib/time';
import { anchorsOf, clientOf, print, readClock, repeatable, stateDirOption, thresholdOption } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  file: string;
  anchor: string[] | undefined;
  threshold: number | undefined;
  keyring: string | undefined;
  'state-dir': string | undefined;
  output: string | undefined;
}

export const verifyVulnerabilitiesCommand: CommandModule<GlobalArgs, Args> = {
  command: 'verify-vulnerabilities <file>',
  describe:
    'Verify a signed pkg-vulnerabilities file (chain, signature, identifier, expiry, format) and print the signed text',
  builder: (y) =>
    y
      .positional('file', {
        type: 'string',
        demandOption: true,
        describe: 'the clearsigned pkg-vulnerabilities, plain or compressed',
      })
      .option(
        'anchor',
        repeatable(
          "trust anchor: the master key's public certificate; repeatable (default: every file in the anchors directory of pkgkeys.conf)",
        ),
      )
      .option('threshold', thresholdOption)
      .option('keyring', {
        type: 'string',
        describe:
          'keyring file or directory (default: the keyring pkgkeys update installs, /var/db/pkgkeys/keyring.gpg)',
      })
      .option('state-dir', stateDirOption)
      .option('output', {
        type: 'string',
        describe: 'write the verified pkg-vulnerabilities here, atomically (default: standard output)',
      }) as never,
  handler: async (argv) => {
    const { verifyVulnerabilitiesFile } =
      require('../../lib/verify/vulnerabilities') as typeof import('../../lib/verify/vulnerabilities');
    const client = await clientOf(argv);
    const sources = {
      anchors: await anchorsOf(argv, client),
      keyring: argv.keyring ?? client.locations.keyring,
      stateDir: argv['state-dir'] ?? client.locations.stateDir,
    };
    const clock = await readClock(argv, sources.stateDir, client.policy);
    const list = await verifyVulnerabilitiesFile({ file: argv.file, sources, clock, policy: client.policy });
    if (argv.output) await writeAtomic(argv.output, list.text);
    else if (!argv.json) argv.session.io.stdout(list.text);
    const { text: _text, chain, ...report } = list;
    if (argv.json) return print(argv, { ok: true, ...report, steps: chain.steps.map((s) => s.text) }, () => []);
    if (argv.output) {
      argv.session.io.stderr(
        `pkgkeys: ${argv.file}: good pkg-vulnerabilities, ${list.entries} entries, signed ${formatTime(list.signed)} by ${list.signer}, expires ${formatTime(list.expires)}\n`,
      );
    }
  },
};
