import type { Cluster, ClusterNode } from './cluster.js';

const worker = (i: number): ClusterNode => ({
  name: `worker-${i}`,
  labels: {
    'kubernetes.io/hostname': `worker-${i}`,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'topology.kubernetes.io/zone': `zone-${String.fromCharCode(96 + i)}`,
  },
  taints: [],
  addresses: [
    { type: 'InternalIP', address: `192.168.10.${10 + i}` },
    { type: 'Hostname', address: `worker-${i}` },
  ],
  allocatable: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
  unschedulable: false,
  podCIDR: `10.244.${i}.0/24`,
  os: 'linux',
});

/**
 * The embedded default cluster (DESIGN.md): three Linux workers and one tainted control-plane
 * node, cluster.local, cluster DNS 10.96.0.10, kube-proxy in iptables mode, a CNI chain with portmap.
 * `hostnet cluster --default -o yaml` prints it so users can copy and edit it.
 */
const cluster: Cluster = {
  name: 'hostnet-default',
  kubernetesVersion: '1.36',
  nodes: [
    {
      name: 'control-plane-1',
      labels: {
        'kubernetes.io/hostname': 'control-plane-1',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/control-plane': '',
      },
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
      addresses: [
        { type: 'InternalIP', address: '192.168.10.10' },
        { type: 'Hostname', address: 'control-plane-1' },
      ],
      allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '50Gi' },
      unschedulable: false,
      podCIDR: '10.244.0.0/24',
      os: 'linux',
    },
    worker(1),
    worker(2),
    worker(3),
  ],
  clusterDomain: 'cluster.local',
  clusterDNS: ['10.96.0.10'],
  resolvConf: {
    path: '/etc/resolv.conf',
    content: 'search corp.example\nnameserver 192.168.10.2\noptions edns0 timeout:2\n',
  },
  serviceCIDRs: ['10.96.0.0/12'],
  podCIDRs: ['10.244.0.0/16'],
  nodePortRange: { min: 30000, max: 32767 },
  proxyMode: 'iptables',
  cni: { name: 'bridge', portmap: true },
  reservedHostPorts: [
    { port: 10250, protocol: 'TCP', owner: 'kubelet' },
    { port: 10248, protocol: 'TCP', hostIP: '127.0.0.1', owner: 'kubelet healthz' },
    { port: 10249, protocol: 'TCP', hostIP: '127.0.0.1', owner: 'kube-proxy metrics' },
    { port: 10256, protocol: 'TCP', owner: 'kube-proxy healthz' },
  ],
};

export const DEFAULT_CLUSTER: Cluster = Object.freeze(cluster);
