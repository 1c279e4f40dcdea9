import type { CommandModule } from 'yargs';
import { createKey } from '../../lib/authority';
import { nowOf, print, readPassphrase, warn } from '../common';
import type { GlobalArgs } from '../io';
import { parseExpiry } from '../../lib/time';

interface Args extends GlobalArgs {
  uid: string;
  out: string;
  algo: 'ed25519' | 'rsa3072' | 'rsa4096';
  'passphrase-file': string | undefined;
  expires: string;
  passphrase: boolean;
}

const init: CommandModule<GlobalArgs, Args> = {
  command: 'init',
  describe: "Create a build host's repository signing key",
  builder: (y) =>
    y
      .option('uid', { type: 'string', demandOption: true, describe: 'User ID, e.g. "pkgsrc build host b1.example.org <pkgsrc-b1@example.org>"' })
      .option('out', { type: 'string', demandOption: true, describe: 'directory for signing-{secret,public,revocation}.asc' })
      .option('algo', { choices: ['rsa3072', 'rsa4096', 'ed25519'] as const, default: 'rsa3072' as const, describe: "key algorithm; RSA because pkg_add's verifier reads only RSA and DSA" })
      .option('expires', { type: 'string', default: 'never', describe: "the key's own expiry: DURATION (5y), DATE, or never (certifications expire anyway)" })
      .option('passphrase-file', { type: 'string', describe: 'read the passphrase from the first line of FILE' })
      .option('passphrase', { type: 'boolean', default: true, describe: 'protect the secret key with a passphrase (--no-passphrase for an unattended signer)' }),
  handler: async (argv) => {
    const now = nowOf(argv);
    if (argv.algo === 'ed25519') warn(argv, "pkg_add's built-in verifier cannot check packages signed with an Ed25519 key; use it for pkg_summary only");
    const passphrase = argv.passphrase ? await readPassphrase(argv.session.io, argv['passphrase-file'], 'Passphrase for the new signing key', true) : null;
    const key = await createKey({ role: 'signing', userID: argv.uid, type: argv.algo, passphrase, out: argv.out, now, expires: parseExpiry(argv.expires, now) });
    print(argv, key, (k) => [
      `signing key ${k.fingerprint}`,
      `  secret key:  ${k.secret}`,
      `  public key:  ${k.public} (send this to the master key holder to be certified)`,
      `  revocation:  ${k.revocation}`,
    ]);
  },
};

export const keyCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'key <command>',
  describe: 'Manage repository signing keys (on a build host)',
  builder: (y) => y.command(init).demandCommand(1),
  handler: () => undefined,
};
