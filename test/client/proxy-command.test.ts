/** `pkgkeys proxy` as its own process: it says where pkgin should point, serves, and stops cleanly on SIGTERM. */
import { spawn } from 'node:child_process';
import { BIN } from '../helpers/mirror';
import { REPO, VERIFY_AT, iso } from '../helpers/repo';
import { packagesOf, pkginPackage, withPublished } from '../helpers/upstream';

const packages = packagesOf({ 'foo-1.0': 1234 });

const published = withPublished(packages);

test('prints PKG_REPOS for pkgin, serves verified packages, exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--now', iso(VERIFY_AT)], {
    env: { ...process.env, ...published.client.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stdout = '';
  const repos = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const m = /^PKG_REPOS='(.*)'$/m.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`proxy exited early: ${stdout}`)));
  });
  try {
    expect(repos).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${REPO}$`));
    const res = await pkginPackage(repos, 'foo-1.0');
    expect({ status: res.status, same: res.body.equals(packages[0]!.content) }).toEqual({ status: 200, same: true });
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
}, 30_000);
