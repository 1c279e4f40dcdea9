import type { CommandModule } from 'yargs';
import { PkgkeysError } from '../../lib/errors';
import { tmpdir } from 'node:os';
import { Spool, readBounded } from '../../lib/fsutil';
import { MAX_INDEX_BYTES } from '../../lib/limits';
import { formatTime, parseExpiry } from '../../lib/time';
import { checkRepository } from '../../lib/trust/scope';
import { nowOf, print, readPassphrase, warn, writeSpool } from '../common';
import { type ClientKeyringArgs, clientKeyringOf, clientKeyringOptions } from '../gates';
import type { GlobalArgs } from '../io';

interface Args extends ClientKeyringArgs {
  summary: string;
  key: string;
  repository: string;
  expires: string;
  hash: 'sha256' | 'sha512';
  packages: string | undefined;
  jobs: number;
  output: string | undefined;
  'passphrase-file': string | undefined;
}

export const signSummaryCommand: CommandModule<GlobalArgs, Args> = {
  command: 'sign-summary <summary>',
  describe: 'Clearsign a pkg_summary for one repository, with an expiry (and, with --packages, checksums first)',
  builder: (y) => {
    const { defaultJobs } = require('../../lib/packages/hash') as typeof import('../../lib/packages/hash');
    return clientKeyringOptions(y)
      .positional('summary', {
        type: 'string',
        demandOption: true,
        describe: 'pkg_summary, plain or .gz/.bz2/.xz/.zst',
      })
      .option('key', { type: 'string', demandOption: true, describe: "the build host's secret signing key" })
      .option('repository', {
        type: 'string',
        demandOption: true,
        describe: 'repository identifier, e.g. NetBSD/x86_64/10.0/All',
      })
      .option('expires', {
        type: 'string',
        default: '7d',
        describe: 'when the signature expires: DURATION (7d, 36h) or DATE; never is refused',
      })
      .option('hash', {
        choices: ['sha256', 'sha512'] as const,
        default: 'sha256' as const,
        describe: 'digest algorithm (SHA-256 is hardware-accelerated on most CPUs)',
      })
      .option('packages', {
        type: 'string',
        describe: 'add (or check) FILE_SIZE and FILE_CKSUM from the package files in DIR first',
      })
      .option('jobs', { type: 'number', default: defaultJobs(), describe: 'files hashed in parallel with --packages' })
      .option('output', {
        type: 'string',
        describe: 'write the signed index here, atomically (default: standard output)',
      })
      .option('passphrase-file', { type: 'string', describe: "read the key's passphrase from the first line of FILE" });
  },
  handler: async (argv) => {
    const { openSecretKey } = require('../../lib/authority') as typeof import('../../lib/authority');
    const { checkSignerForClients } = require('../../lib/publish/gates') as typeof import('../../lib/publish/gates');
    const { signIndexTo, summaryFileText } =
      require('../../lib/publish/summary') as typeof import('../../lib/publish/summary');
    if (argv.json && !argv.output)
      throw new PkgkeysError(
        'USAGE',
        'with --json, standard output carries the report: give --output FILE for the signed index',
      );
    const repository = checkRepository(argv.repository);
    const now = nowOf(argv);
    const expires = parseExpiry(argv.expires, now);
    if (expires === null)
      throw new PkgkeysError(
        'USAGE',
        'an index signature must expire (freshness is mandatory): give --expires DURATION',
      );
    const clientKeyring = await clientKeyringOf(argv, now);
    const key = await openSecretKey(argv.key, () =>
      readPassphrase(argv.session.io, argv['passphrase-file'], `Passphrase for ${argv.key}`),
    );
    const options = { key, repository, created: now, expires, hash: argv.hash };
    // Signed into a spool as the text is read, and written out only if clients with the keyring they
    // have now will accept the signer (lib/publish/gates.ts): null if the text cannot be signed as it is.
    const signInto = (text: Iterable<Buffer> | AsyncIterable<Buffer>) =>
      Spool.with(tmpdir(), async (spool) => {
        const signed = await signIndexTo(text, argv.summary, options, spool.write);
        if (signed === null) return null;
        checkSignerForClients(clientKeyring, signed.signer, repository, now);
        await writeSpool(spool, argv);
        return signed;
      });
    // The file as it is, read as it goes; in memory, a text that needs checksums added or must lose
    // what a cleartext signature cannot keep (normaliseSummary).
    const result =
      (argv.packages ? null : await signInto(summaryFileText(argv.summary))) ??
      (await signInto([await textToSign(argv)]));
    if (result === null) throw new Error('normaliseSummary returned a text that cannot be signed as it is');
    const report = {
      signer: result.signer,
      repository: argv.repository,
      entries: result.entries,
      signed: now,
      expires,
      output: argv.output ?? null,
      clientKeyring: clientKeyring.description,
    };
    if (argv.json) return print(argv, report, () => []);
    argv.session.io.stderr(
      `pkgkeys: signed ${result.entries} entries for ${argv.repository} with ${result.signer}, valid until ${formatTime(expires)}\n`,
    );
  },
};

/** The summary in memory, as it can be signed (a warning says what was changed), with checksums if --packages asks. */
async function textToSign(argv: Args): Promise<Buffer> {
  const { addChecksums, normaliseSummary } =
    require('../../lib/publish/summary') as typeof import('../../lib/publish/summary');
  const { decompress } = require('../../lib/summary/compress') as typeof import('../../lib/summary/compress');
  const normal = normaliseSummary(
    await decompress(await readBounded(argv.summary, MAX_INDEX_BYTES), argv.summary, MAX_INDEX_BYTES),
  );
  if (normal.lines > 0) warn(argv, normal.warning(argv.summary));
  return argv.packages ? addChecksums(normal.text, argv.summary, argv.packages, argv.jobs) : normal.text;
}
