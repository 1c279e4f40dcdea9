import type { CommandModule } from 'yargs';
import { runPkgin } from '../../lib/client/pkgin';
import { VerifyingProxy } from '../../lib/client/proxy';
import { clientOf } from '../common';
import type { GlobalArgs } from '../io';
import { DEFAULT_LISTEN, cacheOption, parseListen, proxyOptions, timeoutOption } from './proxy';

interface Args extends GlobalArgs {
  listen: string;
  cache: string | undefined;
  timeout: number;
}

export const pkginCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pkgin',
  describe: 'Run pkgin with every configured repository served through the verifying proxy; exits with pkgin\'s status. Everything after "pkgin" is pkgin\'s: pkgkeys [--listen ADDR] pkgin -y upgrade',
  builder: (y) =>
    y
      // A fixed address by default: pkgin keys its database by repository URL, and an unchanged URL is what lets If-Modified-Since spare a download.
      .option('listen', { type: 'string', default: DEFAULT_LISTEN, describe: 'where the proxy listens while pkgin runs (HOST:PORT on loopback; keep it stable, pkgin knows repositories by URL)' })
      .option('cache', cacheOption)
      .option('timeout', timeoutOption),
  handler: async (argv) => {
    const client = await clientOf(argv);
    const options = await proxyOptions(argv, client);
    const proxy = await VerifyingProxy.start(options, parseListen(argv.listen));
    try {
      argv.session.exit = await runPkgin(client.config.pkgin, argv.session.wrapped, options.repositories.map((r) => proxy.repositoryURL(r)), argv.session.io.env);
    } finally {
      await proxy.close();
    }
  },
};
