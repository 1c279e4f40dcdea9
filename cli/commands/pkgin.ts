import type { CommandModule } from 'yargs';
import { runPkgin } from '../../lib/client/pkgin';
import type { GlobalArgs } from '../io';
import { type Args, proxyArgs, startProxy } from './proxy';

export const pkginCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pkgin',
  describe: 'Run pkgin with every configured repository served through the verifying proxy; exits with pkgin\'s status. Everything after "pkgin" is pkgin\'s: pkgkeys [--listen ADDR] pkgin -y upgrade',
  // A fixed address by default: pkgin keys its database by repository URL, and an unchanged URL is what lets If-Modified-Since spare a download.
  builder: (y) => proxyArgs(y, 'where the proxy listens while pkgin runs (HOST:PORT on loopback; keep it stable, pkgin knows repositories by URL)'),
  handler: async (argv) => {
    const { proxy, client, urls } = await startProxy(argv);
    try {
      argv.session.exit = await runPkgin(client.config.pkgin, argv.session.wrapped, urls, argv.session.io.env);
    } finally {
      await proxy.close();
    }
  },
};
