/**
 * Services and their endpoints as the dataplane reads them: a Service after defaulting, with
 * stand-ins for what the cluster allocates (clusterIP, nodePorts), and the endpoints the
 * EndpointSlice controller would publish for the pods the placement runs (EPS-*, KP-14).
 */
import type { PodView } from '../../model/pod-view.js';
import type { KubeObject } from '../../model/types.js';

export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

// Fields marked optional below were added after the first version of this file; serviceViewsOf and
// runningPods always set them, hand-built values in tests may leave them out.

export interface ServicePortView {
  /** Index in `spec.ports`, for pointing findings at the field. */
  readonly index: number;
  /** `''` when the port is unnamed. */
  readonly name: string;
  readonly protocol: ServiceProtocol;
  readonly port: number;
  /** As written, or the Service port when absent (DEF: targetPort defaults to port). */
  readonly targetPort: number | string;
  /** NodePort and LoadBalancer: the written nodePort, or a stand-in from the cluster's range. */
  readonly nodePort?: number;
  readonly nodePortStandIn: boolean;
  /** `nodePort` exactly as written (undefined when absent), kept for rules: it may be out of range or not a number. */
  readonly nodePortWritten?: unknown;
  /** True when the manifest writes `targetPort` (a non-zero, non-empty value); false when it defaults to `port`. */
  readonly targetPortWritten?: boolean;
  /** The `spec.ports[index]` entry as written. */
  readonly raw?: Readonly<Record<string, unknown>>;
}

export interface ServiceView {
  readonly object: KubeObject;
  readonly namespace: string;
  readonly name: string;
  /** After defaulting; a type the API server does not know is read as ClusterIP (the written value is in `spec`). */
  readonly type: ServiceType;
  /** `spec` as written, for rules that check written values (VAL-20). */
  readonly spec?: Readonly<Record<string, unknown>>;
  /** `clusterIP: None`. */
  readonly headless: boolean;
  /** The written clusterIP or a stand-in (dns/addresses.ts); undefined for headless and ExternalName. */
  readonly clusterIP?: string;
  readonly clusterIPStandIn: boolean;
  readonly ports: readonly ServicePortView[];
  /** undefined: the Service has no selector (its endpoints are managed by hand). */
  readonly selector?: Readonly<Record<string, string>>;
  /**
   * After defaulting: `Local` only when the manifest writes `Local`, `Cluster` otherwise (DEF-6). A
   * written value the API server rejects (VAL-20) is in `spec.externalTrafficPolicy`.
   */
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  /** Likewise: `Local` only when written, `Cluster` otherwise. */
  readonly internalTrafficPolicy: 'Cluster' | 'Local';
  readonly sessionAffinity: 'None' | 'ClientIP';
  /** Seconds; 10800 by default. */
  readonly sessionAffinityTimeout: number;
  /** LoadBalancer with Local: the written one or a stand-in (KP-11). */
  readonly healthCheckNodePort?: number;
  readonly healthCheckNodePortStandIn?: boolean;
  readonly externalIPs: readonly string[];
  /** `status.loadBalancer.ingress[].ip`, then `spec.loadBalancerIP`. */
  readonly loadBalancerIPs: readonly string[];
  readonly loadBalancerSourceRanges: readonly string[];
  readonly publishNotReadyAddresses: boolean;
}

/** A pod the placement runs, with its address (node IP for hostNetwork, RT-6; a stand-in otherwise). */
export interface RunningPod {
  readonly view: PodView;
  /** The pod's name as the placement made it. */
  readonly name: string;
  readonly node: string;
  readonly ip: string;
  readonly hostNetwork: boolean;
  /** True when the IP is hostnet's stand-in from the node's podCIDR (not a node address). */
  readonly ipStandIn: boolean;
  /** `spec.hostname`, or for StatefulSet pods their own name `<set>-<ordinal>` (EPS-3, CDNS-8). */
  readonly hostname?: string;
  /** `spec.subdomain`, or for StatefulSet pods the set's `serviceName`. */
  readonly subdomain?: string;
}

export interface Endpoint {
  readonly ip: string;
  readonly port: number;
  readonly nodeName: string;
  /** The pods behind this ip:port: several hostNetwork pods on one node collapse into one (KP-14). */
  readonly pods: readonly RunningPod[];
  readonly ready: boolean;
}

export interface ServicePortEndpoints {
  readonly port: ServicePortView;
  /** In kube-proxy's order (sorted by ip:port as the EndpointSlice cache gives them). */
  readonly endpoints: readonly Endpoint[];
  /** Selected pods whose named targetPort did not resolve on them (EPS; no endpoint published). */
  readonly unresolved: readonly RunningPod[];
}

export interface ServiceEndpoints {
  readonly service: ServiceView;
  /** Pods the selector matches (running ones), before port resolution. */
  readonly selected: readonly RunningPod[];
  readonly ports: readonly ServicePortEndpoints[];
}
