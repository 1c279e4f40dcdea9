import type { CommandModule } from 'yargs';
import { runPkgin } from '../../lib/client/pkgin';
import { VerifyingProxy } from '../../lib/client/proxy';
import { clientOf } from '../common';
import type { GlobalArgs } from '../io';
import { cacheOption, proxyOptions, timeoutOption } from './proxy';

interface Args extends GlobalArgs {
  cache: string | undefined;
  timeout: number;
}

export const pkginCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pkgin',
  describe: 'Run pkgin with every configured repository served through the verifying proxy; exits with pkgin\'s status. Everything after "pkgin" is pkgin\'s: pkgkeys [--cache DIR] pkgin -y upgrade',
  builder: (y) => y.option('cache', cacheOption).option('timeout', timeoutOption),
  handler: async (argv) => {
    const client = await clientOf(argv);
    const options = await proxyOptions(argv, client);
    // An ephemeral port on loopback: nobody else is served, and runs side by side do not collide.
    const proxy = await VerifyingProxy.start(options, { host: '127.0.0.1', port: 0 });
    try {
      argv.session.exit = await runPkgin(client.config.pkgin, argv.session.wrapped, options.repositories.map((r) => proxy.repositoryURL(r)), argv.session.io.env);
    } finally {
      await proxy.close();
    }
  },
};
