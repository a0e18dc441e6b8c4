/**
 * The simulations of one model, computed on first use and shared by every rule and command that
 * asks, so a check places the manifests once however many rules read the placement.
 */
import type { Model } from '../model/model.js';
import { placeAll, type Placement } from './schedule/place.js';

export interface Simulations {
  /** Every workload placed on the cluster (duplicates of an object are left out). */
  placement(): Placement;
}

export function simulations(model: Model): Simulations {
  let placement: Placement | undefined;
  return {
    placement: () => (placement ??= placeAll(model.podViews.filter((v) => !model.duplicates.has(v.object)), model.cluster)),
  };
}
