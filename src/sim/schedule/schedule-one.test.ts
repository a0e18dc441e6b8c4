/**
 * One scheduling cycle: how many feasible nodes are enough (upstream's numFeasibleNodesToFind),
 * the FitError message kube-scheduler prints, verbatim, and the example messages on the
 * default cluster. Ref: kubernetes/kubernetes pkg/scheduler/schedule_one.go,
 * pkg/scheduler/framework/types.go#FitError.Error.
 */
import { describe, expect, test } from 'vitest';
import type { ClusterNode } from '../../model/cluster.js';
import { DEFAULT_CLUSTER } from '../../model/default-cluster.js';
import { modelOf, workerNode } from '../../testing/model.js';
import { yaml } from '../../testing/yaml.js';
import { SUCCESS, unresolvable, unschedulable, type FilterPlugin, type Status } from './framework.js';
import { PlacementSnapshot, placeAll } from './place.js';
import { playRollout } from './rollout.js';
import { fitErrorMessage, numFeasibleNodesToFind, Scheduler } from './schedule-one.js';
import { podShapeOf, type SchedPod } from './sched-pod.js';

describe('numFeasibleNodesToFind', () => {
  // Upstream: below 100 nodes all of them; else n × (50 − n/125, at least 5)% but at least 100.
  test.for([
    [0, 0],
    [1, 1],
    [50, 50],
    [99, 99],
    [100, 100], // 50% of 100 = 50, raised to the minimum of 100
    [200, 100], // 49% of 200 = 98 → 100
    [1000, 420], // 50 − 8 = 42%
    [5000, 500], // 50 − 40 = 10%
    [5999, 299], // 50 − 47 = 3% → 5%: 5999 × 5 / 100 = 299.95, truncated
    [6000, 300], // 50 − 48 = 2% → 5%
    [100_000, 5000], // 5%
  ] as const)('%i nodes → %i', ([n, want]) => {
    expect(numFeasibleNodesToFind(n)).toBe(want);
  });

  test.for([
    [2000, 10, 200],
    [500, 10, 100], // 50 raised to the minimum of 100
    [50, 10, 50], // below 100 the percentage does not matter
    [1000, 100, 1000],
  ] as const)('%i nodes at percentageOfNodesToScore %i → %i', ([n, pct, want]) => {
    expect(numFeasibleNodesToFind(n, pct)).toBe(want);
  });
});

const FREE_PORTS = "node(s) didn't have free ports for the requested pod ports";
const CP_TAINT = 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }';
const status = (code: Status['code'], ...reasons: string[]): Status => ({ code, reasons, plugin: 'P' });

describe('fitErrorMessage', () => {
  test('counts each reason over the nodes and sorts as Go sort.Strings (byte order)', () => {
    const nodeToStatus = new Map<string, Status>();
    for (let i = 0; i < 10; i++) nodeToStatus.set(`w${i}`, status('Unschedulable', FREE_PORTS));
    nodeToStatus.set('cp1', status('UnschedulableAndUnresolvable', CP_TAINT));
    nodeToStatus.set('cp2', status('UnschedulableAndUnresolvable', CP_TAINT));
    // "10 node(s)…" sorts before "2 node(s)…": '1' < '2'.
    expect(fitErrorMessage(12, { nodeToStatus })).toBe(`0/12 nodes are available: 10 ${FREE_PORTS}, 2 ${CP_TAINT}.`);
  });

  test('equal counts sort by reason text', () => {
    const nodeToStatus = new Map<string, Status>([
      ['a', status('Unschedulable', FREE_PORTS)],
      ['b', status('UnschedulableAndUnresolvable', CP_TAINT)],
      ['c', status('UnschedulableAndUnresolvable', "node(s) didn't match Pod's node affinity/selector")],
    ]);
    expect(fitErrorMessage(3, { nodeToStatus })).toBe(
      `0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 1 node(s) didn't match Pod's node affinity/selector, 1 ${CP_TAINT}.`,
    );
  });

  test('a status with several reasons counts each of them', () => {
    const nodeToStatus = new Map<string, Status>([
      ['a', status('Unschedulable', 'Too many pods', 'Insufficient cpu')],
      ['b', status('Unschedulable', 'Insufficient cpu', 'Insufficient memory')],
    ]);
    expect(fitErrorMessage(2, { nodeToStatus })).toBe('0/2 nodes are available: 1 Insufficient memory, 1 Too many pods, 2 Insufficient cpu.');
  });

  test('the total is the number of nodes in the cluster, not of statuses', () => {
    const nodeToStatus = new Map<string, Status>([['a', status('Unschedulable', FREE_PORTS)]]);
    expect(fitErrorMessage(4, { nodeToStatus })).toBe(`0/4 nodes are available: 1 ${FREE_PORTS}.`);
  });

  test('a PreFilter rejection prints its message alone', () => {
    const nodeToStatus = new Map<string, Status>([['a', status('UnschedulableAndUnresolvable', 'x')], ['b', status('UnschedulableAndUnresolvable', 'x')]]);
    expect(fitErrorMessage(2, { nodeToStatus, preFilterMsg: 'pod affinity terms conflict' })).toBe('0/2 nodes are available: pod affinity terms conflict.');
  });

  test('the scheduler reports a PreFilter rejection in that form', () => {
    const rejecting: FilterPlugin = {
      name: 'Rejecting',
      preFilter: () => ({ status: unresolvable('Rejecting', 'pod affinity terms conflict') }),
      filter: () => SUCCESS,
    };
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes: [workerNode('n1'), workerNode('n2'), workerNode('n3')] });
    const r = new Scheduler(snapshot, { plugins: [rejecting] }).schedule(podOf(''));
    expect(r.node).toBeUndefined();
    expect(r.fitError?.message).toBe('0/3 nodes are available: pod affinity terms conflict.');
  });
});

let counter = 0;
function podOf(spec: string): SchedPod {
  const text = yaml`
    apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers: [{name: c, image: busybox${spec}}]
  `;
  const view = modelOf(text).podViews[0]!;
  return { shape: podShapeOf(view), name: `p${++counter}`, ordinal: 0, revision: 'current' };
}

describe('Scheduler', () => {
  const many = (n: number): ClusterNode[] => Array.from({ length: n }, (_, i) => workerNode(`n${i}`));

  /** A filter plugin that accepts every node and counts its calls. */
  const counting = (): FilterPlugin & { calls: string[] } => {
    const calls: string[] = [];
    return { name: 'Counting', calls, filter: (_s, _p, node) => (calls.push(node.name), SUCCESS) };
  };

  test('stops once enough feasible nodes are found and resumes where it stopped', () => {
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes: many(200) });
    const plugin = counting();
    const scheduler = new Scheduler(snapshot, { plugins: [plugin] });
    expect(scheduler.schedule(podOf('')).node).toBeDefined();
    expect(plugin.calls).toHaveLength(100);
    expect(plugin.calls[0]).toBe('n0');
    plugin.calls.length = 0;
    scheduler.schedule(podOf(''));
    expect(plugin.calls[0]).toBe('n100');
    expect(plugin.calls).toHaveLength(100);
  });

  test('findAll filters every node', () => {
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes: many(200) });
    const plugin = counting();
    new Scheduler(snapshot, { plugins: [plugin] }).schedule(podOf(''), true);
    expect(plugin.calls).toHaveLength(200);
  });

  test('below 100 nodes every node is filtered', () => {
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes: many(60) });
    const plugin = counting();
    new Scheduler(snapshot, { plugins: [plugin] }).schedule(podOf(''));
    expect(plugin.calls).toHaveLength(60);
  });

  test('the first plugin that says no decides the node', () => {
    const no = (name: string): FilterPlugin => ({ name, filter: () => unschedulable(name, `rejected by ${name}`) });
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes: many(2) });
    const r = new Scheduler(snapshot, { plugins: [no('A'), no('B')] }).schedule(podOf(''));
    expect(r.fitError?.message).toBe('0/2 nodes are available: 2 rejected by A.');
  });

  test('replicas spread: the node with the fewest pods of the same shape wins', () => {
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes: many(3) });
    const scheduler = new Scheduler(snapshot);
    const shape = podOf('').shape;
    const chosen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p: SchedPod = { shape, name: `r${i}`, ordinal: i, revision: 'current' };
      const r = scheduler.schedule(p);
      snapshot.bind(p, r.node!);
      chosen.push(r.node!.name);
    }
    expect([...chosen].sort()).toEqual(['n0', 'n0', 'n1', 'n1', 'n2', 'n2']);
    expect(new Set(chosen.slice(0, 3)).size).toBe(3);
  });
});

describe("the issue's example messages on the default cluster", () => {
  const daemonSet = (extra = '') => yaml`
    apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: ingress, namespace: ingress}
    spec:
      selector: {matchLabels: {app: ingress}}${extra}
      template:
        metadata: {labels: {app: ingress}}
        spec:
          containers:
            - name: nginx
              image: nginx
              ports: [{containerPort: 80, hostPort: 80}]
  `;
  const deployment = yaml`
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
            - name: web
              image: nginx
              ports: [{containerPort: 8080, hostPort: 80}]
  `;

  test('a Deployment wanting the port a DaemonSet holds stays Pending with the scheduler message', () => {
    const model = modelOf(`${daemonSet()}---\n${deployment}`);
    const placement = placeAll(model.podViews, model.cluster);
    const [ds, web] = placement.workloads;
    expect(ds!.pods.map((p) => [p.phase, p.node])).toEqual([['Scheduled', 'worker-1'], ['Scheduled', 'worker-2'], ['Scheduled', 'worker-3']]);
    expect(web!.pods).toHaveLength(2);
    for (const p of web!.pods) {
      expect(p.phase).toBe('Pending');
      expect(p.node).toBeUndefined();
      expect(p.fitError?.message).toBe(
        '0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn\'t have free ports for the requested pod ports.',
      );
      // Who holds the port, per node, in node order.
      expect(p.portBlocks.map((b) => [b.node, b.holders.map((h) => `${h.holder.shape.workload} ${h.hostIP}:${h.port}/${h.protocol}`)])).toEqual([
        ['worker-1', ['DaemonSet ingress/ingress 0.0.0.0:80/TCP']],
        ['worker-2', ['DaemonSet ingress/ingress 0.0.0.0:80/TCP']],
        ['worker-3', ['DaemonSet ingress/ingress 0.0.0.0:80/TCP']],
      ]);
    }
  });

  test("a DaemonSet surge pod waits with the NodeAffinity PreFilter's absent-node reason", () => {
    const model = modelOf(daemonSet('\n      updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}'));
    const placement = placeAll(model.podViews, model.cluster);
    const r = playRollout(placement, placement.workloads[0]!);
    expect(r.outcome).toBe('stalled');
    expect(r.waiting).toHaveLength(1);
    expect(r.waiting[0]!.pod.pinnedTo).toBe('worker-1');
    expect(r.waiting[0]!.fitError?.message).toBe(
      "0/4 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 3 node(s) didn't satisfy plugin(s) [NodeAffinity].",
    );
  });
});
