import type { CommandModule } from 'yargs';
import { nowOf, print, readPassphrase } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  package: string;
  output: string;
  key: string;
  'passphrase-file': string | undefined;
}

export const signPackageCommand: CommandModule<GlobalArgs, Args> = {
  command: 'sign-package <package> <output>',
  describe:
    "Sign a binary package in pkg_install's format (ar: +PKG_HASH, +PKG_GPG_SIGNATURE, the package), which pkg_add verifies",
  builder: (y) =>
    y
      .positional('package', { type: 'string', demandOption: true, describe: 'the binary package (.tgz) to sign' })
      .positional('output', {
        type: 'string',
        demandOption: true,
        describe: 'where the signed package is written, atomically',
      })
      .option('key', {
        type: 'string',
        demandOption: true,
        describe: "the build host's secret signing key (RSA: pkg_add verifies nothing else)",
      })
      .option('passphrase-file', {
        type: 'string',
        describe: "read the key's passphrase from the first line of FILE",
      }) as never,
  handler: async (argv) => {
    const { openSecretKey } = require('../../lib/authority') as typeof import('../../lib/authority');
    const { signPackage } =
      require('../../lib/publish/sign-package') as typeof import('../../lib/publish/sign-package');
    const key = await openSecretKey(argv.key, () =>
      readPassphrase(argv.session.io, argv['passphrase-file'], `Passphrase for ${argv.key}`),
    );
    const signed = await signPackage(argv.package, argv.output, { key, created: nowOf(argv) });
    print(argv, { ...signed, output: argv.output }, (r) => [
      `signed ${r.pkgname} (${r.size} bytes) with ${r.signer}: ${r.output}`,
    ]);
  },
};
