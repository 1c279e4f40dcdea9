import type { CommandModule } from 'yargs';
import { PkgkeysError, exitStatusOfAll } from '../../lib/errors';
import { checkRepository } from '../../lib/trust/scope';
import { anchorsOf, clientOf, print, readClock, repeatable, thresholdOption } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  packages: string[];
  anchor: string[] | undefined;
  threshold: number | undefined;
  keyring: string | undefined;
  repository: string | undefined;
}

export const verifyPackageCommand: CommandModule<GlobalArgs, Args> = {
  command: 'verify-package <packages..>',
  describe:
    "Verify signed binary packages: the signer's chain (valid now), the signature over +PKG_HASH, every block, the pkgname",
  builder: (y) =>
    y
      .positional('packages', { type: 'string', array: true, demandOption: true, describe: 'signed packages' })
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
      .option('repository', {
        type: 'string',
        describe: 'the repository the signer must be certified for (default: any scope that grants packages)',
      }) as never,
  handler: async (argv) => {
    const { loadTrustGraph } = require('../../lib/keyring/store') as typeof import('../../lib/keyring/store');
    const { verifySignedPackage } =
      require('../../lib/verify/signed-package') as typeof import('../../lib/verify/signed-package');
    const client = await clientOf(argv);
    const repository = argv.repository === undefined ? undefined : checkRepository(argv.repository);
    const graph = await loadTrustGraph(await anchorsOf(argv, client), argv.keyring ?? client.locations.keyring);
    const { now } = await readClock(argv, client.locations.stateDir, client.policy);
    const results = [];
    for (const file of argv.packages) {
      try {
        results.push({
          file,
          ok: true as const,
          ...(await verifySignedPackage(file, { graph, now, policy: client.policy, repository })),
        });
      } catch (error) {
        if (!(error instanceof PkgkeysError)) throw error;
        results.push({ file, ok: false as const, code: error.code, message: error.message });
      }
    }
    print(argv, { ok: results.every((r) => r.ok), packages: results }, (r) =>
      r.packages.map((p) =>
        p.ok ? `${p.file}: good package ${p.pkgname}, signed by ${p.signer}` : `${p.file}: ${p.code}: ${p.message}`,
      ),
    );
    argv.session.exit = exitStatusOfAll(results.flatMap((r) => (r.ok ? [] : [r.code])));
  },
};
