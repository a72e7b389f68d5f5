import type { SigningKeyRecord, SigningKeyState } from '../src/ports/signing-keys.ts';
import { GENERATION_ALGS } from './generate-key-generation.ts';
import { deletableAt, promotableAt, rotationDueAt, type KeySchedule } from './key-schedule.ts';

/** Why a generation became current; carried by the `tessera.keys.rotated` event. */
export type RotationReason = 'scheduled' | 'manual' | 'forced' | 'repair';

/** Keys created together (one per algorithm) that share a state. */
export interface KeyGeneration {
  readonly id: string;
  readonly state: SigningKeyState;
  readonly keys: readonly SigningKeyRecord[];
  readonly createdAt: number;
  /** When it started signing (current, retired); createdAt when the record lacks it. */
  readonly activatedAt: number;
  readonly retiredAt: number | undefined;
  /** Holds a key for every algorithm of a generation (RS256 and ES256). */
  readonly complete: boolean;
}

/** The one next step the lifecycle takes, or how long nothing needs doing. */
export type LifecycleAction =
  /** No usable keys at all: create a `current` and a `next` generation in one write. */
  | { readonly kind: 'bootstrap' }
  /** `next` generation → current; the listed current generations → retired. One write. */
  | {
      readonly kind: 'promote';
      readonly generation: string;
      readonly retire: readonly string[];
      readonly reason: RotationReason;
    }
  /** Several generations are current (a repair): all but the newest stop signing. */
  | { readonly kind: 'retire'; readonly generations: readonly string[] }
  | { readonly kind: 'create-next' }
  /** Retired keys nothing valid was signed with any more, or a next generation left incomplete. */
  | {
      readonly kind: 'delete';
      readonly kids: readonly string[];
      readonly reason: 'expired' | 'incomplete';
    }
  /** Nothing to do before `until` (epoch ms), unless the store changes meanwhile. */
  | { readonly kind: 'wait'; readonly until: number };

/** Groups keys by generation and state (a generation's keys normally share one state). */
export function groupGenerations(records: readonly SigningKeyRecord[]): KeyGeneration[] {
  const groups = new Map<string, SigningKeyRecord[]>();
  for (const record of records) {
    const id = `${record.generation}\0${record.state}`;
    groups.set(id, [...(groups.get(id) ?? []), record]);
  }
  return [...groups.values()].map((keys) => {
    const first = keys[0] as SigningKeyRecord;
    const createdAt = Math.min(...keys.map((key) => key.createdAt));
    const retiredTimes = keys.flatMap((key) =>
      key.retiredAt === undefined ? [] : [key.retiredAt],
    );
    return {
      id: first.generation,
      state: first.state,
      keys,
      createdAt,
      activatedAt: Math.max(...keys.map((key) => key.activatedAt ?? key.createdAt)),
      // The latest retirement counts: a key retired late may have signed until then.
      retiredAt: retiredTimes.length === 0 ? undefined : Math.max(...retiredTimes),
      complete: GENERATION_ALGS.every((alg) => keys.some((key) => key.alg === alg)),
    };
  });
}

/** Whether the `current` keys among `records` can sign every token: one for each algorithm. */
export function hasCurrentKeyForEveryAlg(records: readonly SigningKeyRecord[]): boolean {
  const algs = new Set(records.filter((key) => key.state === 'current').map((key) => key.alg));
  return GENERATION_ALGS.every((alg) => algs.has(alg));
}

const byCreation = (a: KeyGeneration, b: KeyGeneration) =>
  a.createdAt - b.createdAt || a.id.localeCompare(b.id);

/** The complete `next` generation that becomes current at the next rotation: the oldest one. */
export function nextInLine(generations: readonly KeyGeneration[]): KeyGeneration | undefined {
  return generations.filter((g) => g.state === 'next' && g.complete).sort(byCreation)[0];
}

/**
 * The key lifecycle (docs/signing-keys.md#lifecycle) as a pure function of the stored keys, the
 * schedule and the time: next → current → retired → deleted. Applying the returned action and
 * asking again converges on a store holding one complete current generation, one complete next
 * generation and the retired keys still needed to verify live tokens; at that point it answers
 * `wait`.
 *
 * Invariants it keeps: a key signs only after every replica has published it for the lead time
 * (except to end a state with no signing key at all), and a retired key stays published until
 * every token it signed has expired on every verifier's clock.
 */
export function decideLifecycleAction(
  records: readonly SigningKeyRecord[],
  schedule: KeySchedule,
  now: number,
): LifecycleAction {
  const generations = groupGenerations(records);
  const current = generations
    .filter((g) => g.state === 'current')
    .sort((a, b) => b.activatedAt - a.activatedAt || byCreation(a, b));
  const next = nextInLine(generations);

  // Without a key for every algorithm some tokens cannot be signed at all: an outage is worse
  // than a key relying parties may not have fetched yet, so the publication lead is waived.
  if (!hasCurrentKeyForEveryAlg(records)) {
    if (!next) return { kind: 'bootstrap' };
    return {
      kind: 'promote',
      generation: next.id,
      retire: current.map((g) => g.id),
      reason: 'repair',
    };
  }
  const [newest, ...older] = current as [KeyGeneration, ...KeyGeneration[]];
  if (older.length > 0) return { kind: 'retire', generations: older.map((g) => g.id) };

  // A next generation that lost a key (emergency retire) never signed: drop it and start over.
  const incomplete = generations.filter((g) => g.state === 'next' && !g.complete);
  if (incomplete.length > 0) {
    return {
      kind: 'delete',
      kids: incomplete.flatMap((g) => g.keys.map((key) => key.kid)),
      reason: 'incomplete',
    };
  }
  if (!next) return { kind: 'create-next' };

  const rotateAt = Math.max(
    rotationDueAt(newest.activatedAt, schedule),
    promotableAt(next.createdAt, schedule),
  );
  if (now >= rotateAt) {
    return { kind: 'promote', generation: next.id, retire: [newest.id], reason: 'scheduled' };
  }

  const retired = generations.filter((g) => g.state === 'retired');
  const expired = retired.filter((g) => now >= deletableAt(g.retiredAt ?? g.activatedAt, schedule));
  if (expired.length > 0) {
    return {
      kind: 'delete',
      kids: expired.flatMap((g) => g.keys.map((key) => key.kid)),
      reason: 'expired',
    };
  }
  const deletions = retired.map((g) => deletableAt(g.retiredAt ?? g.activatedAt, schedule));
  return { kind: 'wait', until: Math.min(rotateAt, ...deletions) };
}

/** Why `next` may not become current yet, and until when; undefined when it may. */
export function publicationWait(
  next: KeyGeneration,
  schedule: KeySchedule,
  now: number,
): { readonly until: number } | undefined {
  const until = promotableAt(next.createdAt, schedule);
  return now >= until ? undefined : { until };
}
