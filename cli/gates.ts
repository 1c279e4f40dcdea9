/** Options of the publish gates (lib/publish/gates.ts) that publish and sign-summary share. */
import { promises as fs } from 'node:fs';
import type { Argv } from 'yargs';
import { PkgkeysError } from '../lib/errors';
import type { ClientKeyring, ClientKeyringSource } from '../lib/publish/gates';
import { anchorsOf, clientOf, repeatable, thresholdOption } from './common';
import type { GlobalArgs } from './io';

export interface ClientKeyringArgs extends GlobalArgs {
  'keyring-url': string | undefined;
  'client-keyring': string | undefined;
  anchor: string[] | undefined;
  threshold: number | undefined;
}

export const clientKeyringOptions = <T extends GlobalArgs>(y: Argv<T>) =>
  y
    .option('keyring-url', {
      type: 'string',
      describe:
        'the keyring release clients have: the directory serving release.asc and keyring.gpg (default: keyring-url of pkgkeys.conf, when it exists)',
    })
    .option('client-keyring', {
      type: 'string',
      describe: 'the keyring clients have, as a file (instead of --keyring-url)',
    })
    .option(
      'anchor',
      repeatable(
        'trust anchor clients judge the keyring with; repeatable (default: every file in the anchors directory of pkgkeys.conf)',
      ),
    )
    .option('threshold', thresholdOption);

/** 60 s for the release and the keyring, as a publish run from cron can wait. */
const FETCH_TIMEOUT_MS = 60_000;

/**
 * The keyring clients have now: --client-keyring, --keyring-url, or the keyring-url of this host's
 * pkgkeys.conf. With none of them the gate cannot run, and a publication it did not check is not
 * made: a usage error, never a silent skip.
 */
export async function clientKeyringOf(argv: ClientKeyringArgs, now: Date): Promise<ClientKeyring> {
  const client = await clientOf(argv);
  const file = argv['client-keyring'];
  const url = argv['keyring-url'];
  if (file !== undefined && url !== undefined)
    throw new PkgkeysError('USAGE', 'give --keyring-url or --client-keyring, not both');
  let source: ClientKeyringSource;
  if (file !== undefined) source = { file };
  else if (url !== undefined) source = { url };
  else if (
    await fs.stat(client.file).then(
      () => true,
      () => false,
    )
  )
    source = { url: client.config.keyringURL };
  else {
    throw new PkgkeysError(
      'USAGE',
      `the signing key must be checked against the keyring clients have, and none is given: pass --keyring-url URL (the published keyring release), --client-keyring FILE, or set keyring-url in ${client.file}`,
    );
  }
  const { loadClientKeyring } = require('../lib/publish/gates') as typeof import('../lib/publish/gates');
  return loadClientKeyring({
    source,
    name: client.config.keyringName,
    anchors: await anchorsOf(argv, client),
    now,
    policy: client.policy,
    timeoutMs: FETCH_TIMEOUT_MS,
  });
}

export interface ShrinkArgs extends GlobalArgs {
  'max-shrink': number;
  'allow-shrink': boolean;
}

export function shrinkOptions<T extends GlobalArgs>(y: Argv<T>) {
  const { DEFAULT_MAX_SHRINK_PERCENT } = require('../lib/publish/gates') as typeof import('../lib/publish/gates');
  return y
    .option('max-shrink', {
      type: 'number',
      default: DEFAULT_MAX_SHRINK_PERCENT,
      describe: "the largest share, in percent, of the previous publication's packages a new index may drop",
    })
    .option('allow-shrink', {
      type: 'boolean',
      default: false,
      describe: 'publish this one index even if it drops more (said on standard error and recorded)',
    });
}

export function shrinkPolicyOf(argv: ShrinkArgs): { maxPercent: number; allow: boolean } {
  const maxPercent = argv['max-shrink'];
  // Below 100: an index that drops every package always needs the operator's word (--allow-shrink).
  if (!Number.isFinite(maxPercent) || maxPercent < 0 || maxPercent >= 100)
    throw new PkgkeysError('USAGE', `--max-shrink is a percentage from 0 to below 100, not ${String(maxPercent)}`);
  return { maxPercent, allow: argv['allow-shrink'] };
}
