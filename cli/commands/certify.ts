import type { CommandModule } from 'yargs';
import { formatTime, parseExpiry } from '../../lib/time';
import { nowOf, print, readPassphrase, repeatable, warn } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  certificate: string;
  signer: string;
  scope: string[];
  expires: string;
  delegate: boolean;
  'user-id': string | undefined;
  out: string | undefined;
  'passphrase-file': string | undefined;
}

export const certifyCommand: CommandModule<GlobalArgs, Args> = {
  command: 'certify <certificate>',
  describe: 'Certify a signing key for repositories (or, with --delegate, make it an intermediate)',
  builder: (y) =>
    y
      .positional('certificate', {
        type: 'string',
        demandOption: true,
        describe: 'public certificate of the key to certify',
      })
      .option('signer', {
        type: 'string',
        demandOption: true,
        describe: "the master's (or an intermediate's) secret key",
      })
      .option('scope', {
        ...repeatable('repository glob, e.g. NetBSD/x86_64/10.*/All; repeatable'),
        demandOption: true,
      })
      .option('expires', { type: 'string', default: '2y', describe: 'DURATION (90d, 2y), DATE, or never' })
      .option('delegate', {
        type: 'boolean',
        default: false,
        describe: 'a trust signature of depth 1: the key may certify signing keys within the scope',
      })
      .option('user-id', { type: 'string', describe: 'certify only this User ID (default: all)' })
      .option('out', { type: 'string', describe: 'write the certified certificate here (default: standard output)' })
      .option('passphrase-file', {
        type: 'string',
        describe: "read the signer's passphrase from the first line of FILE",
      }),
  handler: async (argv) => {
    const { certifyFile, openSecretKey } = require('../../lib/authority') as typeof import('../../lib/authority');
    const now = nowOf(argv);
    const expires = parseExpiry(argv.expires, now);
    if (expires === null) warn(argv, 'a certification that never expires stays valid until someone revokes it');
    const signer = await openSecretKey(argv.signer, () =>
      readPassphrase(argv.session.io, argv['passphrase-file'], `Passphrase for ${argv.signer}`),
    );
    const result = await certifyFile({
      signer,
      certificate: argv.certificate,
      scopes: argv.scope,
      expires,
      delegate: argv.delegate,
      userID: argv['user-id'] ?? null,
      now,
      out: argv.out ?? null,
    });
    if (argv.json) return print(argv, result, () => []);
    if (!argv.out) argv.session.io.stdout(result.armored);
    argv.session.io.stderr(
      `pkgkeys: ${result.signer} ${result.delegated ? 'delegated to' : 'certified'} ${result.fingerprint} for ${result.scopes.join(', ')}` +
        `, ${result.expires ? `until ${formatTime(result.expires)}` : 'without expiry'}\n`,
    );
  },
};
