/**
 * The documentation is tested like code: the walk-throughs in docs/ run as written, the man pages are
 * clean under `mandoc -Tlint`, docs/pkgkeys.1 names every command and option the CLI has, and the pkgsrc
 * guide chapter docs/guide/signing.xml is well-formed DocBook made of the guide's elements.
 * The walk-throughs run the compiled CLI (bin/pkgkeys.js), so dist/ must be built first: `make test`
 * does that. The man page is checked against the CLI's --help, asked in this process (the same
 * command definitions, without starting Node forty times).
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { pkgkeys } from '../helpers/cli';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'pkgkeys.js');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const MANPAGE = path.join(ROOT, 'docs', 'pkgkeys.1');
/** Every man page in docs/, each checked with mandoc -Tlint. */
const MANPAGES = ['pkgkeys.1', 'pkgkeys.conf.5'];

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a program and reports how it ended; never rejects for a non-zero status. */
function runProgram(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        // Not an exit status: the program could not start, or was killed (timeout).
        if (error.code === 'ENOENT') return reject(new Error(`${file} is not installed or not on PATH`));
        return resolve({
          status: -1,
          stdout,
          stderr: `${stderr}\n[${file} did not finish: ${error.message}; signal ${error.signal ?? 'none'}]`,
        });
      }
      resolve({ status: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

function requireBuild(): void {
  if (!existsSync(MAIN)) {
    throw new Error(
      `${MAIN} is missing: these tests run the compiled CLI. Build it with \`make build\` (or \`npx tsc -p tsconfig.build.json\`); \`make test\` builds it before running jest.`,
    );
  }
}

/** The ```sh blocks of a Markdown text, in order. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh[ \t]*\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => m[1]!);
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * How long a walk-through may take: master-key.md, the longest, runs pkgkeys about 70 times and makes 8
 * RSA keys: 45 s on a 2-core machine at load 3, 4.5 min at load 10 and 8 min at load 15 under `make test`.
 */
const WALKTHROUGH_BUDGET_MS = 15 * 60_000;

/** Walk-throughs that run as written, each checked afterwards by what it must have left behind. */
const WALKTHROUGHS: Array<{ doc: string; left: (work: string) => Promise<void> }> = [
  {
    doc: 'master-key.md',
    // A reproducible export; and the client of the group of masters (section 13) exports b6 for pkg_add.
    left: async (work) => {
      expect((await fs.stat(path.join(work, 'pkgsrc-keyring.gpg'))).size).toBeGreaterThan(0);
      expect((await fs.stat(path.join(work, 'client-group/var/db/pkgkeys/verify.gpg'))).size).toBeGreaterThan(0);
    },
  },
  {
    doc: 'signed-index.md',
    left: async (work) => {
      expect(await fs.readFile(path.join(work, 'pkg_summary.verified'), 'utf8')).toMatch(
        /^FILE_CKSUM=sha256 [0-9a-f]{64}$/m,
      );
      expect(await fs.readdir(path.join(work, 'state'))).toEqual([
        `${encodeURIComponent('NetBSD/x86_64/10.0/All')}.json`,
      ]);
      // It writes --output /dev/null: as root, an atomic rename would have replaced the device.
      expect((await fs.stat('/dev/null')).isCharacterDevice()).toBe(true);
    },
  },
  {
    doc: 'build-hosts.md',
    left: async (work) => {
      // Three signatures by the daemon (two publishes, then --resign), all in the chained log, and counted in its state.
      expect((await fs.readFile(path.join(work, 'signd-audit.log'), 'utf8')).trim().split('\n')).toHaveLength(3);
      expect(JSON.parse(await fs.readFile(path.join(work, 'signd-state/audit.head'), 'utf8'))).toMatchObject({
        count: 3,
      });
      // The second build never touched the repository directory; its publish did.
      expect((await fs.lstat(path.join(work, 'pub/NetBSD/x86_64/10.0/All/pkg_summary.asc'))).isSymbolicLink()).toBe(
        true,
      );
      expect(
        (await fs.readdir(path.join(work, 'pub/NetBSD/x86_64/10.0/All'))).filter((n) => n.endsWith('.tgz')).sort(),
      ).toEqual(['bar-2.0.tgz', 'baz-1.0.tgz', 'foo-1.0.tgz']);
    },
  },
  {
    doc: 'keyring-updates.md',
    left: async (work) => {
      const live = path.join(work, 'client/var/db/pkgkeys');
      // The second release took the default serial: above the first, whatever today's date.
      const serial = /^Serial: (\d+)$/m.exec(await fs.readFile(path.join(live, 'release.asc'), 'utf8'));
      expect(Number(serial?.[1])).toBeGreaterThan(2026112301);
      expect((await fs.stat(path.join(live, 'verify.gpg'))).size).toBe(0);
      expect(await fs.readdir(path.join(work, 'packages'))).toEqual(['pkgsrc-keyring-2026112301.tgz']);
    },
  },
  {
    doc: 'releng.md',
    // The new system's root after sysinst's steps: the anchor and bootstrap keyring from the base system, a verified keyring
    // with its pkg_add export, pkg_install.conf, pkgkeys.conf from pkgin's repositories, cron, and the
    // repository's index checked once, which records nothing.
    left: async (work) => {
      const root = path.join(work, 'destdir');
      expect((await fs.stat(path.join(root, 'etc/pkgkeys/anchors/pkgsrc.asc'))).mode & 0o777).toBe(0o444);
      // The bootstrap keyring pkg_add used before pkgkeys was there: b1, exported for pkg_install.
      const bootstrap = await fs.stat(path.join(root, 'etc/pkgkeys/bootstrap-verify.gpg'));
      expect({ mode: bootstrap.mode & 0o777, empty: bootstrap.size === 0 }).toEqual({ mode: 0o444, empty: false });
      const pkgInstallConf = await fs.readFile(path.join(root, 'etc/pkg_install.conf'), 'utf8');
      expect(pkgInstallConf).toMatch(/^VERIFIED_INSTALLATION=always$/m);
      expect(pkgInstallConf).toMatch(/^GPG_KEYRING_VERIFY=\/var\/db\/pkgkeys\/verify\.gpg$/m);
      expect(pkgInstallConf).toMatch(/^GPG_KEYRING_PKGVULN=\/var\/db\/pkgkeys\/pkgvuln\.gpg$/m);
      expect(await fs.readFile(path.join(root, 'etc/pkgkeys/pkgkeys.conf'), 'utf8')).toMatch(
        /^repository NetBSD\/x86_64\/10\.0\/All file:\/\/\S+\/packages\/NetBSD\/x86_64\/10\.0\/All$/m,
      );
      const live = path.join(root, 'var/db/pkgkeys');
      expect(await fs.readFile(path.join(live, 'release.asc'), 'utf8')).toMatch(/^Keyring: pkgsrc$/m);
      // b1 is certified for packages: pkg_add's keyring has it.
      expect((await fs.stat(path.join(live, 'verify.gpg'))).size).toBeGreaterThan(0);
      // Only the keyring release's signing time: the latest time proven there.
      expect(await fs.readdir(path.join(live, 'state'))).toEqual(['@floor.json']);
      expect(await fs.readFile(path.join(root, 'var/cron/tabs/root'), 'utf8')).toMatch(
        /^17 3 \* \* \* \/usr\/pkg\/bin\/pkgkeys update --random-delay 3600 --quiet$/m,
      );
    },
  },
];

test('every doc with runnable ```sh blocks is a walk-through that runs here', async () => {
  const docs = (await fs.readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md'));
  const runnable = [];
  for (const doc of docs)
    if (shellBlocks(await fs.readFile(path.join(ROOT, 'docs', doc), 'utf8')).length > 0) runnable.push(doc);
  expect(runnable.sort()).toEqual(WALKTHROUGHS.map((w) => w.doc).sort());
});

describe.each(WALKTHROUGHS)('docs/$doc', ({ doc, left }) => {
  test(
    'every ```sh block runs as written, in order, in one empty directory',
    async () => {
      requireBuild();
      const blocks = shellBlocks(await fs.readFile(path.join(ROOT, 'docs', doc), 'utf8'));
      expect(blocks.length).toBeGreaterThan(5);
      expect(blocks[0]).toMatch(/^export PKGKEYS_PASSPHRASE=/m);

      const script = [
        'set -euo pipefail',
        `PS4="+ docs/${doc}: "`,
        'set -x',
        ...blocks.map((block, i) => `# block ${i + 1}\n${block}`),
      ].join('\n');

      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgkeys-docs-'));
      try {
        const scriptFile = path.join(dir, '.walkthrough.sh');
        await fs.writeFile(scriptFile, script);
        // pkgkeys as a program on PATH, as installed: `pkgkeys signd &` then has the daemon's own pid in $!.
        await fs.mkdir(path.join(dir, 'bin'));
        await fs.writeFile(
          path.join(dir, 'bin', 'pkgkeys'),
          `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(BIN)} "$@"\n`,
          { mode: 0o755 },
        );
        const work = path.join(dir, 'work');
        await fs.mkdir(work);
        // The walk-through must set the passphrase itself; nothing leaks in from the test's environment.
        const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}` };
        delete env.PKGKEYS_PASSPHRASE;
        const result = await runProgram('bash', [scriptFile], { cwd: work, env, timeout: WALKTHROUGH_BUDGET_MS });
        if (result.status !== 0) {
          throw new Error(
            `the walk-through in docs/${doc} failed with status ${result.status}\n--- stdout ---\n${result.stdout}\n--- stderr (with the commands, set -x) ---\n${result.stderr}`,
          );
        }
        await left(work);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
    WALKTHROUGH_BUDGET_MS + 60_000,
  );
});

describe.each(MANPAGES)('docs/%s', (name) => {
  test('mandoc -Tlint finds nothing at WARNING, ERROR or UNSUPP level', async () => {
    const page = path.join(ROOT, 'docs', name);
    const result = await runProgram('mandoc', ['-Tlint', page]);
    const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => l.trim() !== '');
    const bad = lines.filter((l) => /:\s*(WARNING|ERROR|UNSUPP|BADARG|SYSERR):/.test(l));
    if (bad.length > 0) throw new Error(`mandoc -Tlint ${page}:\n${bad.join('\n')}`);
  });
});

describe('docs/pkgkeys.1', () => {
  /** A command as --help lists it: its words, and the options its own --help shows. */
  interface CommandHelp {
    words: string[];
    options: string[];
    subcommands: string[][];
  }

  async function helpOf(words: string[]): Promise<CommandHelp> {
    const result = await pkgkeys([...words, '--help']);
    if (result.status !== 0)
      throw new Error(`pkgkeys ${[...words, '--help'].join(' ')} failed (${result.status}): ${result.stderr}`);
    const lines = result.stdout.split('\n');
    const subcommands: string[][] = [];
    const options: string[] = [];
    let section = '';
    for (const line of lines) {
      if (/^\S.*:$/.test(line)) section = line;
      else if (section === 'Commands:') {
        const m = /^\s+pkgkeys\s+(.*)$/.exec(line);
        if (m)
          subcommands.push(
            m[1]!
              .split(/\s+/)
              .filter((w) => /^[a-z][a-z0-9-]*$/.test(w))
              .slice(0, words.length + 1),
          );
      } else if (section === 'Options:' || section === 'Positionals:') {
        const m = /^\s+(?:-\w,\s+)?--([a-z][a-z0-9-]*)/.exec(line);
        if (m) options.push(m[1]!);
      }
    }
    return { words, options, subcommands: subcommands.filter((s) => s.length === words.length + 1) };
  }

  /** Every command and subcommand of the CLI, from the top-level --help down. */
  async function allCommands(): Promise<CommandHelp[]> {
    const out: CommandHelp[] = [];
    const walk = async (words: string[]) => {
      const help = await helpOf(words);
      out.push(help);
      for (const sub of help.subcommands) await walk(sub);
    };
    await walk([]);
    return out;
  }

  /** Section headers and list items of the page, as plain words: `.Ss keyring import` gives ["keyring", "import"]. */
  function entries(page: string): Array<{ words: string[]; line: number; header: boolean }> {
    return page.split('\n').flatMap((text, line) => {
      const m = /^\.(Sh|Ss|It)\s+(.*)$/.exec(text);
      if (!m) return [];
      const words = m[2]!
        .replace(/"/g, ' ')
        .split(/\s+/)
        .filter((w) => w !== '' && !/^[A-Z][a-z]{1,2}$/.test(w) && w !== 'pkgkeys');
      return [{ words, line, header: m[1] !== 'It' }];
    });
  }

  const startsWith = (words: string[], prefix: string[]) => prefix.every((w, i) => words[i] === w);

  test('names every command and subcommand of the CLI, with its options', async () => {
    const page = await fs.readFile(MANPAGE, 'utf8');
    const pageLines = page.split('\n');
    const items = entries(page);
    const commands = await allCommands();
    // The CLI has commands; a broken --help parser must not pass this test vacuously.
    expect(commands.filter((c) => c.words.length === 1).map((c) => c.words[0])).toEqual(
      expect.arrayContaining(['master', 'key', 'certify', 'revoke', 'keyring']),
    );
    expect(commands.length).toBeGreaterThanOrEqual(16);

    const missing: string[] = [];
    const parentOptions = new Map(commands.map((c) => [c.words.join(' '), c.options]));
    for (const command of commands) {
      if (command.words.length === 0) {
        for (const option of command.options)
          if (!page.includes(`Fl -${option}`)) missing.push(`global option --${option}`);
        continue;
      }
      const name = command.words.join(' ');
      const entry = items.find((e) => startsWith(e.words, command.words));
      if (!entry) {
        missing.push(`command "${name}" (no .Sh, .Ss or .It entry starting with it)`);
        continue;
      }
      if (command.subcommands.length > 0) continue;
      // A leaf command: its own options must be described in its section, the .Ss (or .Sh) whose title
      // matches most of its words: `.Ss keyring import`, or `.Ss revoke` for all three revoke commands.
      const matched = (e: { words: string[] }) => command.words.findIndex((w, i) => e.words[i] !== w);
      const depth = (e: { words: string[] }) => (matched(e) === -1 ? command.words.length : matched(e));
      const header = items.filter((e) => e.header && depth(e) > 0).sort((a, b) => depth(b) - depth(a))[0] ?? entry;
      const next = items.find((e) => e.header && e.line > header.line);
      const section = pageLines.slice(header.line, next ? next.line : undefined).join('\n');
      const inherited = new Set(parentOptions.get(command.words.slice(0, -1).join(' ')) ?? []);
      for (const option of command.options) {
        const documented = (text: string) => text.includes(`Fl -${option}`) || text.includes(`Fl -no-${option}`);
        if (inherited.has(option) ? !documented(page) : !documented(section))
          missing.push(`option --${option} of "${name}"`);
      }
    }
    if (missing.length > 0)
      throw new Error(`docs/pkgkeys.1 has fallen behind the CLI; missing:\n  ${missing.join('\n  ')}`);
  }, 60_000);
});

describe('docs/guide/signing.xml', () => {
  /** The DocBook elements the pkgsrc guide's chapters (doc/guide/files/*.xml) are written with. */
  const GUIDE_ELEMENTS = new Set([
    'chapter',
    'sect1',
    'sect2',
    'sect3',
    'title',
    'para',
    'note',
    'warning',
    'tip',
    'important',
    'programlisting',
    'screen',
    'userinput',
    'prompt',
    'literal',
    'filename',
    'command',
    'varname',
    'envar',
    'option',
    'replaceable',
    'emphasis',
    'quote',
    'pkg',
    'xref',
    'link',
    'ulink',
    'itemizedlist',
    'orderedlist',
    'listitem',
    'variablelist',
    'varlistentry',
    'term',
    'procedure',
    'step',
  ]);
  const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

  /** An element of the parsed document (fast-xml-parser, preserveOrder: one key per node, attributes in ':@'). */
  interface Element {
    name: string;
    attributes: Record<string, string>;
    children: Element[];
    text: string;
  }

  function elementsOf(nodes: unknown[]): Element[] {
    const out: Element[] = [];
    for (const node of nodes as Array<Record<string, unknown>>) {
      const name = Object.keys(node).find((k) => k !== ':@');
      if (name === undefined || name === '#text' || name.startsWith('?')) continue;
      const children = node[name] as unknown[];
      const text = children.map((c) => (c as Record<string, unknown>)['#text'] ?? '').join('');
      out.push({
        name,
        attributes: (node[':@'] ?? {}) as Record<string, string>,
        children: elementsOf(children),
        text: String(text),
      });
    }
    return out;
  }

  const walk = (elements: Element[]): Element[] => elements.flatMap((e) => [e, ...walk(e.children)]);

  test('is a DocBook chapter of the guide: well-formed, known elements, every sect1 with an id and a title, every xref resolves', async () => {
    const file = path.join(ROOT, 'docs', 'guide', 'signing.xml');
    const xml = await fs.readFile(file, 'utf8');
    const valid = XMLValidator.validate(xml);
    if (valid !== true)
      throw new Error(`${file}:${valid.err.line}:${valid.err.col}: ${valid.err.code}: ${valid.err.msg}`);
    // It is parsed standalone here, and included by an entity in the guide: no entities of the guide's own.
    const entities = [...xml.matchAll(/&([A-Za-z][\w.-]*);/g)].map((m) => m[1]!).filter((e) => !XML_ENTITIES.has(e));
    expect(entities).toEqual([]);

    const parsed = new XMLParser({
      preserveOrder: true,
      ignoreAttributes: false,
      attributeNamePrefix: '',
      processEntities: false,
      trimValues: false,
    }).parse(xml) as unknown[];
    const roots = elementsOf(parsed);
    expect(roots.map((r) => r.name)).toEqual(['chapter']);
    const chapter = roots[0]!;
    expect(chapter.attributes.id).toMatch(/^[a-z][a-z0-9.-]*$/);
    expect(chapter.children[0]?.name).toBe('title');

    const all = walk(roots);
    expect(all.map((e) => e.name).filter((name) => !GUIDE_ELEMENTS.has(name))).toEqual([]);

    const ids = all.map((e) => e.attributes.id).filter((id): id is string => id !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    const sections = all.filter((e) => e.name === 'sect1');
    expect(sections.length).toBeGreaterThanOrEqual(3);
    for (const section of sections) {
      expect(section.attributes.id).toMatch(/^[a-z][a-z0-9.-]*$/);
      const title = section.children[0];
      expect(title?.name).toBe('title');
      expect(title?.text.trim()).not.toBe('');
    }
    const xrefs = all.filter((e) => e.name === 'xref');
    expect(xrefs.length).toBeGreaterThan(0);
    const dangling = xrefs
      .map((x) => x.attributes.linkend)
      .filter((target) => target === undefined || !ids.includes(target));
    expect(dangling).toEqual([]);
  });
});
