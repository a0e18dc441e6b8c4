/**
 * The simulations of one model, computed on first use and shared by every rule and command that
 * asks, so a check places the manifests once however many rules read the placement.
 */
import type { Model } from '../model/model.js';
import type { PodView } from '../model/pod-view.js';
import { addressBook, nodeDataplane, type DataplaneInputs, type NodeDataplane } from './dataplane/node-dataplane.js';
import { kubeletDnsOf, podDnsOf } from './dns/pod-dns.js';
import type { PodDns } from './dns/resolv-conf.js';
import { placeAll, type Placement } from './schedule/place.js';
import { serviceEndpoints } from './services/endpoints.js';
import { runningPods } from './services/running-pods.js';
import { serviceViewsOf } from './services/service-view.js';
import type { RunningPod, ServiceEndpoints, ServiceView } from './services/types.js';

export interface Simulations {
  /** Every workload placed on the cluster (duplicates of an object are left out). */
  placement(): Placement;
  /** The resolv.conf the kubelet writes for this workload's pods; undefined for an unknown dnsPolicy. */
  dns(view: PodView): PodDns | undefined;
  /** Every Service after defaulting, with stand-in clusterIPs and nodePorts (duplicates left out). */
  services(): readonly ServiceView[];
  /** Each Service's endpoints for the pods the placement runs, in the order of services(). */
  endpoints(): readonly ServiceEndpoints[];
  /** The pods the placement runs, with their addresses (node IPs for hostNetwork, stand-ins otherwise). */
  running(): readonly RunningPod[];
  /** One node's iptables rules (kube-proxy, then portmap) and what the tracer needs; undefined for an unknown node. */
  dataplane(node: string): NodeDataplane | undefined;
}

export function simulations(model: Model): Simulations {
  let placement: Placement | undefined;
  let services: readonly ServiceView[] | undefined;
  let endpoints: readonly ServiceEndpoints[] | undefined;
  let running: readonly RunningPod[] | undefined;
  let locate: ReturnType<typeof addressBook> | undefined;
  const dataplanes = new Map<string, NodeDataplane>();
  const kubelet = kubeletDnsOf(model.cluster);
  const dns = new Map<PodView, PodDns | undefined>();
  const place = (): Placement => (placement ??= placeAll(model.podViews.filter((v) => !model.duplicates.has(v.object)), model.cluster));
  const serviceViews = (): readonly ServiceView[] => (services ??= serviceViewsOf(model.objects, model.cluster, model.duplicates));
  const pods = (): readonly RunningPod[] => (running ??= runningPods(place(), model.cluster));
  const serviceEps = (): readonly ServiceEndpoints[] => (endpoints ??= serviceEndpoints(serviceViews(), pods()));
  return {
    placement: place,
    services: serviceViews,
    endpoints: serviceEps,
    running: pods,
    dataplane: (name) => {
      const known = dataplanes.get(name);
      if (known) return known;
      const node = model.cluster.nodes.find((n) => n.name === name);
      if (!node) return undefined;
      const inputs: DataplaneInputs = { cluster: model.cluster, running: pods(), endpoints: serviceEps() };
      const d = nodeDataplane(node, inputs, (locate ??= addressBook(inputs)));
      dataplanes.set(name, d);
      return d;
    },
    dns: (view) => {
      if (!dns.has(view)) dns.set(view, podDnsOf(view, kubelet));
      return dns.get(view);
    },
  };
}
