import type { CommandModule } from 'yargs';
import { createKey } from '../../lib/authority';
import { nowOf, print, readPassphrase } from '../common';
import type { GlobalArgs } from '../io';
import { parseExpiry } from '../../lib/time';

interface Args extends GlobalArgs {
  uid: string;
  out: string;
  algo: 'ed25519' | 'rsa3072' | 'rsa4096';
  'passphrase-file': string | undefined;
  expires: string;
}

const init: CommandModule<GlobalArgs, Args> = {
  command: 'init',
  describe: 'Create the pkgsrc master key, its passphrase-protected secret key and a revocation certificate',
  builder: (y) =>
    y
      .option('uid', { type: 'string', demandOption: true, describe: 'User ID, e.g. "pkgsrc master key <pkgsrc-master@NetBSD.org>"' })
      .option('out', { type: 'string', demandOption: true, describe: 'directory for master-{secret,public,revocation}.asc' })
      .option('algo', { choices: ['ed25519', 'rsa3072', 'rsa4096'] as const, default: 'ed25519' as const, describe: 'key algorithm (v4 keys)' })
      .option('expires', { type: 'string', default: 'never', describe: "the key's own expiry: DURATION (5y), DATE, or never (certifications expire anyway)" })
      .option('passphrase-file', { type: 'string', describe: 'read the passphrase from the first line of FILE' }),
  handler: async (argv) => {
    const now = nowOf(argv);
    const passphrase = await readPassphrase(argv.session.io, argv['passphrase-file'], 'Passphrase for the new master key', true);
    const key = await createKey({ role: 'master', userID: argv.uid, type: argv.algo, passphrase, out: argv.out, now, expires: parseExpiry(argv.expires, now) });
    print(argv, key, (k) => [
      `master key ${k.fingerprint}`,
      `  secret key:  ${k.secret} (keep offline)`,
      `  public key:  ${k.public} (the trust anchor)`,
      `  revocation:  ${k.revocation} (keep offline, apart from the secret key)`,
    ]);
  },
};

export const masterCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'master <command>',
  describe: 'Manage the master key (on the offline machine)',
  builder: (y) => y.command(init).demandCommand(1),
  handler: () => undefined,
};
