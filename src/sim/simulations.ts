/**
 * The simulations of one model, computed on first use and shared by every rule and command that
 * asks, so a check places the manifests once however many rules read the placement.
 */
import type { Model } from '../model/model.js';
import type { PodView } from '../model/pod-view.js';
import { kubeletDnsOf, podDnsOf } from './dns/pod-dns.js';
import type { PodDns } from './dns/resolv-conf.js';
import { placeAll, type Placement } from './schedule/place.js';

export interface Simulations {
  /** Every workload placed on the cluster (duplicates of an object are left out). */
  placement(): Placement;
  /** The resolv.conf the kubelet writes for this workload's pods; undefined for an unknown dnsPolicy. */
  dns(view: PodView): PodDns | undefined;
}

export function simulations(model: Model): Simulations {
  let placement: Placement | undefined;
  const kubelet = kubeletDnsOf(model.cluster);
  const dns = new Map<PodView, PodDns | undefined>();
  return {
    placement: () => (placement ??= placeAll(model.podViews.filter((v) => !model.duplicates.has(v.object)), model.cluster)),
    dns: (view) => {
      if (!dns.has(view)) dns.set(view, podDnsOf(view, kubelet));
      return dns.get(view);
    },
  };
}
