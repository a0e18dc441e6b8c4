/**
 * Placing whole manifest sets: the DaemonSet controller's choices (DS-1 nodes, DS-2 pinning, DS-3
 * tolerations), nodeName pods at kubelet admission (SCHED-7), replica spreading, determinism.
 */
import { describe, expect, test } from 'vitest';
import type { Cluster, ClusterNode, Taint } from '../../model/cluster.js';
import { DEFAULT_CLUSTER } from '../../model/default-cluster.js';
import { modelOf, workerNode } from '../../testing/model.js';
import { yaml } from '../../testing/yaml.js';
import { daemonPodShape, daemonTolerations } from './daemonset.js';
import { desiredPods, placeAll, type Placement } from './place.js';
import { podShapeOf } from './sched-pod.js';

function place(source: string, cluster: Partial<Cluster> = {}): Placement {
  const model = modelOf(source, cluster);
  return placeAll(model.podViews, model.cluster);
}

/** Per node, the pods it holds (by name), nodes in cluster order. */
function perNode(p: Placement): Record<string, string[]> {
  return Object.fromEntries(p.nodes.map((n) => [n.name, n.pods.map((x) => x.name)]));
}

/** Every pod as `name phase node`. */
function pods(p: Placement): string[] {
  return p.workloads.flatMap((w) => w.pods.map((x) => `${x.pod.name} ${x.phase} ${x.node ?? '-'}`));
}

const daemonSet = (spec = '', containers = 'containers: [{name: c, image: x}]', name = 'agent') => yaml`
  apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: ${name}, namespace: kube-system}
  spec:
    selector: {matchLabels: {app: ${name}}}
    template:
      metadata: {labels: {app: ${name}}}
      spec:
        ${containers}
${spec.split('\n').filter((l) => l !== '').map((l) => `        ${l}`).join('\n')}
`;

const deployment = (replicas: number, spec = '', containers = 'containers: [{name: c, image: x}]', name = 'web') => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata: {name: ${name}}
  spec:
    replicas: ${replicas}
    selector: {matchLabels: {app: ${name}}}
    template:
      metadata: {labels: {app: ${name}}}
      spec:
        ${containers}
${spec.split('\n').filter((l) => l !== '').map((l) => `        ${l}`).join('\n')}
`;

const podYaml = (name: string, spec: string, containers = 'containers: [{name: c, image: x}]') => yaml`
  apiVersion: v1
  kind: Pod
  metadata: {name: ${name}}
  spec:
    ${containers}
${spec.split('\n').filter((l) => l !== '').map((l) => `    ${l}`).join('\n')}
`;

const hostPort80 = 'containers: [{name: c, image: x, ports: [{containerPort: 80, hostPort: 80}]}]';
const taint = (key: string, effect: Taint['effect'], value?: string): Taint => (value === undefined ? { key, effect } : { key, effect, value });
const tainted = (name: string, ...taints: Taint[]): ClusterNode => workerNode(name, { taints });

describe('DaemonSet tolerations (DS-3)', () => {
  test('the controller adds six tolerations, and network-unavailable only with hostNetwork', () => {
    const key = (t: { key: string; effect: string; operator: string }) => `${t.key}:${t.effect}:${t.operator}`;
    const base = [
      'node.kubernetes.io/not-ready:NoExecute:Exists',
      'node.kubernetes.io/unreachable:NoExecute:Exists',
      'node.kubernetes.io/disk-pressure:NoSchedule:Exists',
      'node.kubernetes.io/memory-pressure:NoSchedule:Exists',
      'node.kubernetes.io/pid-pressure:NoSchedule:Exists',
      'node.kubernetes.io/unschedulable:NoSchedule:Exists',
    ];
    expect(daemonTolerations(false).map(key)).toEqual(base);
    expect(daemonTolerations(true).map(key)).toEqual([...base, 'node.kubernetes.io/network-unavailable:NoSchedule:Exists']);
  });

  test("the daemon pod shape keeps the template's tolerations and adds the missing ones once", () => {
    const view = modelOf(daemonSet('tolerations: [{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute}, {key: dedicated, operator: Exists}]')).podViews[0]!;
    const shape = daemonPodShape(podShapeOf(view));
    const keys = shape.tolerations.map((t) => `${t.key}:${t.effect}`);
    expect(keys.slice(0, 2)).toEqual(['node.kubernetes.io/not-ready:NoExecute', 'dedicated:']);
    expect(keys.filter((k) => k === 'node.kubernetes.io/not-ready:NoExecute')).toHaveLength(1);
    expect(keys).toHaveLength(7);
  });

  const nodes = [
    tainted('not-ready', taint('node.kubernetes.io/not-ready', 'NoExecute')),
    tainted('unreachable', taint('node.kubernetes.io/unreachable', 'NoExecute')),
    tainted('disk', taint('node.kubernetes.io/disk-pressure', 'NoSchedule')),
    tainted('memory', taint('node.kubernetes.io/memory-pressure', 'NoSchedule')),
    tainted('pid', taint('node.kubernetes.io/pid-pressure', 'NoSchedule')),
    workerNode('cordoned', { unschedulable: true, taints: [taint('node.kubernetes.io/unschedulable', 'NoSchedule')] }),
    tainted('network', taint('node.kubernetes.io/network-unavailable', 'NoSchedule')),
    // The automatic tolerations are effect-specific: not-ready as NoSchedule is not covered.
    tainted('not-ready-noschedule', taint('node.kubernetes.io/not-ready', 'NoSchedule')),
    tainted('dedicated', taint('dedicated', 'NoSchedule', 'infra')),
    workerNode('plain'),
  ];

  test.for([
    [
      'without hostNetwork', '',
      {
        network: 'node(s) had untolerated taint {node.kubernetes.io/network-unavailable: }',
        'not-ready-noschedule': 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }',
        dedicated: 'node(s) had untolerated taint {dedicated: infra}',
      },
    ],
    [
      'with hostNetwork', 'hostNetwork: true',
      {
        'not-ready-noschedule': 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }',
        dedicated: 'node(s) had untolerated taint {dedicated: infra}',
      },
    ],
    [
      'with a toleration of everything', 'tolerations: [{operator: Exists}]',
      {},
    ],
  ] as const)('%s', ([, spec, skipped]) => {
    const p = place(daemonSet(spec), { nodes });
    const w = p.workloads[0]!;
    const verdicts = Object.fromEntries(w.daemonNodes!.filter((d) => !d.shouldRun).map((d) => [d.node.name, d.reason]));
    expect(verdicts).toEqual(skipped);
    const expected = nodes.map((n) => n.name).filter((n) => !(n in skipped));
    // One pod per node DS-1 picked, each Scheduled there (the scheduler honours the same tolerations).
    expect(w.pods.map((x) => [x.phase, x.node])).toEqual(expected.map((n) => ['Scheduled', n]));
    expect(p.eligibleNodes(w).map((n) => n.name)).toEqual(expected);
  });

  test('a cordoned node runs the daemon pod but not a Deployment pod', () => {
    const cluster = { nodes: [workerNode('cordoned', { unschedulable: true }), workerNode('open')] };
    const p = place(`${daemonSet()}---\n${deployment(2)}`, cluster);
    expect(perNode(p)).toEqual({
      cordoned: ['DaemonSet kube-system/agent (pod for cordoned)'],
      open: ['DaemonSet kube-system/agent (pod for open)', 'Deployment default/web (pod 1 of 2)', 'Deployment default/web (pod 2 of 2)'],
    });
  });

  test('the control-plane taint keeps a DaemonSet off unless it tolerates it', () => {
    const skip = place(daemonSet()).workloads[0]!;
    expect(skip.pods.map((x) => x.node)).toEqual(['worker-1', 'worker-2', 'worker-3']);
    expect(skip.daemonNodes!.find((d) => d.node.name === 'control-plane-1')?.reason).toBe(
      'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }',
    );
    const all = place(daemonSet('tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]')).workloads[0]!;
    expect(all.pods.map((x) => x.node)).toEqual(['control-plane-1', 'worker-1', 'worker-2', 'worker-3']);
  });
});

describe('DaemonSet nodes (DS-1) and pinning (DS-2)', () => {
  const labelled = [
    workerNode('a', { labels: { 'kubernetes.io/hostname': 'a', disk: 'ssd' } }),
    workerNode('b', { labels: { 'kubernetes.io/hostname': 'b', disk: 'hdd' } }),
    workerNode('c', { labels: { 'kubernetes.io/hostname': 'c' } }),
  ];
  const AFFINITY = "node(s) didn't match Pod's node affinity/selector";

  test.for([
    ['nodeSelector', 'nodeSelector: {disk: ssd}', { b: AFFINITY, c: AFFINITY }],
    [
      'required node affinity',
      'affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: disk, operator: Exists}]}]}}}',
      { c: AFFINITY },
    ],
    ['template nodeName', 'nodeName: b', { a: "node(s) didn't match the requested node name", c: "node(s) didn't match the requested node name" }],
    ['an untolerated taint', '', {}],
  ] as const)('skips by %s', ([, spec, skipped]) => {
    const w = place(daemonSet(spec), { nodes: labelled }).workloads[0]!;
    expect(Object.fromEntries(w.daemonNodes!.filter((d) => !d.shouldRun).map((d) => [d.node.name, d.reason]))).toEqual(skipped);
    const runs = labelled.map((n) => n.name).filter((n) => !(n in skipped));
    expect(w.pods.map((x) => x.node)).toEqual(runs);
    expect(w.pods.every((x) => x.phase === 'Scheduled')).toBe(true);
  });

  test('the template affinity is replaced by pinning: each pod is bound to its own node', () => {
    const w = place(daemonSet('affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: disk, operator: Exists}]}]}}}'), { nodes: labelled }).workloads[0]!;
    expect(w.shape.requiredNodeAffinity).toBeUndefined();
    expect(w.pods.map((x) => [x.pod.pinnedTo, x.node])).toEqual([['a', 'a'], ['b', 'b']]);
  });

  test('DS-1 does not look at host ports: a second DaemonSet on the same port is Pending on every node', () => {
    const p = place(`${daemonSet('', hostPort80, 'one')}---\n${daemonSet('', hostPort80, 'two')}`);
    const two = p.workloads[1]!;
    expect(two.daemonNodes!.filter((d) => d.shouldRun).map((d) => d.node.name)).toEqual(['worker-1', 'worker-2', 'worker-3']);
    for (const x of two.pods) {
      expect(x.phase).toBe('Pending');
      expect(x.fitError?.message).toBe(
        "0/4 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 3 node(s) didn't satisfy plugin(s) [NodeAffinity].",
      );
      expect(x.portBlocks.map((b) => [b.node, b.holders.map((h) => h.holder.name)])).toEqual([[x.pod.pinnedTo, [`DaemonSet kube-system/one (pod for ${x.pod.pinnedTo})`]]]);
    }
  });

  test('DS-1 does not look at resources: a daemon pod too big for a node is Pending there', () => {
    const cluster = { nodes: [workerNode('small', { allocatable: { cpu: '1', memory: '1Gi', pods: '110' } }), workerNode('big')] };
    const w = place(daemonSet('', 'containers: [{name: c, image: x, resources: {requests: {cpu: "2"}}}]'), cluster).workloads[0]!;
    expect(w.pods.map((x) => [x.pod.pinnedTo, x.phase])).toEqual([['small', 'Pending'], ['big', 'Scheduled']]);
    expect(w.pods[0]!.fitError?.message).toBe("0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't satisfy plugin(s) [NodeAffinity].");
  });
});

describe('pods bound with nodeName face kubelet admission (SCHED-7)', () => {
  test('a host port already held: Failed, with the holder named', () => {
    const p = place(`${daemonSet('', hostPort80)}---\n${podYaml('pinned', 'nodeName: worker-2', hostPort80)}`);
    const x = p.workloads[1]!.pods[0]!;
    expect(x.phase).toBe('Failed');
    expect(x.node).toBe('worker-2');
    expect(x.fitError).toBeUndefined();
    expect(x.admission?.node).toBe('worker-2');
    expect(x.admission?.status.reasons).toEqual(["node(s) didn't have free ports for the requested pod ports"]);
    expect(x.portBlocks.map((b) => [b.node, b.holders.map((h) => h.holder.name)])).toEqual([['worker-2', ['DaemonSet kube-system/agent (pod for worker-2)']]]);
    // The failed pod holds nothing.
    expect(perNode(p)['worker-2']).toEqual(['DaemonSet kube-system/agent (pod for worker-2)']);
  });

  test.for([
    ['a nodeSelector the node lacks', 'nodeName: worker-1\nnodeSelector: {disk: ssd}', "node(s) didn't match Pod's node affinity/selector"],
    ['more cpu than the node has', 'nodeName: worker-1', 'Insufficient cpu'],
  ] as const)('Failed for %s', ([name, spec, reason]) => {
    const containers = name.includes('cpu') ? 'containers: [{name: c, image: x, resources: {requests: {cpu: "64"}}}]' : undefined;
    const x = place(podYaml('pinned', spec, containers)).workloads[0]!.pods[0]!;
    expect(x.phase).toBe('Failed');
    expect(x.admission?.status.reasons).toContain(reason);
  });

  // The kubelet does reject untolerated NoExecute taints (predicate.go#generalFilter); the
  // simulator's admission does not check taints yet, a known divergence left out of this table.
  test('NoSchedule taints and cordons are the scheduler’s business, not the kubelet’s', () => {
    const cluster = { nodes: [...DEFAULT_CLUSTER.nodes, workerNode('cordoned', { unschedulable: true })] };
    const p = place(`${podYaml('cp', 'nodeName: control-plane-1')}---\n${podYaml('co', 'nodeName: cordoned')}`, cluster);
    expect(pods(p)).toEqual(['Pod default/cp Scheduled control-plane-1', 'Pod default/co Scheduled cordoned']);
  });

  test('a node the cluster does not have: Pending, with the reason', () => {
    const x = place(podYaml('lost', 'nodeName: worker-9')).workloads[0]!.pods[0]!;
    expect(x.phase).toBe('Pending');
    expect(x.admission?.status.reasons).toEqual(['node "worker-9" is not in the cluster']);
  });

  test('a nodeName pod placed first takes the port from a later Deployment pod', () => {
    const p = place(`${podYaml('pinned', 'nodeName: worker-1', hostPort80)}---\n${deployment(3, '', hostPort80)}`);
    expect(perNode(p)).toEqual({
      'control-plane-1': [],
      'worker-1': ['Pod default/pinned'],
      'worker-2': ['Deployment default/web (pod 1 of 3)'],
      'worker-3': ['Deployment default/web (pod 2 of 3)'],
    });
    expect(p.workloads[1]!.pods[2]!.phase).toBe('Pending');
  });
});

describe('replicated workloads', () => {
  test.for([
    [3, { 'worker-1': 1, 'worker-2': 1, 'worker-3': 1 }],
    [6, { 'worker-1': 2, 'worker-2': 2, 'worker-3': 2 }],
    [7, { 'worker-1': 3, 'worker-2': 2, 'worker-3': 2 }],
    [1, { 'worker-1': 1, 'worker-2': 0, 'worker-3': 0 }],
  ] as const)('%i replicas spread over the workers', ([replicas, want]) => {
    const p = place(deployment(replicas));
    const counts = Object.fromEntries(p.nodes.filter((n) => n.name !== 'control-plane-1').map((n) => [n.name, n.pods.length]));
    expect(counts).toEqual(want);
    expect(p.nodes[0]!.pods).toEqual([]);
  });

  test('with a host port, one per node and the rest Pending', () => {
    const w = place(deployment(5, '', hostPort80)).workloads[0]!;
    expect(w.pods.map((x) => `${x.phase} ${x.node ?? '-'}`)).toEqual([
      'Scheduled worker-1', 'Scheduled worker-2', 'Scheduled worker-3', 'Pending -', 'Pending -',
    ]);
    expect(w.pods[3]!.fitError?.message).toBe(
      "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn't have free ports for the requested pod ports.",
    );
    expect(w.pods[3]!.portBlocks.map((b) => b.holders.map((h) => h.holder.name))).toEqual([
      ['Deployment default/web (pod 1 of 5)'], ['Deployment default/web (pod 2 of 5)'], ['Deployment default/web (pod 3 of 5)'],
    ]);
  });

  test('required anti-affinity against its own labels: one per node', () => {
    const anti = 'affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}]}}';
    const w = place(deployment(4, anti)).workloads[0]!;
    expect(w.pods.map((x) => x.node ?? x.phase)).toEqual(['worker-1', 'worker-2', 'worker-3', 'Pending']);
    // Upstream checks the incoming pod's own anti-affinity before the placed pods' rules (filtering.go#Filter).
    expect(w.pods[3]!.fitError?.message).toBe("0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn't match pod anti-affinity rules.");
  });

  test.for([
    ['a Pod', 1, podYaml('p', '')],
    ['replicas 0', 0, deployment(0)],
    ['replicas absent', 1, deployment(1).replace(/\n\s*replicas: 1/, '')],
    ['a Job with parallelism 3', 3, yaml`
      apiVersion: batch/v1
      kind: Job
      metadata: {name: j}
      spec:
        parallelism: 3
        template:
          spec: {restartPolicy: Never, containers: [{name: c, image: x}]}
    `],
    ['a CronJob (no Job yet)', 0, yaml`
      apiVersion: batch/v1
      kind: CronJob
      metadata: {name: cj}
      spec:
        schedule: "* * * * *"
        jobTemplate:
          spec:
            template:
              spec: {restartPolicy: Never, containers: [{name: c, image: x}]}
    `],
    ['a DaemonSet (placed per node instead)', 0, daemonSet()],
  ] as const)('desiredPods: %s → %i', ([, want, source]) => {
    const model = modelOf(source);
    expect(desiredPods(model.podViews[0]!)).toBe(want);
  });

  test('workloads in input order; workloadOf finds each by its view', () => {
    const model = modelOf(`${deployment(1, '', undefined, 'a')}---\n${daemonSet()}---\n${podYaml('p', '')}`);
    const p = placeAll(model.podViews, model.cluster);
    expect(p.workloads.map((w) => w.shape.workload)).toEqual(['Deployment default/a', 'DaemonSet kube-system/agent', 'Pod default/p']);
    for (const v of model.podViews) expect(p.workloadOf(v)?.view).toBe(v);
  });

  test('eligibleNodes of a Pod bound with nodeName: its node, whatever NoSchedule taints it has (SCHED-7)', () => {
    const p = place(podYaml('pinned', 'nodeName: control-plane-1', 'containers: [{name: c, image: x}]'));
    expect(p.workloads[0]!.pods[0]!.phase).toBe('Scheduled');
    expect(p.eligibleNodes(p.workloads[0]!).map((n) => n.name)).toEqual(['control-plane-1']);
  });

  test('the kubelet rejects a nodeName pod on a node with an untolerated NoExecute taint', () => {
    const tainted = { ...DEFAULT_CLUSTER, nodes: DEFAULT_CLUSTER.nodes.map((n) => (n.name === 'worker-1' ? { ...n, taints: [{ key: 'k', effect: 'NoExecute' as const }] } : n)) };
    const model = modelOf(podYaml('pinned', 'nodeName: worker-1', 'containers: [{name: c, image: x}]'), tainted);
    const placed = placeAll(model.podViews, model.cluster).workloads[0]!.pods[0]!;
    expect([placed.phase, placed.admission?.status.reasons]).toEqual(['Failed', ["node(s) had taints that the pod didn't tolerate"]]);
  });

  test('eligibleNodes of a Deployment: the nodes its static filters accept', () => {
    const p = place(deployment(1, 'nodeSelector: {topology.kubernetes.io/zone: zone-b}'));
    expect(p.eligibleNodes(p.workloads[0]!).map((n) => n.name)).toEqual(['worker-2']);
    const q = place(deployment(1, 'tolerations: [{operator: Exists}]'));
    expect(q.eligibleNodes(q.workloads[0]!).map((n) => n.name)).toEqual(['control-plane-1', 'worker-1', 'worker-2', 'worker-3']);
  });
});

describe('determinism', () => {
  const mixed = [
    daemonSet('hostNetwork: true', 'containers: [{name: c, image: x, ports: [{containerPort: 9100}]}]', 'exporter'),
    deployment(4, '', hostPort80, 'ingress'),
    deployment(5, '', 'containers: [{name: c, image: x, resources: {requests: {cpu: "1500m"}}}]', 'api'),
    podYaml('pinned', 'nodeName: worker-3', 'containers: [{name: c, image: x, ports: [{containerPort: 9100, hostPort: 9100}]}]'),
    deployment(2, 'nodeSelector: {topology.kubernetes.io/zone: zone-a}', undefined, 'zonal'),
  ].join('---\n');

  test('the same input twice gives the same placement', () => {
    const a = place(mixed);
    const b = place(mixed);
    expect(perNode(b)).toEqual(perNode(a));
    expect(pods(b)).toEqual(pods(a));
    expect(b.workloads.flatMap((w) => w.pods.map((x) => x.fitError?.message ?? x.admission?.status.reasons.join(', ') ?? '')))
      .toEqual(a.workloads.flatMap((w) => w.pods.map((x) => x.fitError?.message ?? x.admission?.status.reasons.join(', ') ?? '')));
  });

  test('the mixed set lands as the rules say', () => {
    const p = place(mixed);
    const [exporter, ingress, api, pinned, zonal] = p.workloads;
    const on = (w: typeof exporter) => w!.pods.map((x) => x.node ?? x.phase);
    expect(on(exporter)).toEqual(['worker-1', 'worker-2', 'worker-3']);
    // One ingress pod per worker, the fourth Pending.
    expect(on(ingress).slice(0, 3).sort()).toEqual(['worker-1', 'worker-2', 'worker-3']);
    expect(on(ingress)[3]).toBe('Pending');
    // 1.5 CPU each on 4-CPU workers: two per worker at most, spread 2/2/1.
    const perWorker = new Map<string, number>();
    for (const n of on(api)) perWorker.set(n, (perWorker.get(n) ?? 0) + 1);
    expect([...perWorker.values()].sort()).toEqual([1, 2, 2]);
    expect([...perWorker.keys()].every((n) => n.startsWith('worker-'))).toBe(true);
    // The exporter holds 9100 on worker-3: the kubelet rejects the pinned pod.
    expect(pinned!.pods.map((x) => `${x.phase} ${x.node}`)).toEqual(['Failed worker-3']);
    // zone-a is worker-1 only.
    expect(on(zonal)).toEqual(['worker-1', 'worker-1']);
  });
});
