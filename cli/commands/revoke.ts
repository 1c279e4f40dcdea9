import type { Argv, CommandModule } from 'yargs';
import type { RevokeTarget } from '../../lib/authority';
import type { RevocationReason } from '../../lib/model';
import { nowOf, print, readPassphrase } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  signer: string;
  reason: RevocationReason;
  text: string;
  out: string | undefined;
  'passphrase-file': string | undefined;
  subkey?: string;
  certificate?: string;
}

const REASONS = ['compromised', 'superseded', 'retired', 'unspecified', 'user-id-invalid'] as const;

const common = <T>(y: Argv<T>) =>
  y
    .option('signer', {
      type: 'string',
      demandOption: true,
      describe: "secret key of the key that revokes (the key itself, or the certification's issuer)",
    })
    .option('reason', {
      choices: REASONS,
      default: 'unspecified' as RevocationReason,
      describe: 'compromised and unspecified void every signature; superseded and retired only later ones',
    })
    .option('text', { type: 'string', default: '', describe: 'a human-readable explanation' })
    .option('out', {
      type: 'string',
      describe: 'write the certificate with the revocation here (default: standard output)',
    })
    .option('passphrase-file', {
      type: 'string',
      describe: "read the signer's passphrase from the first line of FILE",
    });

function handler(target: (argv: Args) => RevokeTarget) {
  return async (argv: Args) => {
    const { openSecretKey, revoke } = require('../../lib/authority') as typeof import('../../lib/authority');
    const signer = await openSecretKey(argv.signer, () =>
      readPassphrase(argv.session.io, argv['passphrase-file'], `Passphrase for ${argv.signer}`),
    );
    const result = await revoke({
      signer,
      target: target(argv),
      reason: argv.reason,
      text: argv.text,
      now: nowOf(argv),
      out: argv.out ?? null,
    });
    if (argv.json) return print(argv, result, () => []);
    if (!argv.out) argv.session.io.stdout(result.armored);
    argv.session.io.stderr(
      `pkgkeys: ${result.signer} revoked ${result.target} ${result.fingerprint} (${result.reason})\n`,
    );
  };
}

const key: CommandModule<GlobalArgs, Args> = {
  command: 'key',
  describe: "Revoke the signer's own key",
  builder: (y) => common(y) as Argv<Args>,
  handler: handler(() => ({ kind: 'key' })),
};
const subkey: CommandModule<GlobalArgs, Args> = {
  command: 'subkey <subkey>',
  describe: "Revoke one of the signer's subkeys",
  builder: (y) =>
    common(y).positional('subkey', {
      type: 'string',
      demandOption: true,
      describe: 'fingerprint or key ID of the subkey',
    }) as Argv<Args>,
  handler: handler((argv) => ({ kind: 'subkey', subkey: argv.subkey! })),
};
const certification: CommandModule<GlobalArgs, Args> = {
  command: 'certification <certificate>',
  describe: "Revoke the signer's certification of another key (signature type 0x30)",
  builder: (y) =>
    common(y).positional('certificate', {
      type: 'string',
      demandOption: true,
      describe: "the certified key's certificate",
    }) as Argv<Args>,
  handler: handler((argv) => ({ kind: 'certification', certificate: argv.certificate! })),
};

export const revokeCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'revoke <what>',
  describe: 'Revoke a key, a subkey or a certification',
  builder: (y) => y.command(key).command(subkey).command(certification).demandCommand(1),
  handler: () => undefined,
};
