/** `master init` and `key init`: one command, two kinds of key (cli/commands/master.ts, key.ts). */
import type { Argv, CommandModule } from 'yargs';
import type { CreatedKey, KeyRole } from '../../lib/authority';
import type { KeyType } from '../../lib/pgp';
import { parseExpiry } from '../../lib/time';
import { nowOf, print, readPassphrase, warn } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  uid: string;
  out: string;
  algo: KeyType;
  expires: string;
  'passphrase-file': string | undefined;
  passphrase: boolean;
}

export interface InitSpec {
  role: KeyRole;
  /** The group command (`master`, `key`) and what it and its `init` are for. */
  group: string;
  describeGroup: string;
  describeInit: string;
  uidExample: string;
  algorithms: readonly KeyType[];
  algorithmNote: string;
  /** Whether `--no-passphrase` is allowed (an unattended signer). */
  passphraseOptional: boolean;
  /** A warning for an algorithm choice, or null. */
  warning: (algo: KeyType) => string | null;
  describe: (key: CreatedKey) => string[];
}

export function initCommandGroup(spec: InitSpec): CommandModule<GlobalArgs, GlobalArgs> {
  const init: CommandModule<GlobalArgs, Args> = {
    command: 'init',
    describe: spec.describeInit,
    builder: (y) => {
      const built = y
        .option('uid', { type: 'string', demandOption: true, describe: `User ID, e.g. "${spec.uidExample}"` })
        .option('out', {
          type: 'string',
          demandOption: true,
          describe: `directory for ${spec.role}-{secret,public,revocation}.asc`,
        })
        .option('algo', { choices: spec.algorithms, default: spec.algorithms[0], describe: spec.algorithmNote })
        .option('expires', {
          type: 'string',
          default: 'never',
          describe: "the key's own expiry: DURATION (5y), DATE, or never (certifications expire anyway)",
        })
        .option('passphrase-file', { type: 'string', describe: 'read the passphrase from the first line of FILE' });
      return (spec.passphraseOptional
        ? built.option('passphrase', {
            type: 'boolean',
            default: true,
            describe: 'protect the secret key with a passphrase (--no-passphrase for an unattended signer)',
          })
        : built) as unknown as Argv<Args>;
    },
    handler: async (argv) => {
      const { createKey } = require('../../lib/authority') as typeof import('../../lib/authority');
      const now = nowOf(argv);
      const warning = spec.warning(argv.algo);
      if (warning) warn(argv, warning);
      const protect = argv.passphrase !== false;
      const passphrase = protect
        ? await readPassphrase(
            argv.session.io,
            argv['passphrase-file'],
            `Passphrase for the new ${spec.role} key`,
            true,
          )
        : null;
      const key = await createKey({
        role: spec.role,
        userID: argv.uid,
        type: argv.algo,
        passphrase,
        out: argv.out,
        now,
        expires: parseExpiry(argv.expires, now),
      });
      print(argv, key, spec.describe);
    },
  };
  return {
    command: `${spec.group} <command>`,
    describe: spec.describeGroup,
    builder: (y) => y.command(init).demandCommand(1),
    handler: () => undefined,
  };
}
