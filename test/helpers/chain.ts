/**
 * Asking the trust engine, and `pkgkeys keyring explain`, the same question: both must give the same
 * answer, and explain must name the failing step.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Code } from '../../lib/errors';
import { type Verdict, authorize } from '../../lib/trust/chain';
import { DEFAULT_POLICY, type Policy } from '../../lib/trust/policy';
import { checkRepository } from '../../lib/trust/scope';
import { formatTime } from '../../lib/time';
import { cleanup, pkgkeys, tempDir } from './cli';
import { type TestKey, type World, day } from './world';

export const REPO = checkRepository('NetBSD/x86_64/10.0/All');
/** Well after the usual certification date (day 1), well before its default expiry (day 730). */
export const NOW = day(100);

export interface Ask {
  repository?: string | null;
  signedAt?: Date;
  now?: Date;
  policy?: Policy;
}

export async function judge(world: World, anchors: TestKey[], key: string, ask: Ask = {}): Promise<Verdict> {
  const now = ask.now ?? NOW;
  const repository = ask.repository === null ? null : checkRepository(ask.repository ?? REPO);
  return authorize(await world.graph(...anchors), {
    key,
    repository,
    signedAt: ask.signedAt ?? now,
    now,
    policy: ask.policy ?? DEFAULT_POLICY,
  });
}

/** Runs `pkgkeys keyring explain` on the world written to files (one keyring file, one file per anchor). */
export async function explain(
  world: World,
  anchors: TestKey[],
  key: string,
  ask: { repository?: string | null; at?: Date; threshold?: number } = {},
) {
  const dir = await tempDir();
  try {
    const keyring = path.join(dir, 'keyring.asc');
    await fs.writeFile(keyring, world.material.join('\n'));
    const anchorArgs: string[] = [];
    for (const [i, anchor] of anchors.entries()) {
      const file = path.join(dir, `anchor${i}.asc`);
      await fs.writeFile(file, anchor.public);
      anchorArgs.push('--anchor', file);
    }
    const repository = ask.repository === null ? [] : ['--repository', ask.repository ?? REPO];
    const threshold = ask.threshold === undefined ? [] : ['--threshold', String(ask.threshold)];
    return await pkgkeys([
      'keyring',
      'explain',
      key,
      '--keyring',
      keyring,
      ...anchorArgs,
      ...repository,
      ...threshold,
      '--at',
      formatTime(ask.at ?? NOW),
    ]);
  } finally {
    await cleanup(dir);
  }
}

/** The engine refuses with `code`, and explain exits 1 naming `code` at the failing step. */
export async function expectRefused(
  world: World,
  anchors: TestKey[],
  key: string,
  code: Code,
  ask: Ask = {},
): Promise<Verdict> {
  const verdict = await judge(world, anchors, key, ask);
  expect(verdict.trusted ? 'trusted' : verdict.code).toBe(code);
  if (!ask.signedAt || ask.signedAt.getTime() === (ask.now ?? NOW).getTime()) {
    const result = await explain(world, anchors, key, { repository: ask.repository, at: ask.now ?? NOW });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`FAIL ${code}`);
    expect(result.stdout).toContain(`not trusted: ${code}`);
  }
  return verdict;
}

export async function expectTrusted(world: World, anchors: TestKey[], key: string, ask: Ask = {}): Promise<Verdict> {
  const verdict = await judge(world, anchors, key, ask);
  expect(verdict.trusted ? 'trusted' : `${verdict.code}: ${verdict.reason}`).toBe('trusted');
  if (!ask.signedAt || ask.signedAt.getTime() === (ask.now ?? NOW).getTime()) {
    const result = await explain(world, anchors, key, { repository: ask.repository, at: ask.now ?? NOW });
    expect(result.stdout).toMatch(/\ntrusted\n$/);
    expect(result.status).toBe(0);
  }
  return verdict;
}
