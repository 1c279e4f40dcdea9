import type { CommandModule } from 'yargs';
import { Spool } from '../../lib/fsutil';
import { formatTime } from '../../lib/time';
import { checkRepository } from '../../lib/trust/scope';
import type { IndexRequest, StreamedIndex } from '../../lib/verify';
import { type TrustArgs, print, sourcesAndPolicy, trustOptions, writeSpool } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends TrustArgs {
  index: string;
  output: string | undefined;
}

export const verifySummaryCommand: CommandModule<GlobalArgs, Args> = {
  command: 'verify-summary <index>',
  describe: 'Verify a signed pkg_summary (chain, signature, repository, freshness) and print the signed text',
  builder: (y) =>
    trustOptions(y)
      .positional('index', {
        type: 'string',
        demandOption: true,
        describe: 'the clearsigned index (pkg_summary.asc), plain or compressed',
      })
      .option('output', {
        type: 'string',
        describe: 'write the verified pkg_summary here, atomically (default: standard output)',
      }) as never,
  handler: async (argv) => {
    const { verifyIndexFileInto } = require('../../lib/verify') as typeof import('../../lib/verify');
    const request: IndexRequest = {
      file: argv.index,
      repository: checkRepository(argv.repository),
      ...(await sourcesAndPolicy(argv)),
    };
    const index =
      argv.json && !argv.output
        ? await verifyIndexFileInto(request)
        : await verifyThenWrite(request, (spool) => writeSpool(spool, argv));
    const { verifiedWith: _verifiedWith, chain, ...report } = index;
    if (argv.json) return print(argv, { ok: true, ...report, steps: chain.steps.map((s) => s.text) }, () => []);
    if (argv.output) {
      argv.session.io.stderr(
        `pkgkeys: ${argv.index}: good index for ${index.repository}, ${index.entries} entries, signed ${formatTime(index.signed)} by ${index.signer}, expires ${formatTime(index.expires)}\n`,
      );
    }
  },
};

/**
 * Verifies the index with its text held, as it is decoded, in a spool in the state directory rather
 * than in memory (a full index is hundreds of megabytes), and writes the text only once it verified.
 */
function verifyThenWrite(request: IndexRequest, write: (spool: Spool) => Promise<void>): Promise<StreamedIndex> {
  const { verifyIndexFileInto } = require('../../lib/verify') as typeof import('../../lib/verify');
  return Spool.with(request.sources.stateDir, async (spool) => {
    const index = await verifyIndexFileInto(request, spool.write);
    await write(spool);
    return index;
  });
}
