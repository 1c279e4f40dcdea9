import type { CommandModule } from 'yargs';
import { writeAtomic } from '../../lib/fsutil';
import { formatTime } from '../../lib/time';
import { checkRepository } from '../../lib/trust/scope';
import { type TrustArgs, print, sourcesAndPolicy, trustOptions } from '../common';
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
      .positional('index', { type: 'string', demandOption: true, describe: 'the clearsigned index (pkg_summary.asc), plain or compressed' })
      .option('output', { type: 'string', describe: 'write the verified pkg_summary here, atomically (default: standard output)' }) as never,
  handler: async (argv) => {
    const { verifyIndexFile } = require('../../lib/verify') as typeof import('../../lib/verify');
    const index = await verifyIndexFile({ file: argv.index, repository: checkRepository(argv.repository), ...(await sourcesAndPolicy(argv)) });
    if (argv.output) await writeAtomic(argv.output, index.text);
    else if (!argv.json) argv.session.io.stdout(index.text);
    const { text: _text, chain, ...report } = index;
    if (argv.json) return print(argv, { ok: true, ...report, steps: chain.steps.map((s) => s.text) }, () => []);
    if (argv.output) {
      argv.session.io.stderr(`pkgkeys: ${argv.index}: good index for ${index.repository}, ${index.entries} entries, signed ${formatTime(index.signed)} by ${index.signer}, expires ${formatTime(index.expires)}\n`);
    }
  },
};
