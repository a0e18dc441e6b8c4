/**
 * `maxSurge` / `maxUnavailable` as numbers of pods. Ref: k8s.io/apimachinery
 * pkg/util/intstr/intstr.go#GetScaledValueFromIntOrPercent.
 */
import type { IntOrString } from '../../model/defaults.js';

/** Undefined when the value is neither an integer nor `N%`. */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return undefined;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/**
 * A Deployment's surge and unavailability: surge rounds up, unavailability down, and when both come
 * out 0 unavailability becomes 1 so the rollout can move. Ref: pkg/controller/deployment/util/
 * deployment_util.go#ResolveFenceposts.
 */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, replicas: number): { surge: number; unavailable: number } | undefined {
  const surge = scaledValue(maxSurge, replicas, true);
  const unavailable = scaledValue(maxUnavailable, replicas, false);
  if (surge === undefined || unavailable === undefined) return undefined;
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}
