/**
 * The cluster the manifests will land on. Every analysis reads it; only load/cluster-file.ts builds
 * one from user files, and default-cluster.ts provides the embedded one.
 */

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeAddress {
  readonly type: 'InternalIP' | 'ExternalIP' | 'Hostname' | 'InternalDNS' | 'ExternalDNS';
  readonly address: string;
}

export interface ClusterNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly addresses: readonly NodeAddress[];
  /** Allocatable resources as Kubernetes quantities (`cpu: "4"`, `memory: 16Gi`, `pods: "110"`). */
  readonly allocatable: Readonly<Record<string, string>>;
  readonly unschedulable: boolean;
  readonly podCIDR?: string;
  readonly os: 'linux' | 'windows';
}

/** A port a node daemon already holds, so no pod can take it (issue #4 reads these). */
export interface ReservedHostPort {
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly hostIP?: string;
  readonly owner: string;
}

export interface Cluster {
  readonly name: string;
  /** Kubernetes minor version the API server and kubelets run, as `1.36`. */
  readonly kubernetesVersion: string;
  readonly nodes: readonly ClusterNode[];
  readonly clusterDomain: string;
  /** The kubelet's `clusterDNS` list; empty means pods fall back to the node's resolver (KDNS-5). */
  readonly clusterDNS: readonly string[];
  /** The kubelet's `resolvConf` path and the file's content on the nodes (KDNS-1, KDNS-2). */
  readonly resolvConf: { readonly path: string; readonly content: string };
  readonly serviceCIDRs: readonly string[];
  readonly podCIDRs: readonly string[];
  readonly nodePortRange: { readonly min: number; readonly max: number };
  readonly proxyMode: 'iptables' | 'ipvs' | 'nftables' | 'none';
  /** Whether the CNI chain has a plugin with the `portMappings` capability (RT-3). */
  readonly cni: { readonly name: string; readonly portmap: boolean };
  /** A node-local DNS cache address (NodeLocal DNSCache), if the cluster runs one. */
  readonly nodeLocalDNS?: string;
  readonly reservedHostPorts: readonly ReservedHostPort[];
}

/** Parse `1.29`, `v1.29.3`, `1.29+` into [major, minor]; undefined when it is not a version. */
export function parseVersion(v: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** True when `version` is at least `atLeast` (both `major.minor`). Unparseable versions count as recent. */
export function versionAtLeast(version: string, atLeast: string): boolean {
  const a = parseVersion(version);
  const b = parseVersion(atLeast)!;
  if (!a) return true;
  return a[0] !== b[0] ? a[0] > b[0] : a[1] >= b[1];
}
