/**
 * `pkgkeys setup`: pkgkeys.conf from pkgin's repositories.conf, so that the repositories pkgin uses
 * are the ones verified. Settings other than the repositories are kept from an existing pkgkeys.conf.
 */
import { PkgkeysError, ioError } from '../errors';
import { readBounded, writeAtomic } from '../fsutil';
import { type Config, formatConfig } from './config';
import { type Macros, parseRepositoriesConf, upstreamsOf } from './pkgin';

export interface SetupRequest {
  /** pkgin's repositories.conf. */
  pkginConf: string;
  macros: Macros;
  /** The repositories named for URLs that do not lie below packages/ (URL → identifier, as `--identifier` gives it). */
  named: ReadonlyMap<string, string>;
  /** pkgkeys.conf: read already as `current`, written unless `dryRun`. */
  configFile: string;
  current: Config;
  defaults: Config;
  keyringURL?: string | undefined;
  dryRun: boolean;
}

export async function setup(request: SetupRequest): Promise<{ config: Config; text: string }> {
  const text = await readBounded(request.pkginConf, 1024 * 1024).catch((error: unknown) => {
    if (error instanceof PkgkeysError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new PkgkeysError(
        'BAD_CONFIG',
        `${request.pkginConf} does not exist: install and configure pkgin first, or name its repositories.conf with --repositories FILE`,
      );
    }
    throw error;
  });
  const urls = parseRepositoriesConf(text.toString('utf8'), request.macros);
  if (urls.length === 0) throw new PkgkeysError('BAD_CONFIG', `${request.pkginConf} lists no repository`);
  const config: Config = {
    ...request.current,
    upstreams: upstreamsOf(urls, request.named),
    keyringURL: request.keyringURL ?? request.current.keyringURL,
  };
  const out = formatConfig(config, request.defaults);
  if (!request.dryRun) {
    await writeAtomic(request.configFile, out).catch((cause) => {
      throw cause instanceof PkgkeysError ? cause : ioError('cannot write', request.configFile, cause);
    });
  }
  return { config, text: out };
}
