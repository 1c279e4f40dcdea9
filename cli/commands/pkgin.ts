import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../io';
import { type Args, proxyArgs, startProxy } from './proxy';

export const pkginCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pkgin',
  describe:
    'Run pkgin with every configured repository served through the verifying proxy; exits with pkgin\'s status. Everything after "pkgin" is pkgin\'s: pkgkeys [--listen ADDR] pkgin -y upgrade',
  // A fixed address by default: pkgin keys its database by repository URL, and an unchanged URL is what lets If-Modified-Since spare a download.
  builder: (y) =>
    proxyArgs(
      y,
      'where the proxy listens while pkgin runs (HOST:PORT on loopback; keep it stable, pkgin knows repositories by URL)',
    ),
  handler: async (argv) => {
    const { cleanPkginCache, pkginCacheDir, pkginDbDir, runPkgin } =
      require('../../lib/client/pkgin') as typeof import('../../lib/client/pkgin');
    const { io } = argv.session;
    let dbDir = '';
    const { proxy, client, urls } = await startProxy(argv, (client) => {
      dbDir = pkginDbDir(io.env, client.config.pkginDbDir);
      // pkgin takes from its cache, unasked, what has the index's size: each index is checked against it first.
      return {
        beforeServing: async (packages) => {
          for (const { file, reason } of await cleanPkginCache(pkginCacheDir(dbDir), packages)) {
            io.stderr(
              `pkgkeys: removed ${file} from pkgin's cache, which pkgin would have installed without a download: ${reason}\n`,
            );
          }
        },
      };
    });
    try {
      // pkgin is told the directory that was checked, whatever default it was built with.
      argv.session.exit = await runPkgin(client.config.pkgin, argv.session.wrapped, urls, {
        ...io.env,
        PKGIN_DBDIR: dbDir,
      });
    } finally {
      await proxy.close();
    }
  },
};
