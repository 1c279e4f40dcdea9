import type { CommandModule } from 'yargs';
import { PkgkeysError } from '../../lib/errors';
import { parseTime } from '../../lib/time';
import { print, readFdLine, readPassphrase } from '../common';
import type { GlobalArgs } from '../io';

interface Args extends GlobalArgs {
  action: 'run' | 'unlock' | 'lock' | 'status' | 'audit';
  'signd-config': string;
  'passphrase-fd': number | undefined;
  verify: boolean;
}

export const signdCommand: CommandModule<GlobalArgs, Args> = {
  command: 'signd [action]',
  describe: 'The signing daemon: run it, unlock or lock its key, ask its status, or verify its audit log',
  builder: (y) =>
    y
      .positional('action', {
        choices: ['run', 'unlock', 'lock', 'status', 'audit'] as const,
        default: 'run' as const,
        describe: 'what to do',
      })
      .option('signd-config', {
        type: 'string',
        default: '/etc/pkgkeys/signd.conf',
        describe: "the daemon's configuration (socket, key, audit log, repositories)",
      })
      .option('passphrase-fd', {
        type: 'number',
        describe: 'unlock: read the passphrase from this file descriptor (default: the terminal)',
      })
      .option('verify', {
        type: 'boolean',
        default: false,
        describe: 'audit: check that no record was edited, removed or added',
      }) as never,
  handler: async (argv) => {
    const { auditStateFile, readSigndConfig } =
      require('../../lib/signd/config') as typeof import('../../lib/signd/config');
    const config = await readSigndConfig(argv['signd-config']);
    const { io } = argv.session;
    switch (argv.action) {
      case 'run': {
        const fixed = argv.now ? parseTime(argv.now) : null;
        const { SigningDaemon } = require('../../lib/signd/daemon') as typeof import('../../lib/signd/daemon');
        const daemon = await SigningDaemon.start({
          config,
          now: () => fixed ?? new Date(),
          timeoutMs: 10_000,
          log: (line) => io.stderr(`${line}\n`),
        });
        io.stderr(`pkgkeys: signd: listening on ${config.socket}, locked until pkgkeys signd unlock\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        return daemon.close();
      }
      case 'unlock': {
        const fd = argv['passphrase-fd'];
        const passphrase =
          fd === undefined ? await readPassphrase(io, undefined, `Passphrase for ${config.key}`) : await readFdLine(fd);
        const { signdRequest } = require('../../lib/signd/client') as typeof import('../../lib/signd/client');
        const reply = await signdRequest(config.socket, { op: 'unlock', passphrase });
        return print(argv, reply, (r) => [`signd unlocked until ${String(r.until)}`]);
      }
      case 'lock':
      case 'status': {
        const { signdRequest } = require('../../lib/signd/client') as typeof import('../../lib/signd/client');
        const reply = await signdRequest(config.socket, { op: argv.action });
        return print(argv, reply, (r) => [r.locked ? 'signd is locked' : `signd is unlocked until ${String(r.until)}`]);
      }
      case 'audit': {
        if (!argv.verify) throw new PkgkeysError('USAGE', 'signd audit needs --verify');
        const { verifyAudit } = require('../../lib/signd/audit') as typeof import('../../lib/signd/audit');
        const head = await verifyAudit(config.auditLog, auditStateFile(config));
        return print(argv, { ok: true, records: head.count, head: head.hash }, (r) => [
          `${config.auditLog}: ${r.records} record(s), chain intact`,
        ]);
      }
    }
  },
};
