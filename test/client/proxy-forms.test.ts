/**
 * The compressed form of pkg_summary a request asks for is made while the index it comes from is
 * verified, not after: it is there when the index is accepted, and it is the verified text. An index
 * refused leaves no form behind; a form that cannot be made then is made on request, as before.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { decompress } from '../../lib/summary/compress';
import {
  PKGIN_EXTENSIONS,
  loggedCodes,
  packagesOf,
  refusalOf,
  request,
  summaryOf,
  withPublished,
} from '../helpers/upstream';
import { entry } from '../helpers/repo';
import { World } from '../helpers/world';

/** While set, the compressors' tools are missing (spawn finds no such file), or read 100 kB, stop reading, close their input and fail. */
let mockTools: 'missing' | 'failing' | null = null;
jest.mock('node:child_process', () => {
  const actual = jest.requireActual<typeof import('node:child_process')>('node:child_process');
  return {
    ...actual,
    spawn: (command: string, args: string[], options: object) =>
      mockTools === 'missing'
        ? actual.spawn(`/nonexistent/${command}`, args, options)
        : mockTools === 'failing'
          ? actual.spawn('sh', ['-c', 'head -c 100000 >/dev/null; sleep 0.3; exec 0<&-; sleep 0.3; exit 3'], options)
          : actual.spawn(command, args, options),
  };
});

const packages = packagesOf({ 'foo-1.0': 3000, 'bar-2.0': 9000 });
const text = summaryOf(packages);

const published = withPublished(packages);

/** Every file under `dir`, by path relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

const indexDir = () => published.client.path('var/db/pkgkeys/cache/index');

it.each(PKGIN_EXTENSIONS)(
  'pkg_summary.%s: made while the index is verified, there when it is accepted, and it is the verified text',
  async (ext) => {
    let atAcceptance: string[] = [];
    // onVerified runs once the index is accepted, before anything of it is served.
    const { proxy, log, repoURL } = await published.client.proxy({
      onVerified: () => void (atAcceptance = filesUnder(indexDir())),
    });
    try {
      const res = await request(`${repoURL}/pkg_summary.${ext}`);
      expect(res.status).toBe(200);
      expect((await decompress(res.body, ext, 1 << 30)).toString('latin1')).toBe(text);
      const forms = atAcceptance.filter((file) => path.basename(file).startsWith('pkg_summary.'));
      expect(forms.map((file) => path.basename(file))).toEqual([`pkg_summary.${ext}`]);
      expect(log).toEqual([]);
    } finally {
      await proxy.close();
    }
  },
);

it('an index refused leaves no form, nor anything else of its text, behind', async () => {
  published.upstream.serveIndex(await published.upstream.repo.signIndex(text, { key: await new World().key('host') }));
  const { proxy, log, repoURL } = await published.client.proxy();
  try {
    expect(refusalOf(await request(`${repoURL}/pkg_summary.gz`))).toEqual({ status: 403, code: 'UNKNOWN_KEY' });
    expect(loggedCodes(log)).toEqual(['pkg_summary.gz: UNKNOWN_KEY']);
    expect(filesUnder(indexDir())).toEqual([]);
  } finally {
    await proxy.close();
    await published.upstream.publish(packages);
  }
});

/**
 * Asks for pkg_summary.xz with the compressors' tools `tools` while the index is verified, and real
 * again once it is accepted: no form is there at acceptance, and the one made on request is `expected`.
 */
async function expectFormMadeOnRequest(tools: 'missing' | 'failing', expected: string): Promise<void> {
  let atAcceptance: string[] = [];
  const { proxy, log, repoURL } = await published.client.proxy({
    onVerified: () => {
      atAcceptance = filesUnder(indexDir());
      mockTools = null;
    },
  });
  try {
    mockTools = tools;
    const res = await request(`${repoURL}/pkg_summary.xz`);
    expect(atAcceptance.filter((file) => path.basename(file).startsWith('pkg_summary.'))).toEqual([]);
    expect(res.status).toBe(200);
    expect((await decompress(res.body, 'xz', 1 << 30)).toString('latin1')).toBe(expected);
    expect(log).toEqual([]);
  } finally {
    mockTools = null;
    await proxy.close();
  }
}

it('a form whose tool is missing while the index is verified is made on request, from the verified text', () =>
  expectFormMadeOnRequest('missing', text));

it('a form whose tool fails while a text larger than its backlog is verified: the index is accepted, the form made on request', async () => {
  // 12 MiB of text, more than FormWriter holds for a compressor that takes nothing more (lib/client/verified-index.ts).
  let big = text;
  for (let i = 0; big.length < 12 << 20; i++) big += entry(`filler${i}-1.0`, [`DESCRIPTION=${'z'.repeat(200)}`]);
  published.upstream.serveIndex(await published.upstream.repo.signIndex(big));
  try {
    await expectFormMadeOnRequest('failing', big);
  } finally {
    await published.upstream.publish(packages);
  }
});
