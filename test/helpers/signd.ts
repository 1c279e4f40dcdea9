/**
 * A signing daemon for a test file: a repository (test/helpers/repo.ts) whose index is staged for
 * signing, a passphrase-protected key certified for REPO, and the daemon on a real Unix socket in the
 * repository's directory, started before the file's tests and stopped after.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { writeAtomic } from '../../lib/fsutil';
import { stagingFile } from '../../lib/publish/repository';
import { verifyAudit } from '../../lib/signd/audit';
import { type SigndConfig, auditStateFile } from '../../lib/signd/config';
import { SigningDaemon } from '../../lib/signd/daemon';
import { caught } from './caught';
import { fixtureKey } from './keys';
import { REPO, Repo, SIGNED_AT, entry } from './repo';
import type { TestKey } from './world';

export const PASSPHRASE = 'signd test passphrase';
/** The index staged for signing. */
export const STAGED = Buffer.from(entry('foo-1.0') + entry('bar-2.0'));
export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
/** The code a call fails with. */
export const codeOf = async (promise: Promise<unknown>) => (await caught(() => promise)).code;

export interface DaemonFixture {
  repo: Repo;
  config: SigndConfig;
  daemon: SigningDaemon;
  log: string[];
  /** Records in the audit log, after checking its chain. */
  records(): Promise<number>;
}

/** The daemon for this file's tests; `configure` changes its configuration (the repository's files are there to use). */
export function withDaemon(configure: (repo: Repo) => Partial<SigndConfig> = () => ({})): DaemonFixture {
  const fixture = { log: [] as string[] } as unknown as DaemonFixture;
  beforeAll(async () => {
    const repo = await Repo.create();
    const made = await fixtureKey({
      role: 'signd',
      userID: 'signd <signd@pkgsrc.test>',
      type: 'ed25519',
      passphrase: PASSPHRASE,
      created: new Date('2020-01-01T00:00:00Z'),
      expires: null,
    });
    repo.world.material.push(made.public);
    await repo.world.certify(repo.master, { public: made.public } as TestKey, { scopes: [REPO] });
    await repo.writeKeyring();
    await fs.writeFile(repo.path('signd-secret.asc'), made.secret, { mode: 0o600 });
    await fs.mkdir(repo.path('proof'));
    const config: SigndConfig = {
      socket: repo.path('signd.sock'),
      socketMode: 0o600,
      socketGroup: null,
      key: repo.path('signd-secret.asc'),
      unlockMinutes: 60,
      auditLog: repo.path('audit.log'),
      stateDir: repo.path('signd-state'),
      proofDir: repo.path('proof'),
      repositories: [{ repository: REPO, dir: repo.path('All'), expires: '7d' }],
      clientKeyring: { file: repo.path('keyring.asc') },
      anchors: [repo.path('master.asc')],
      keyringName: 'pkgsrc',
      anchorThreshold: 1,
      maxShrinkPercent: 10,
      ...configure(repo),
    };
    await writeAtomic(stagingFile(repo.path('All')), STAGED);
    Object.assign(fixture, {
      repo,
      config,
      daemon: await SigningDaemon.start({
        config,
        now: () => SIGNED_AT,
        timeoutMs: 500,
        log: (l) => void fixture.log.push(l),
      }),
      records: async () => (await verifyAudit(config.auditLog, auditStateFile(config))).count,
    });
  }, 60_000);
  afterAll(async () => {
    await fixture.daemon?.close();
    await fixture.repo?.cleanup();
  });
  return fixture;
}
