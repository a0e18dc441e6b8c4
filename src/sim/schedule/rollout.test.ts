/**
 * Rollouts played on the placed default cluster (3 workers, 1 tainted control plane): Deployment
 * RollingUpdate (25% defaults and rounding, ResolveFenceposts) and Recreate; DaemonSet
 * maxUnavailable (DS-4) and maxSurge (DS-5, the host-port deadlock); OnDelete; and the placement
 * left as it was found.
 */
import { describe, expect, test } from 'vitest';
import type { Cluster } from '../../model/cluster.js';
import { modelOf } from '../../testing/model.js';
import { yaml } from '../../testing/yaml.js';
import { resolveFenceposts, scaledValue } from './int-or-percent.js';
import { placeAll, type Placement } from './place.js';
import { hasRollout, playRollout, type RolloutResult } from './rollout.js';

const HOST_PORT = 'containers: [{name: c, image: x, ports: [{containerPort: 80, hostPort: 80}]}]';
const HOST_NETWORK = 'hostNetwork: true\ncontainers: [{name: c, image: x, ports: [{containerPort: 9100}]}]';
const NO_PORTS = 'containers: [{name: c, image: x}]';

const indent = (text: string, n: number): string => text.split('\n').filter((l) => l !== '').map((l) => ' '.repeat(n) + l).join('\n');

function deployment(replicas: number, strategy: string, podSpec = HOST_PORT, apiVersion = 'apps/v1'): string {
  return [
    `apiVersion: ${apiVersion}`,
    'kind: Deployment',
    'metadata: {name: web}',
    'spec:',
    `  replicas: ${replicas}`,
    ...(strategy ? [`  strategy: ${strategy}`] : []),
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    indent(podSpec, 6),
    '',
  ].join('\n');
}

function daemonSet(strategy: string, podSpec = HOST_PORT, apiVersion = 'apps/v1'): string {
  return [
    `apiVersion: ${apiVersion}`,
    'kind: DaemonSet',
    'metadata: {name: agent, namespace: kube-system}',
    'spec:',
    ...(strategy ? [`  updateStrategy: ${strategy}`] : []),
    '  selector: {matchLabels: {app: agent}}',
    '  template:',
    '    metadata: {labels: {app: agent}}',
    '    spec:',
    indent(podSpec, 6),
    '',
  ].join('\n');
}

function placed(source: string, cluster: Partial<Cluster> = {}): Placement {
  const model = modelOf(source, cluster);
  return placeAll(model.podViews, model.cluster);
}

/** Per node, the pods it holds and the ports held: the placement as a comparable value. */
function fingerprint(p: Placement): unknown {
  return p.nodes.map((n) => ({
    node: n.name,
    pods: n.pods.map((x) => x.name),
    ports: n.usedPorts.all().map((h) => `${h.hostIP}:${h.port}/${h.protocol}=${h.holder.name}`),
    requested: n.requested,
  }));
}

function roll(source: string, index = 0): { placement: Placement; result: RolloutResult } {
  const placement = placed(source);
  return { placement, result: playRollout(placement, placement.workloads[index]!) };
}

interface Case {
  readonly name: string;
  readonly source: string;
  readonly outcome: RolloutResult['outcome'];
  readonly maxSurge?: number;
  readonly maxUnavailable?: number;
  readonly waiting?: number;
}

const TAINT = '1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }';

describe('Deployment rollouts', () => {
  const cases: readonly Case[] = [
    { name: 'replicas 3, default strategy (25%/25% → surge 1, unavailable 0): stalls', source: deployment(3, ''), outcome: 'stalled', maxSurge: 1, maxUnavailable: 0, waiting: 1 },
    { name: 'replicas 2, default strategy: the spare node takes the surge pod', source: deployment(2, ''), outcome: 'complete', maxSurge: 1, maxUnavailable: 0 },
    { name: 'replicas 3, maxUnavailable 1', source: deployment(3, '{type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}'), outcome: 'complete', maxSurge: 1, maxUnavailable: 1 },
    { name: 'replicas 3, maxSurge 0 maxUnavailable 1', source: deployment(3, '{rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}'), outcome: 'complete', maxSurge: 0, maxUnavailable: 1 },
    { name: 'replicas 3, maxSurge 0% maxUnavailable 0% (fenceposts: unavailable 1)', source: deployment(3, '{rollingUpdate: {maxSurge: "0%", maxUnavailable: "0%"}}'), outcome: 'complete', maxSurge: 0, maxUnavailable: 1 },
    { name: 'replicas 4, default strategy (surge 1, unavailable 1): stalls', source: deployment(4, ''), outcome: 'stalled', maxSurge: 1, maxUnavailable: 1, waiting: 2 },
    { name: 'replicas 3, Recreate', source: deployment(3, '{type: Recreate}'), outcome: 'complete' },
    { name: 'replicas 3 without host ports: room to surge', source: deployment(3, '', NO_PORTS), outcome: 'complete', maxSurge: 1, maxUnavailable: 0 },
    { name: 'replicas 3, hostNetwork with a declared port: stalls', source: deployment(3, '', HOST_NETWORK), outcome: 'stalled', maxSurge: 1, maxUnavailable: 0, waiting: 1 },
    { name: 'extensions/v1beta1 defaults (1/1)', source: deployment(3, '', HOST_PORT, 'extensions/v1beta1'), outcome: 'complete', maxSurge: 1, maxUnavailable: 1 },
    { name: 'replicas 0', source: deployment(0, ''), outcome: 'complete' },
  ];

  test.for(cases.map((c) => [c.name, c] as const))('%s', ([, c]) => {
    const { placement, result } = roll(c.source);
    const before = fingerprint(placed(c.source));
    expect(result.outcome).toBe(c.outcome);
    if (c.maxSurge !== undefined) expect(result.maxSurge).toBe(c.maxSurge);
    if (c.maxUnavailable !== undefined) expect(result.maxUnavailable).toBe(c.maxUnavailable);
    expect(result.waiting).toHaveLength(c.waiting ?? 0);
    if (c.outcome === 'stalled') expect(result.steps.length).toBeGreaterThan(0);
    // The shared placement is as it was.
    expect(fingerprint(placement)).toEqual(before);
  });

  test('the stalled surge pod waits with the scheduler message naming the port', () => {
    const { result } = roll(deployment(3, ''));
    expect(result.strategy).toBe('RollingUpdate');
    expect(result.waiting[0]!.phase).toBe('Pending');
    expect(result.waiting[0]!.pod.revision).toBe('new');
    expect(result.waiting[0]!.fitError?.message).toBe(
      `0/4 nodes are available: ${TAINT}, 3 node(s) didn't have free ports for the requested pod ports.`,
    );
    expect(result.waiting[0]!.portBlocks.map((b) => b.node)).toEqual(['worker-1', 'worker-2', 'worker-3']);
    const last = result.steps.at(-1)!;
    expect([last.old, last.newBound, last.newWaiting]).toEqual([3, 0, 1]);
    expect(last.events.map((e) => e.action)).toEqual(['create', 'wait']);
  });

  test('a completed rolling update ends with only new pods bound, one step per replaced pod', () => {
    const { result } = roll(deployment(2, ''));
    const last = result.steps.at(-1)!;
    expect([last.old, last.newBound, last.newWaiting]).toEqual([0, 2, 0]);
    expect(result.steps.flatMap((s) => s.events.filter((e) => e.action === 'delete'))).toHaveLength(2);
    expect(result.steps.flatMap((s) => s.events.filter((e) => e.action === 'bind'))).toHaveLength(2);
  });

  test('Recreate deletes every old pod before creating the new ones', () => {
    const { result } = roll(deployment(3, '{type: Recreate}'));
    expect(result.steps.map((s) => s.events.map((e) => e.action))).toEqual([
      ['delete', 'delete', 'delete'],
      ['create', 'bind', 'create', 'bind', 'create', 'bind'],
    ]);
  });
});

describe('DaemonSet rollouts', () => {
  const surge = (s: number | string) => `{type: RollingUpdate, rollingUpdate: {maxSurge: ${JSON.stringify(s)}, maxUnavailable: 0}}`;
  const cases: readonly Case[] = [
    { name: 'default (maxUnavailable 1) with a host port (DS-4)', source: daemonSet(''), outcome: 'complete', maxSurge: 0, maxUnavailable: 1 },
    { name: 'maxUnavailable 50% of 3 rounds up to 2', source: daemonSet('{rollingUpdate: {maxUnavailable: "50%"}}'), outcome: 'complete', maxSurge: 0, maxUnavailable: 2 },
    { name: 'maxSurge 1 with a host port stalls (DS-5)', source: daemonSet(surge(1)), outcome: 'stalled', maxSurge: 1, maxUnavailable: 0, waiting: 1 },
    { name: 'maxSurge 1 with hostNetwork and a declared port stalls (DS-5)', source: daemonSet(surge(1), HOST_NETWORK), outcome: 'stalled', maxSurge: 1, maxUnavailable: 0, waiting: 1 },
    { name: 'maxSurge 100% with a host port: every surge pod waits', source: daemonSet(surge('100%')), outcome: 'stalled', maxSurge: 3, maxUnavailable: 0, waiting: 3 },
    { name: 'maxSurge 1 without host ports completes', source: daemonSet(surge(1), NO_PORTS), outcome: 'complete', maxSurge: 1, maxUnavailable: 0 },
    { name: 'maxSurge 0 and maxUnavailable 0 fall back to unavailable 1', source: daemonSet('{rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}'), outcome: 'complete', maxSurge: 0, maxUnavailable: 1 },
    { name: 'OnDelete is manual', source: daemonSet('{type: OnDelete}'), outcome: 'manual' },
    { name: 'extensions/v1beta1 defaults to OnDelete: manual', source: daemonSet('', HOST_PORT, 'extensions/v1beta1'), outcome: 'manual' },
  ];

  test.for(cases.map((c) => [c.name, c] as const))('%s', ([, c]) => {
    const { placement, result } = roll(c.source);
    const before = fingerprint(placed(c.source));
    expect(result.outcome).toBe(c.outcome);
    if (c.maxSurge !== undefined) expect(result.maxSurge).toBe(c.maxSurge);
    if (c.maxUnavailable !== undefined) expect(result.maxUnavailable).toBe(c.maxUnavailable);
    expect(result.waiting).toHaveLength(c.waiting ?? 0);
    if (c.outcome === 'manual') expect(result.steps).toEqual([]);
    expect(fingerprint(placement)).toEqual(before);
  });

  test('DS-4: one node at a time, the old pod deleted before its replacement is created', () => {
    const { result } = roll(daemonSet(''));
    expect(result.steps.map((s) => s.events.map((e) => `${e.action} ${e.node}`))).toEqual([
      ['delete worker-1', 'create worker-1', 'bind worker-1'],
      ['delete worker-2', 'create worker-2', 'bind worker-2'],
      ['delete worker-3', 'create worker-3', 'bind worker-3'],
    ]);
  });

  test('DS-5: the surge pod is pinned next to the old pod, which keeps the port', () => {
    const { result } = roll(daemonSet(surge(1)));
    const waiting = result.waiting[0]!;
    expect(waiting.pod.pinnedTo).toBe('worker-1');
    expect(waiting.fitError?.message).toBe(
      "0/4 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 3 node(s) didn't satisfy plugin(s) [NodeAffinity].",
    );
    expect(waiting.portBlocks.map((b) => [b.node, b.holders.map((h) => h.holder.name)])).toEqual([
      ['worker-1', ['DaemonSet kube-system/agent (pod for worker-1)']],
    ]);
    // No old pod was deleted.
    expect(result.steps.flatMap((s) => s.events).filter((e) => e.action === 'delete')).toEqual([]);
  });

  test('DS-5 without host ports: create, bind, then delete the old pod, node by node', () => {
    const { result } = roll(daemonSet(surge(1), NO_PORTS));
    const actions = result.steps.flatMap((s) => s.events.map((e) => `${e.action} ${e.node}`));
    for (const n of ['worker-1', 'worker-2', 'worker-3']) {
      const created = actions.indexOf(`create ${n}`);
      const bound = actions.indexOf(`bind ${n}`);
      const deleted = actions.indexOf(`delete ${n}`);
      expect(created).toBeGreaterThanOrEqual(0);
      expect(bound).toBeGreaterThan(created);
      expect(deleted).toBeGreaterThan(bound);
    }
  });
});

describe('other kinds', () => {
  test.for([
    ['a Pod', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n', false],
    ['a StatefulSet', yaml`
      apiVersion: apps/v1
      kind: StatefulSet
      metadata: {name: s}
      spec:
        serviceName: s
        selector: {matchLabels: {app: s}}
        template:
          metadata: {labels: {app: s}}
          spec: {containers: [{name: c, image: x}]}
    `, false],
    ['a Deployment', deployment(1, ''), true],
    ['a DaemonSet', daemonSet(''), true],
  ] as const)('%s: rollout played = %s', ([, source, played]) => {
    const p = placed(source);
    const w = p.workloads[0]!;
    expect(hasRollout(w)).toBe(played);
    if (!played) expect(playRollout(p, w).outcome).toBe('manual');
  });
});

describe('the placement after playRollout', () => {
  test('pods per node are unchanged after rollouts of every workload of a mixed set', () => {
    const source = [
      daemonSet(`{type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}`),
      deployment(3, '', 'containers: [{name: c, image: x, ports: [{containerPort: 8080, hostPort: 8080}], resources: {requests: {cpu: "1"}}}]'),
      deployment(2, '{type: Recreate}', NO_PORTS).replace('name: web', 'name: api').replaceAll('app: web', 'app: api'),
    ].join('---\n');
    const placement = placed(source);
    const before = fingerprint(placement);
    const outcomes = placement.workloads.map((w) => playRollout(placement, w).outcome);
    expect(outcomes).toEqual(['stalled', 'stalled', 'complete']);
    expect(fingerprint(placement)).toEqual(before);
    // And a second round plays the same way on the restored placement.
    expect(placement.workloads.map((w) => playRollout(placement, w).outcome)).toEqual(outcomes);
    expect(fingerprint(placement)).toEqual(before);
  });

  test('the same rollout twice gives the same steps', () => {
    const a = roll(deployment(4, '')).result;
    const b = roll(deployment(4, '')).result;
    const steps = (r: RolloutResult) => r.steps.map((s) => s.events.map((e) => `${e.action} ${e.pod} ${e.node ?? ''} ${e.message ?? ''}`));
    expect(steps(b)).toEqual(steps(a));
  });
});

describe('scaledValue and resolveFenceposts', () => {
  test.for([
    [1, 10, true, 1],
    [0, 10, false, 0],
    ['25%', 3, true, 1],
    ['25%', 3, false, 0],
    ['25%', 4, false, 1],
    ['50%', 3, true, 2],
    ['50%', 3, false, 1],
    ['100%', 5, false, 5],
    ['0%', 5, true, 0],
    ['10%', 0, true, 0],
    ['1%', 1, true, 1],
    ['abc', 3, true, undefined],
    ['25', 3, true, undefined],
    [-1, 3, true, undefined],
    [1.5, 3, true, undefined],
    [undefined, 3, true, undefined],
  ] as const)('scaledValue(%j, %i, roundUp %s) = %s', ([v, total, up, want]) => {
    expect(scaledValue(v, total, up)).toBe(want);
  });

  test.for([
    ['25%', '25%', 3, { surge: 1, unavailable: 0 }],
    ['25%', '25%', 4, { surge: 1, unavailable: 1 }],
    ['25%', '25%', 1, { surge: 1, unavailable: 0 }],
    ['25%', '25%', 0, { surge: 0, unavailable: 1 }],
    [0, 0, 3, { surge: 0, unavailable: 1 }],
    ['0%', '0%', 3, { surge: 0, unavailable: 1 }],
    [0, '10%', 3, { surge: 0, unavailable: 1 }],
    ['10%', '10%', 3, { surge: 1, unavailable: 0 }],
    [1, 1, 3, { surge: 1, unavailable: 1 }],
    [2, 0, 3, { surge: 2, unavailable: 0 }],
    ['x', 1, 3, undefined],
  ] as const)('resolveFenceposts(%j, %j, %i) = %j', ([s, u, replicas, want]) => {
    expect(resolveFenceposts(s, u, replicas)).toEqual(want);
  });
});
