/**
 * The scheduling workloads of `npm run bench`, as data like kube-scheduler's scheduler_perf:
 * 10k pods on 5k nodes with host ports, node affinity, taints and required anti-affinity; and a
 * hostNetwork DaemonSet with maxSurge on 5k nodes, whose rollout must be found stuck (DS-5).
 */
import type { Cluster, ClusterNode, Taint } from '../model/cluster.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';

export function benchCluster(nodes: number): Cluster {
  const list: ClusterNode[] = [];
  for (let i = 0; i < nodes; i++) {
    const name = `node-${String(i).padStart(5, '0')}`;
    const taints: Taint[] = i % 10 === 0 ? [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] : [];
    list.push({
      name,
      labels: {
        'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux',
        'topology.kubernetes.io/zone': `zone-${i % 3}`, 'node.example.com/pool': i % 4 === 0 ? 'edge' : 'general',
      },
      taints,
      addresses: [{ type: 'InternalIP', address: `10.${Math.floor(i / 250)}.${i % 250}.10` }],
      allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
      unschedulable: i % 97 === 0,
      os: 'linux',
    });
  }
  return { ...DEFAULT_CLUSTER, name: `bench-${nodes}`, nodes: list };
}

/** Deployments of 1-20 replicas until `pods` pods: a quarter with host ports, some pinned to a pool, some tolerating the GPU taint, some with hostname anti-affinity. */
export function benchWorkloads(pods: number): string {
  const docs: string[] = [];
  let total = 0;
  for (let i = 0; total < pods; i++) {
    const replicas = Math.min(1 + (i % 20), pods - total);
    total += replicas;
    const hostPort = i % 4 === 0 ? `\n            hostPort: ${20000 + (i % 50)}` : '';
    const selector = i % 5 === 0 ? `\n      nodeSelector: {node.example.com/pool: ${i % 10 === 0 ? 'edge' : 'general'}}` : '';
    const affinity = i % 7 === 0
      ? `\n      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n            - matchExpressions:\n              - {key: topology.kubernetes.io/zone, operator: In, values: [zone-0, zone-1]}`
      : i % 11 === 0
        ? `\n      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n          - labelSelector: {matchLabels: {app: app-${i}}}\n            topologyKey: kubernetes.io/hostname`
        : '';
    const tolerations = i % 3 === 0 ? `\n      tolerations:\n      - {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}` : '';
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app-${i}, namespace: ns-${i % 20}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: app-${i}}}
  template:
    metadata: {labels: {app: app-${i}}}
    spec:${selector}${affinity}${tolerations}
      containers:
      - name: main
        image: registry.example.com/app:${i % 10}
        resources: {requests: {cpu: 100m, memory: 128Mi}}
        ports:
          - containerPort: 8080${hostPort}
`);
  }
  return docs.join('---\n');
}

export const SURGE_DAEMONSET = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: node-agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: node-agent}}
    spec:
      hostNetwork: true
      tolerations: [{operator: Exists}]
      containers:
      - name: agent
        image: registry.example.com/agent:1
        ports: [{containerPort: 9800}]
`;
