/**
 * Every stable code in lib/errors.ts is asserted by some test: a code that no test names is a failure
 * nobody has seen happen, or one that cannot happen. A code added later comes with the test that
 * produces it. "Named" is taken literally: the code's name in a test file's code, comments left out.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { type Code, exitStatusOf } from '../lib/errors';

const ROOT = path.resolve(__dirname, '..');

/** The codes, as lib/errors.ts lists them in CODES. */
function codes(): Code[] {
  const source = readFileSync(path.join(ROOT, 'lib', 'errors.ts'), 'utf8');
  const block = /^const CODES = \{([\s\S]*?)^\} as const/m.exec(source)?.[1] ?? '';
  return [...block.matchAll(/^\s+([A-Z][A-Z0-9_]*): EXIT\.\w+,/gm)].map((m) => m[1] as Code);
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(path.join(dir, e.name)) : e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** A test file without its comments (a `//` after a colon, as in a URL, is kept). */
const code = (file: string) =>
  readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');

test('lib/errors.ts lists its codes as this test reads them', () => {
  const all = codes();
  expect(all.length).toBeGreaterThan(50);
  for (const c of all) expect([0, 1, 2, 3]).toContain(exitStatusOf(c));
});

test('every code in lib/errors.ts is asserted by some test', () => {
  const suite = testFiles(path.join(ROOT, 'test'))
    .filter((f) => f !== __filename)
    .map(code)
    .join('\n');
  const unasserted = codes().filter((c) => !new RegExp(`\\b${c}\\b`).test(suite));
  expect(unasserted).toEqual([]);
});
