/**
 * k of n anchors: a key is trusted for a repository when at least k distinct anchors each vouch for
 * it, each through a path the engine (chain.ts) judges as it always does (revocation, expiry, scopes
 * intersected along the path, depth-1 delegation). A path counts for the anchor it starts from, and an
 * anchor counts once however many of its paths hold. No path runs through another anchor: each master's
 * certification is its own vote, never a second one through a master who delegated to it.
 *
 * The engine is asked once per anchor, on a view of the graph where that anchor is the only one (and
 * the other anchors' certificates are left out). With k = 1 the answer is the engine's own on the whole
 * graph, exactly as without a threshold; the per-anchor verdicts come with it, for `explain`.
 *
 * Every caller outside lib/trust asks here, never `authorize` directly (test/trust/threshold.test.ts
 * checks that): a caller that skipped this layer would trust a key one master alone certified.
 */
import type { Code } from '../errors';
import { PkgkeysError } from '../errors';
import type { Fingerprint } from '../model';
import { type Question, TrustGraph, type Verdict, authorize, authorizeAll, describe } from './chain';
import type { Policy } from './policy';
import { intersectScopes } from './scope';

/** One anchor's own answer. */
export interface AnchorOutcome {
  anchor: Fingerprint;
  verdict: Verdict;
}

/**
 * The engine's verdict, counted over the anchors. When trusted with k > 1, `steps` are the vouching
 * anchors' paths one after the other and `granted` what at least k of them grant.
 */
export type ThresholdVerdict = Verdict & {
  /** k. */
  threshold: number;
  /** Every anchor's verdict, by fingerprint; empty when there is nothing to count (an unknown key, an anchor). */
  anchors: AnchorOutcome[];
  /** The anchors that vouch. */
  vouching: Fingerprint[];
};

/** The question for one key, counted over the anchors. */
export function authorizeThreshold(graph: TrustGraph, question: Question): ThresholdVerdict {
  const views = viewsOf(graph, question.policy);
  const full = authorize(graph, question);
  return combine(graph, question, full, () =>
    views.map(([anchor, view]) => ({ anchor, verdict: view === graph ? full : authorize(view, question) })),
  );
}

/** The question for every key and subkey that is not an anchor, counted over the anchors. */
export function authorizeAllThreshold(
  graph: TrustGraph,
  question: Omit<Question, 'key'>,
): Map<Fingerprint, ThresholdVerdict> {
  const views = viewsOf(graph, question.policy);
  const full = authorizeAll(graph, question);
  const perAnchor = views.map(([anchor, view]) => ({
    anchor,
    view,
    verdicts: view === graph ? full : authorizeAll(view, question),
  }));
  const out = new Map<Fingerprint, ThresholdVerdict>();
  for (const [key, verdict] of full) {
    const outcomes = () =>
      perAnchor.map(({ anchor, view, verdicts }) => ({
        anchor,
        verdict: verdicts.get(key) ?? authorize(view, { ...question, key }),
      }));
    out.set(key, combine(graph, { ...question, key }, verdict, outcomes));
  }
  return out;
}

/** Keys that some anchors vouch for now, but fewer than the threshold: a certification ceremony under way, or stalled. */
export function belowThreshold(graph: TrustGraph, now: Date, policy: Policy): ThresholdVerdict[] {
  const verdicts = authorizeAllThreshold(graph, { repository: null, signedAt: now, now, policy });
  return [...verdicts.values()].filter((v) => !v.trusted && v.code === 'BELOW_THRESHOLD');
}

/** Codes that no anchor can change: the key is unknown, or is an anchor itself. */
const UNCOUNTED: ReadonlySet<Code> = new Set(['UNKNOWN_KEY', 'ANCHOR_NOT_SIGNER']);

function combine(
  graph: TrustGraph,
  question: Question,
  full: Verdict,
  outcomes: () => AnchorOutcome[],
): ThresholdVerdict {
  const k = question.policy.anchorThreshold;
  if (!full.trusted && UNCOUNTED.has(full.code)) return { ...full, threshold: k, anchors: [], vouching: [] };
  const anchors = outcomes();
  const vouched = anchors.filter(
    (a): a is { anchor: Fingerprint; verdict: Verdict & { trusted: true } } => a.verdict.trusted,
  );
  const counted = { threshold: k, anchors, vouching: vouched.map((a) => a.anchor) };
  // One anchor suffices: the engine's answer on the whole graph, as without a threshold.
  if (k === 1) return { ...full, ...counted };
  // No anchor vouches: the reason is the engine's, from the path that got furthest.
  if (!full.trusted)
    return { ...full, reason: `${full.reason} (no anchor vouches; ${k} of ${anchors.length} needed)`, ...counted };

  const who = `${describeKey(graph, question.key)}${question.repository !== null ? ` for ${question.repository}` : ''}`;
  const refuse = (text: string): ThresholdVerdict => ({
    trusted: false,
    key: question.key,
    code: 'BELOW_THRESHOLD',
    reason: text,
    steps: [...anchors.flatMap((a) => a.verdict.steps), { ok: false, code: 'BELOW_THRESHOLD', text }],
    ...counted,
  });
  if (vouched.length < k) {
    const others = anchors.flatMap((a) => (a.verdict.trusted ? [] : [`${a.anchor}: ${a.verdict.code}`]));
    return refuse(
      `${vouched.length} of ${anchors.length} anchors vouch for ${who} (${counted.vouching.join(', ')}), ${k} needed; not vouching: ${others.join(', ')}`,
    );
  }
  // Each anchor grants what its path grants; the key holds what at least k of them grant.
  const granted = grantedByAtLeast(
    k,
    vouched.map((a) => a.verdict.granted),
  );
  if (granted.length === 0) {
    return refuse(
      `${vouched.length} of ${anchors.length} anchors vouch for ${who}, but no repository is granted by ${k} of them: ${vouched.map((a) => `${a.anchor} grants ${a.verdict.granted.join(', ')}`).join('; ')}`,
    );
  }
  return {
    trusted: true,
    key: question.key,
    primary: vouched[0]!.verdict.primary,
    steps: vouched.flatMap((a) => a.verdict.steps),
    granted,
    ...counted,
  };
}

/**
 * What at least k of the grants grant: the union, over every k of them, of their intersection. Built
 * one grant at a time (`level[j]`: what at least j of those seen so far grant), so n anchors cost n·k
 * intersections rather than n choose k. `**` matches every identifier.
 */
function grantedByAtLeast(k: number, grants: ReadonlyArray<readonly string[]>): string[] {
  const level: string[][] = [['**'], ...Array.from({ length: k }, () => [])];
  for (const grant of grants) {
    for (let j = k; j >= 1; j--)
      level[j] = [...new Set([...level[j]!, ...intersectScopes(level[j - 1]!, grant)])].sort();
  }
  return level[k]!;
}

/** Per graph, each anchor with the graph as that anchor alone sees it; the graph itself when it has one anchor. */
const viewCache = new WeakMap<TrustGraph, Array<[Fingerprint, TrustGraph]>>();

function viewsOf(graph: TrustGraph, policy: Policy): Array<[Fingerprint, TrustGraph]> {
  const k = policy.anchorThreshold;
  if (!Number.isInteger(k) || k < 1 || k > graph.anchors.size) {
    throw new PkgkeysError(
      'BAD_CONFIG',
      `the anchor threshold is ${k}, but ${graph.anchors.size} anchor(s) are given (${[...graph.anchors].join(', ') || 'none'}): it must be a whole number from 1 to the number of anchors (anchor-threshold in pkgkeys.conf, or --threshold)`,
    );
  }
  let found = viewCache.get(graph);
  if (!found) {
    const anchors = [...graph.anchors].sort();
    const certificates = [...graph.certificates()];
    found =
      anchors.length === 1
        ? [[anchors[0]!, graph]]
        : anchors.map((anchor) => [
            anchor,
            new TrustGraph(
              certificates.filter((c) => c.fingerprint === anchor || !graph.anchors.has(c.fingerprint)),
              [anchor],
            ),
          ]);
    viewCache.set(graph, found);
  }
  return found;
}

const describeKey = (graph: TrustGraph, key: Fingerprint): string => {
  const found = graph.resolve(key);
  return found ? describe(found.certificate) : key;
};
