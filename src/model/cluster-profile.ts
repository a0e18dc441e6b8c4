/**
 * `hostnet.dev/v1 ClusterProfile`: the cluster facts a `Node` list and a `KubeletConfiguration`
 * cannot carry (versions, CIDRs, proxy mode, CNI, reserved ports). The zod schema is the source of
 * truth; schema/cluster-profile.schema.json is generated from it.
 */
import { z } from 'zod';
import type { Cluster, ClusterNode } from './cluster.js';

const Protocol = z.enum(['TCP', 'UDP', 'SCTP']);

export const TaintSchema = z.object({
  key: z.string().min(1),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
}).strict();

export const ProfileNodeSchema = z.object({
  name: z.string().min(1).describe('Node name, as `kubectl get nodes` shows it.'),
  labels: z.record(z.string(), z.string()).default({}),
  taints: z.array(TaintSchema).default([]),
  addresses: z.array(z.object({
    type: z.enum(['InternalIP', 'ExternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS']),
    address: z.string().min(1),
  }).strict()).default([]),
  allocatable: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
  unschedulable: z.boolean().default(false),
  podCIDR: z.string().optional(),
  os: z.enum(['linux', 'windows']).default('linux'),
}).strict();

export const ClusterProfileSpecSchema = z.object({
  kubernetesVersion: z.string().regex(/^v?\d+\.\d+/, 'a Kubernetes version such as 1.30').optional()
    .describe('Minor version of the API server and kubelets, e.g. "1.30".'),
  clusterDomain: z.string().optional(),
  clusterDNS: z.array(z.string()).optional().describe("The kubelet's clusterDNS list; empty means pods fall back to the node resolver."),
  resolvConf: z.object({
    path: z.string().describe("The kubelet's resolvConf path; '' disables reading a file."),
    content: z.string().describe('The content of that file on the nodes.'),
  }).strict().optional(),
  serviceCIDRs: z.array(z.string()).optional(),
  podCIDRs: z.array(z.string()).optional(),
  nodePortRange: z.string().regex(/^\d+-\d+$/, 'a range such as 30000-32767').optional(),
  proxyMode: z.enum(['iptables', 'ipvs', 'nftables', 'none']).optional(),
  cni: z.object({ name: z.string(), portmap: z.boolean() }).strict().optional(),
  nodeLocalDNS: z.string().optional().describe('Address of a NodeLocal DNSCache, e.g. 169.254.20.10.'),
  reservedHostPorts: z.array(z.object({
    port: z.number().int().min(1).max(65535),
    protocol: Protocol.default('TCP'),
    hostIP: z.string().optional(),
    owner: z.string().min(1).describe('What holds the port, e.g. "node-exporter".'),
  }).strict()).optional(),
  nodes: z.array(ProfileNodeSchema).optional().describe('Nodes, when no Node objects are given.'),
}).strict();

export const ClusterProfileSchema = z.object({
  apiVersion: z.literal('hostnet.dev/v1'),
  kind: z.literal('ClusterProfile'),
  metadata: z.object({ name: z.string().min(1) }).passthrough(),
  spec: ClusterProfileSpecSchema,
}).strict();

export type ClusterProfile = z.output<typeof ClusterProfileSchema>;

/** Apply a profile's spec over a base cluster. */
export function applyProfile(base: Cluster, p: ClusterProfile): Cluster {
  const s = p.spec;
  const range = s.nodePortRange?.split('-').map(Number);
  return {
    ...base,
    name: p.metadata.name,
    ...(s.kubernetesVersion !== undefined ? { kubernetesVersion: s.kubernetesVersion.replace(/^v/, '') } : {}),
    ...(s.clusterDomain !== undefined ? { clusterDomain: s.clusterDomain } : {}),
    ...(s.clusterDNS !== undefined ? { clusterDNS: s.clusterDNS } : {}),
    ...(s.resolvConf !== undefined ? { resolvConf: s.resolvConf } : {}),
    ...(s.serviceCIDRs !== undefined ? { serviceCIDRs: s.serviceCIDRs } : {}),
    ...(s.podCIDRs !== undefined ? { podCIDRs: s.podCIDRs } : {}),
    ...(range ? { nodePortRange: { min: range[0]!, max: range[1]! } } : {}),
    ...(s.proxyMode !== undefined ? { proxyMode: s.proxyMode } : {}),
    ...(s.cni !== undefined ? { cni: s.cni } : {}),
    ...(s.nodeLocalDNS !== undefined ? { nodeLocalDNS: s.nodeLocalDNS } : {}),
    ...(s.reservedHostPorts !== undefined ? { reservedHostPorts: s.reservedHostPorts } : {}),
    ...(s.nodes !== undefined ? { nodes: s.nodes.map((n): ClusterNode => ({ ...n })) } : {}),
  };
}

/** A cluster as a ClusterProfile document, for `hostnet cluster -o yaml`; it loads back to the same cluster. */
export function toProfile(c: Cluster): ClusterProfile {
  return {
    apiVersion: 'hostnet.dev/v1',
    kind: 'ClusterProfile',
    metadata: { name: c.name },
    spec: {
      kubernetesVersion: c.kubernetesVersion,
      clusterDomain: c.clusterDomain,
      clusterDNS: [...c.clusterDNS],
      resolvConf: { ...c.resolvConf },
      serviceCIDRs: [...c.serviceCIDRs],
      podCIDRs: [...c.podCIDRs],
      nodePortRange: `${c.nodePortRange.min}-${c.nodePortRange.max}`,
      proxyMode: c.proxyMode,
      cni: { ...c.cni },
      ...(c.nodeLocalDNS ? { nodeLocalDNS: c.nodeLocalDNS } : {}),
      reservedHostPorts: c.reservedHostPorts.map((r) => ({ ...r })),
      nodes: c.nodes.map((n) => ({
        name: n.name,
        labels: { ...n.labels },
        taints: n.taints.map((t) => ({ ...t })),
        addresses: n.addresses.map((a) => ({ ...a })),
        allocatable: { ...n.allocatable },
        unschedulable: n.unschedulable,
        ...(n.podCIDR ? { podCIDR: n.podCIDR } : {}),
        os: n.os,
      })),
    },
  };
}

export function clusterProfileJsonSchema(): unknown {
  return z.toJSONSchema(ClusterProfileSchema, { io: 'input' });
}
