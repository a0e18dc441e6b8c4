/**
 * fast-check arbitraries for the scheduling simulator's property tests: small clusters (labels,
 * taints, cordons, allocatable) and manifest sets (Deployments, DaemonSets, Pods) drawing host
 * ports, hostIPs and protocols from small pools so that collisions are common. Manifests are
 * plain objects, written out as block YAML or as JSON (which is YAML too) for `modelOf`.
 */
import fc from 'fast-check';
import { dump } from 'js-yaml';
import type { Cluster, ClusterNode, Taint } from '../model/cluster.js';
import { workerNode } from './model.js';

export const PORT_POOL = [80, 443, 8080] as const;
export const HOST_IP_POOL = ['', '10.0.0.1', '10.0.0.2'] as const;
export const PROTOCOL_POOL = ['TCP', 'UDP'] as const;

export const TAINT_POOL: readonly Taint[] = [
  { key: 'dedicated', value: 'infra', effect: 'NoSchedule' },
  { key: 'gpu', effect: 'NoExecute' },
  { key: 'soft', value: 'x', effect: 'PreferNoSchedule' },
  { key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
  { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
];

export interface TolerationSpec {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: string;
}

export const TOLERATION_POOL: readonly TolerationSpec[] = [
  { operator: 'Exists' },
  { key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' },
  { key: 'dedicated', operator: 'Equal', value: 'other', effect: 'NoSchedule' },
  { key: 'gpu', operator: 'Exists' },
  { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' },
];

/** Allocatable values and their numbers (millicores, bytes, pods) for the oracles. */
export const CPU_POOL = { '1': 1000, '2': 2000, '4': 4000 } as const;
export const MEMORY_POOL = { '2Gi': 2 * 2 ** 30, '4Gi': 4 * 2 ** 30, '16Gi': 16 * 2 ** 30 } as const;
export const PODS_POOL = { '3': 3, '5': 5, '110': 110 } as const;

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);

/** `arb` in about `percent`% of the draws, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 100 - percent }, { arbitrary: arb, weight: percent });

function nodeArb(): fc.Arbitrary<Omit<ClusterNode, 'name'>> {
  return fc.record({
    disk: sometimes(pick(['ssd', 'hdd']), 60),
    zone: sometimes(pick(['a', 'b', 'c']), 70),
    taints: fc.subarray([...TAINT_POOL], { maxLength: 3 }),
    tainted: fc.boolean(),
    unschedulable: fc.boolean(),
    cordoned: fc.boolean(),
    cpu: pick(Object.keys(CPU_POOL)),
    memory: pick(Object.keys(MEMORY_POOL)),
    pods: pick(Object.keys(PODS_POOL)),
  }).map((r) => {
    const base = workerNode('x');
    return {
      labels: { ...(r.disk ? { disk: r.disk } : {}), ...(r.zone ? { zone: r.zone } : {}) },
      // About half the nodes carry taints, and about a quarter of those are cordoned.
      taints: r.tainted ? r.taints : [],
      addresses: base.addresses,
      allocatable: { cpu: r.cpu, memory: r.memory, pods: r.pods },
      unschedulable: r.tainted && r.unschedulable && r.cordoned,
      os: 'linux' as const,
    };
  });
}

/** 1–30 nodes named node-1…node-N, each labelled with its hostname. */
export const clusterArb: fc.Arbitrary<Partial<Cluster>> = fc.array(nodeArb(), { minLength: 1, maxLength: 30 }).map((nodes) => ({
  nodes: nodes.map((n, i) => {
    const name = `node-${i + 1}`;
    return { ...n, name, labels: { 'kubernetes.io/hostname': name, ...n.labels } };
  }),
}));

export type Manifest = Record<string, unknown>;

interface PortSpec { containerPort: number; hostPort?: number; hostIP?: string; protocol?: string }

const portArb: fc.Arbitrary<PortSpec> = fc.record({
  port: pick(PORT_POOL),
  host: fc.boolean(),
  hostIP: pick(HOST_IP_POOL),
  protocol: sometimes(pick(PROTOCOL_POOL), 60),
}).map((p) => ({
  containerPort: p.port,
  ...(p.host ? { hostPort: p.port } : {}),
  ...(p.host && p.hostIP !== '' ? { hostIP: p.hostIP } : {}),
  ...(p.protocol ? { protocol: p.protocol } : {}),
}));

const resourcesArb = fc.record({
  cpu: sometimes(pick(['100m', '500m', '1', '1500m', '3']), 50),
  memory: sometimes(pick(['256Mi', '1Gi', '3Gi']), 40),
  asLimits: fc.boolean(),
}).map((r) => {
  const list = { ...(r.cpu ? { cpu: r.cpu } : {}), ...(r.memory ? { memory: r.memory } : {}) };
  return Object.keys(list).length === 0 ? undefined : r.asLimits ? { limits: list } : { requests: list };
});

const containerArb = (name: string) => fc.record({
  ports: fc.array(portArb, { maxLength: 2 }),
  resources: resourcesArb,
}).map((c) => ({
  name, image: 'busybox',
  ...(c.ports.length > 0 ? { ports: c.ports } : {}),
  ...(c.resources ? { resources: c.resources } : {}),
}));

export interface PodSpecOptions {
  readonly nodeNames: readonly string[];
  readonly allowNodeName: boolean;
}

function podSpecArb(app: string, opts: PodSpecOptions) {
  return fc.record({
    hostNetwork: fc.boolean(),
    hostNetworkLikely: fc.boolean(),
    containers: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
    c0: containerArb('c0'),
    c1: containerArb('c1'),
    sidecar: sometimes(containerArb('sidecar'), 15),
    init: sometimes(containerArb('init'), 15),
    nodeSelector: sometimes(pick([{ disk: 'ssd' }, { zone: 'a' }, { disk: 'hdd', zone: 'b' }]), 25),
    tolerations: fc.subarray([...TOLERATION_POOL], { maxLength: 2 }),
    nodeName: opts.allowNodeName ? sometimes(pick([...opts.nodeNames, 'missing-node']), 25) : fc.constant(undefined),
    antiAffinity: sometimes(pick(['kubernetes.io/hostname', 'zone']), 15),
  }).map((s) => {
    const hostNetwork = s.hostNetwork && s.hostNetworkLikely;
    const containers = [s.c0, s.c1].slice(0, s.containers.length);
    return {
      ...(hostNetwork ? { hostNetwork: true } : {}),
      ...(s.nodeName ? { nodeName: s.nodeName } : {}),
      ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}),
      ...(s.tolerations.length > 0 ? { tolerations: s.tolerations } : {}),
      ...(s.antiAffinity
        ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: s.antiAffinity }] } } }
        : {}),
      ...(s.sidecar || s.init
        ? { initContainers: [...(s.init ? [s.init] : []), ...(s.sidecar ? [{ ...s.sidecar, restartPolicy: 'Always' }] : [])] }
        : {}),
      containers,
    };
  });
}

const DEPLOYMENT_STRATEGIES = [
  undefined,
  { type: 'Recreate' },
  { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
  { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%', maxUnavailable: 0 } },
] as const;

const DAEMONSET_STRATEGIES = [
  undefined,
  { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '50%' } },
  { type: 'OnDelete' },
] as const;

function workloadArb(index: number, nodeNames: readonly string[]): fc.Arbitrary<Manifest> {
  const name = `w${index}`;
  const metadata = { name, labels: { app: name } };
  const template = (allowNodeName: boolean) => podSpecArb(name, { nodeNames, allowNodeName }).map((spec) => ({ metadata: { labels: { app: name } }, spec }));
  return fc.oneof(
    fc.record({ replicas: fc.integer({ min: 0, max: 8 }), strategy: pick(DEPLOYMENT_STRATEGIES), template: template(false) }).map((d) => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata,
      spec: { replicas: d.replicas, ...(d.strategy ? { strategy: d.strategy } : {}), selector: { matchLabels: { app: name } }, template: d.template },
    })),
    fc.record({ strategy: pick(DAEMONSET_STRATEGIES), template: template(false) }).map((d) => ({
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { ...metadata, namespace: 'kube-system' },
      spec: { ...(d.strategy ? { updateStrategy: d.strategy } : {}), selector: { matchLabels: { app: name } }, template: d.template },
    })),
    podSpecArb(name, { nodeNames, allowNodeName: true }).map((spec) => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec })),
  );
}

/** A cluster and 1–8 workloads for it, written as one multi-document YAML text. */
export interface Scenario {
  readonly cluster: Partial<Cluster>;
  readonly manifests: readonly Manifest[];
  readonly text: string;
}

export const scenarioArb: fc.Arbitrary<Scenario> = clusterArb.chain((cluster) => {
  const names = cluster.nodes!.map((n) => n.name);
  return fc.tuple(
    fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => workloadArb(i, names)))),
    fc.boolean(),
  ).map(([manifests, asJson]) => ({
    cluster,
    manifests,
    text: manifests.map((m) => (asJson ? `${JSON.stringify(m)}\n` : dump(m))).join('---\n'),
  }));
});
