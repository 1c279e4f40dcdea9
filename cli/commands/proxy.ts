import type { Argv, CommandModule } from 'yargs';
import { selectUpstreams } from '../../lib/client/config';
import type { Listen, ProxyOptions, VerifyingProxy } from '../../lib/client/proxy';
import { PkgkeysError } from '../../lib/errors';
import { anchorFiles } from '../../lib/paths';
import { parseTime } from '../../lib/time';
import { type Client, clientOf, print } from '../common';
import type { GlobalArgs } from '../io';

export interface Args extends GlobalArgs {
  listen: string;
  cache: string | undefined;
  timeout: number;
}

export const DEFAULT_LISTEN = '127.0.0.1:8771';

/** `HOST:PORT`, `[IPv6]:PORT` or `PORT` (on 127.0.0.1). */
export function parseListen(text: string): Listen {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new PkgkeysError('USAGE', `--listen takes HOST:PORT or PORT, not "${text}"`);
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port };
}

/** The proxy's options from the client's configuration and files. */
export async function proxyOptions(
  argv: GlobalArgs & { cache?: string | undefined; timeout: number },
  client: Client,
): Promise<ProxyOptions> {
  const fixed = argv.now ? parseTime(argv.now) : null;
  return {
    upstreams: selectUpstreams(client.config, [], client.file),
    anchors: await anchorFiles(client.config.anchorDir),
    keyring: client.locations.keyring,
    liveDir: client.locations.liveDir,
    stateDir: client.locations.stateDir,
    cacheDir: argv.cache ?? client.locations.cacheDir,
    policy: client.policy,
    now: () => fixed ?? new Date(),
    timeoutMs: argv.timeout * 1000,
    log: (line) => argv.session.io.stderr(`${line}\n`),
  };
}

/** The options of both commands that run a proxy: where it listens, its cache, its patience. */
export const proxyArgs = <T extends GlobalArgs>(y: Argv<T>, listen: string) =>
  y
    .option('listen', { type: 'string', default: DEFAULT_LISTEN, describe: listen })
    .option('cache', {
      type: 'string',
      describe: 'where verified packages are kept (default: cache/ in the keyring directory, /var/db/pkgkeys/cache)',
    })
    .option('timeout', {
      type: 'number',
      default: 300,
      describe: 'seconds allowed for an index download, and of silence in a package download',
    });

/** A proxy for the client's configured repositories, listening; `more` adds options that depend on the client's configuration. */
export async function startProxy(
  argv: Args,
  more: (client: Client) => Partial<ProxyOptions> = () => ({}),
): Promise<{ proxy: VerifyingProxy; client: Client; urls: string[] }> {
  const { VerifyingProxy } = require('../../lib/client/proxy') as typeof import('../../lib/client/proxy');
  const client = await clientOf(argv);
  const options = { ...(await proxyOptions(argv, client)), ...more(client) };
  const proxy = await VerifyingProxy.start(options, parseListen(argv.listen));
  return { proxy, client, urls: options.upstreams.map((u) => proxy.pkginURL(u)) };
}

export const proxyCommand: CommandModule<GlobalArgs, Args> = {
  command: 'proxy',
  describe: 'Serve the configured repositories to pkgin, verified: only signed indexes, only packages that match them',
  builder: (y) => proxyArgs(y, 'address and port to listen on (HOST:PORT; loopback unless you say otherwise)'),
  handler: async (argv) => {
    const { proxy, urls } = await startProxy(argv);
    print(argv, { url: proxy.url, repositories: urls }, () => [
      `pkgkeys proxy on ${proxy.url}; point pkgin at it with:`,
      `PKG_REPOS='${urls.join(' ')}'`,
    ]);
    // Serves until told to stop.
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await proxy.close();
  },
};
