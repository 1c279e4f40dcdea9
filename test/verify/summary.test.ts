import { execFile, execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { DEFAULT_POLICY } from '../../lib/trust/policy';
import { verifyIndexData } from '../../lib/verify';
import { verifyIndex } from '../../lib/verify/summary';
import { BIN, pkgkeys } from '../helpers/cli';
import { REPO, Repo, SIGNED_AT, VERIFY_AT, codeOf, entry } from '../helpers/repo';

let repo: Repo;
let summary: string;
beforeAll(async () => {
  repo = await Repo.create();
  summary = await repo.publish([
    { pkgname: 'foo-1.0', content: Buffer.from('foo') },
    { pkgname: 'bar-2.0', content: Buffer.from('bar') },
  ]);
});
afterAll(() => repo.cleanup());

describe('sign-summary then verify-summary', () => {
  it('gives back exactly the pkg_summary that was signed, on stdout or in --output', async () => {
    const { file } = await repo.sign();
    const result = await repo.verify(file);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toBe(summary);
    const out = await repo.verify(file, { args: ['--output', repo.path('verified')] });
    expect(out.status).toBe(0);
    expect(await fs.readFile(repo.path('verified'), 'utf8')).toBe(summary);
  });

  it('signs with a repository notation and a seven-day expiry by default, as --json reports', async () => {
    const { file } = await repo.sign();
    const result = await repo.verify(file, { args: ['--json'] });
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      ok: true,
      repository: REPO,
      entries: 2,
      signer: repo.host.fingerprint,
      primary: repo.host.fingerprint,
    });
    expect(new Date(report.expires).getTime() - new Date(report.signed).getTime()).toBe(7 * 86400_000);
    expect(report.signed).toBe(SIGNED_AT.toISOString().replace('.000', ''));
    expect(report.steps.length).toBe(3);
  });

  it('reads a signed index compressed with gzip, bzip2, xz or zstd', async () => {
    const { file } = await repo.sign();
    for (const [tool, ext] of [
      ['gzip', 'gz'],
      ['bzip2', 'bz2'],
      ['xz', 'xz'],
      ['zstd', 'zst'],
    ] as const) {
      const compressed = execFileSync(tool, ['-c', file]);
      await fs.writeFile(`${file}.${ext}`, compressed);
      const result = await repo.verify(`${file}.${ext}`);
      expect({ tool, status: result.status, same: result.stdout === summary }).toEqual({ tool, status: 0, same: true });
    }
  });

  it('signs a compressed pkg_summary as its text', async () => {
    await fs.writeFile(repo.path('pkg_summary.xz'), execFileSync('xz', ['-c', repo.path('pkg_summary')]));
    const { file } = await repo.sign({ summary: 'pkg_summary.xz', out: 'from-xz.asc' });
    expect((await repo.verify(file)).stdout).toBe(summary);
  });

  it('records the newest accepted signature per repository in the state directory', async () => {
    const { file } = await repo.sign({ at: new Date(SIGNED_AT.getTime() + 60_000), out: 'later.asc' });
    expect((await repo.verify(file)).status).toBe(0);
    const state = JSON.parse(await fs.readFile(repo.path('state', `${encodeURIComponent(REPO)}.json`), 'utf8'));
    expect(state).toEqual({
      repository: REPO,
      signed: new Date(SIGNED_AT.getTime() + 60_000).toISOString().replace('.000', ''),
      signer: repo.host.fingerprint,
    });
  });

  it('reports as JSON with --json, the signed index going to --output only', async () => {
    const json = await pkgkeys([
      '--json',
      'sign-summary',
      '--now',
      SIGNED_AT.toISOString(),
      '--key',
      repo.path('host-secret.asc'),
      '--repository',
      REPO,
      ...repo.clientKeyringArgs(),
      '--output',
      repo.path('json.asc'),
      repo.path('pkg_summary'),
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      signer: repo.host.fingerprint,
      repository: REPO,
      entries: 2,
      output: repo.path('json.asc'),
    });
    await expect(fs.readFile(repo.path('json.asc'), 'utf8')).resolves.toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----\n/);
    const lost = await pkgkeys([
      '--json',
      'sign-summary',
      '--key',
      repo.path('host-secret.asc'),
      '--repository',
      REPO,
      repo.path('pkg_summary'),
    ]);
    expect({ status: lost.status, code: JSON.parse(lost.stdout).code }).toEqual({ status: 2, code: 'USAGE' });
  });

  it('refuses to sign something that is not a pkg_summary, or with an expiry of never', async () => {
    await fs.writeFile(repo.path('garbage'), 'this is not a pkg_summary\n');
    const garbage = await pkgkeys([
      'sign-summary',
      '--now',
      SIGNED_AT.toISOString(),
      '--key',
      repo.path('host-secret.asc'),
      '--repository',
      REPO,
      ...repo.clientKeyringArgs(),
      repo.path('garbage'),
    ]);
    expect({ status: garbage.status, code: codeOf(garbage) }).toEqual({ status: 1, code: 'SUMMARY_MALFORMED' });
    const never = await pkgkeys([
      'sign-summary',
      '--key',
      repo.path('host-secret.asc'),
      '--repository',
      REPO,
      '--expires',
      'never',
      repo.path('pkg_summary'),
    ]);
    expect({ status: never.status, code: codeOf(never) }).toEqual({ status: 2, code: 'USAGE' });
  });

  it('reads anchors, keyring and state from the configured locations when no option names them', async () => {
    const root = repo.path('root');
    await fs.mkdir(`${root}/etc/pkgkeys/anchors`, { recursive: true });
    await fs.mkdir(`${root}/var/db/pkgkeys`, { recursive: true });
    await fs.copyFile(repo.path('master.asc'), `${root}/etc/pkgkeys/anchors/pkgsrc.asc`);
    await fs.copyFile(repo.path('keyring.asc'), `${root}/var/db/pkgkeys/keyring.gpg`);
    const { file } = await repo.sign({ out: 'configured.asc' });
    const result = await pkgkeys(['verify-summary', '--now', VERIFY_AT.toISOString(), '--repository', REPO, file], {
      PKGKEYS_ROOT: root,
    });
    expect(result).toMatchObject({ status: 0, stdout: summary });
    await expect(fs.readdir(`${root}/var/db/pkgkeys/state`)).resolves.toEqual([`${encodeURIComponent(REPO)}.json`]);
    const empty = await pkgkeys(['verify-summary', '--repository', REPO, file], { PKGKEYS_ROOT: repo.path('nowhere') });
    expect({ status: empty.status, code: codeOf(empty) }).toEqual({ status: 2, code: 'USAGE' });
  });

  it('writes nothing of an index it refuses, on stdout or in --output, and leaves nothing in the state directory', async () => {
    const { file } = await repo.sign({ out: 'to-modify.asc' });
    const modified = await repo.write(
      'modified.asc',
      Buffer.from((await fs.readFile(file, 'latin1')).replace('foo-1.0', 'foo-6.6'), 'latin1'),
    );
    const stateDir = repo.path('state-refused');
    const refused = await repo.verify(modified, { stateDir });
    expect({ status: refused.status, code: codeOf(refused), stdout: refused.stdout }).toEqual({
      status: 1,
      code: 'BAD_SIGNATURE',
      stdout: '',
    });
    expect((await repo.verify(modified, { stateDir, args: ['--output', repo.path('refused.out')] })).status).toBe(1);
    await expect(fs.access(repo.path('refused.out'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await fs.readdir(stateDir)).toEqual([]);
  });

  it('writes a text of several megabytes whole through a pipe, from the built CLI', async () => {
    const many = Array.from({ length: 12_000 }, (_, i) => entry(`many${i}-1.0`)).join('');
    expect(many.length).toBeGreaterThan(3 << 20);
    const file = await repo.write('many.asc', await repo.signIndex(many));
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [BIN, 'verify-summary', ...repo.trustArgs({ stateDir: repo.path('state-many') }), file],
        { encoding: 'latin1', maxBuffer: 64 << 20 },
        (error, out) => (error ? reject(error) : resolve(out)),
      );
    });
    expect(stdout === many).toBe(true);
  });

  it('keeps every field, in order, including unknown variables and non-UTF-8 bytes', async () => {
    const odd = Buffer.concat([
      Buffer.from(entry('odd-1.0', ['X_UNKNOWN=kept verbatim', 'DESCRIPTION=caf'])),
      Buffer.from('PKGNAME=latin-1.0\nCOMMENT=na\xefve\n\n', 'latin1'),
    ]);
    await fs.writeFile(repo.path('odd'), odd);
    // Signed after every other test's index, so the state directory does not see a rollback.
    const { file } = await repo.sign({ summary: 'odd', out: 'odd.asc', at: new Date(SIGNED_AT.getTime() + 120_000) });
    expect((await repo.verify(file, { args: ['--output', repo.path('odd.out')] })).status).toBe(0);
    expect((await fs.readFile(repo.path('odd.out'))).equals(odd)).toBe(true);
  });
});

describe('the verified text, where it lies', () => {
  const verifyData = async (raw: Buffer) =>
    verifyIndexData(raw, 'pkg_summary.asc', {
      graph: await repo.world.graph(repo.master),
      repository: REPO,
      now: VERIFY_AT,
      policy: DEFAULT_POLICY,
      newest: null,
    });

  it('is a view of the signed file when there is nothing to decode: a large index is not copied', async () => {
    const raw = await repo.signIndex(summary);
    const index = await verifyData(raw);
    expect(index.text.toString('latin1')).toBe(summary);
    expect({ same: index.text.buffer === raw.buffer, at: index.text.byteOffset - raw.byteOffset }).toEqual({
      same: true,
      at: raw.indexOf(summary),
    });
  });

  it('is a decoded copy when the file has CR LF, trailing whitespace or dash-escapes, which the signature does not cover; the file is left as it was', async () => {
    const clean = (await repo.signIndex(summary)).toString('latin1');
    const [head, signature] = [
      clean.slice(0, clean.indexOf(summary)),
      clean.slice(clean.indexOf(summary) + summary.length),
    ];
    const body = summary
      .replace('PKGNAME=bar-2.0\n', '- PKGNAME=bar-2.0\n')
      .replace('OPSYS=NetBSD\n', 'OPSYS=NetBSD \t\n')
      .replace(/\n/g, '\r\n');
    const raw = Buffer.from(head + body + signature, 'latin1');
    const before = Buffer.from(raw);
    const index = await verifyData(raw);
    expect(index.text.toString('latin1')).toBe(summary);
    expect(raw.equals(before)).toBe(true);
  });
});

describe('the verifier alone', () => {
  it('is pure: judged against the newest signature it is given, with no directory to read or write', async () => {
    const signed = await repo.signIndex(summary);
    const options = {
      graph: await repo.world.graph(repo.master),
      repository: REPO,
      now: VERIFY_AT,
      policy: DEFAULT_POLICY,
    };
    await expect(verifyIndex(signed, 'index', { ...options, newest: null })).resolves.toMatchObject({
      entries: 2,
      signed: SIGNED_AT,
    });
    const same = { repository: REPO, signed: SIGNED_AT, signer: repo.host.fingerprint };
    await expect(verifyIndex(signed, 'index', { ...options, newest: same })).resolves.toMatchObject({ entries: 2 });
    const newer = { ...same, signed: new Date(SIGNED_AT.getTime() + 1000) };
    await expect(verifyIndex(signed, 'index', { ...options, newest: newer })).rejects.toMatchObject({
      code: 'ROLLBACK',
    });
  });
});
