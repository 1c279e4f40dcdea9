import type { CommandModule } from 'yargs';
import { PkgkeysError, exitStatusOfAll } from '../../lib/errors';
import { checkRepository } from '../../lib/trust/scope';
import { type TrustArgs, print, sourcesAndPolicy, trustOptions } from '../common';
import type { GlobalArgs } from '../io';
import { progressBar } from '../progress';

interface Args extends TrustArgs {
  index: string;
  dir: string;
  pkgnames: string[];
  jobs: number;
}

export const verifyPackagesCommand: CommandModule<GlobalArgs, Args> = {
  command: 'verify-packages <index> <dir> [pkgnames..]',
  describe:
    'Verify a signed pkg_summary, then every package file (or those named) against its FILE_SIZE and FILE_CKSUM',
  builder: (y) => {
    const { defaultJobs } = require('../../lib/packages/hash') as typeof import('../../lib/packages/hash');
    return trustOptions(y)
      .positional('index', { type: 'string', demandOption: true, describe: 'the clearsigned index (pkg_summary.asc)' })
      .positional('dir', { type: 'string', demandOption: true, describe: 'directory holding the package files' })
      .positional('pkgnames', {
        type: 'string',
        array: true,
        default: [],
        describe: 'PKGNAMEs to check (default: every entry)',
      })
      .option('jobs', {
        type: 'number',
        default: defaultJobs(),
        describe: 'files hashed in parallel (default: one per core)',
      }) as never;
  },
  handler: async (argv) => {
    const { verifyPackagesFile } = require('../../lib/verify') as typeof import('../../lib/verify');
    if (!Number.isInteger(argv.jobs) || argv.jobs < 1)
      throw new PkgkeysError('USAGE', `--jobs must be a positive integer, found ${argv.jobs}`);
    const bar = progressBar(argv.session.io, 'hashing');
    const { index, packages } = await verifyPackagesFile({
      file: argv.index,
      repository: checkRepository(argv.repository),
      ...(await sourcesAndPolicy(argv)),
      dir: argv.dir,
      names: argv.pkgnames,
      jobs: argv.jobs,
      onStart: bar.start,
      onProgress: bar.add,
    });
    bar.done();
    const failed = packages.filter((p) => !p.ok);
    print(
      argv,
      {
        ok: failed.length === 0,
        repository: index.repository,
        signer: index.signer,
        signed: index.signed,
        checked: packages.length,
        failed,
      },
      (r) =>
        r.failed.length === 0
          ? [`${r.checked} package(s) match the index for ${r.repository}`]
          : [
              ...r.failed.map((f) => `${f.pkgname}: ${f.code}: ${f.reason}`),
              `${r.failed.length} of ${r.checked} package(s) failed verification`,
            ],
    );
    argv.session.exit = exitStatusOfAll(failed.map((p) => p.code!));
  },
};
