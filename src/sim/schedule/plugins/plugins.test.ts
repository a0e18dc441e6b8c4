/**
 * Each filter plugin on its own, against kube-scheduler's behaviour and reason strings (SCHED-1..5
 * for NodePorts, DS-3 for the unschedulable toleration). Pods come from YAML through the model;
 * nodes are `workerNode()`s wrapped in NodeInfo.
 */
import { describe, expect, test } from 'vitest';
import type { ClusterNode, Taint } from '../../../model/cluster.js';
import { DEFAULT_CLUSTER } from '../../../model/default-cluster.js';
import { modelOf, workerNode } from '../../../testing/model.js';
import { yaml } from '../../../testing/yaml.js';
import type { CycleState, FilterPlugin, Snapshot, Status } from '../framework.js';
import { NodeInfo } from '../node-info.js';
import { PlacementSnapshot } from '../place.js';
import { Scheduler } from '../schedule-one.js';
import { podShapeOf, type SchedPod } from '../sched-pod.js';
import { interPodAffinity } from './inter-pod-affinity.js';
import { nodeAffinity } from './node-affinity.js';
import { nodeName } from './node-name.js';
import { nodePorts, portConflicts } from './node-ports.js';
import { nodeResourcesFit } from './node-resources-fit.js';
import { nodeUnschedulable } from './node-unschedulable.js';
import { taintToleration } from './taint-toleration.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** A Pod manifest with the given block-YAML spec (a default container is added when none is written). */
function podYaml(spec: string, metadata = 'name: p'): string {
  const body = spec.trim() === '' ? [] : spec.replace(/\n+$/, '').split('\n');
  if (!body.some((l) => l.startsWith('containers:'))) body.push('containers: [{name: c, image: busybox}]');
  const indent = (l: string): string => `  ${l}`;
  return ['apiVersion: v1', 'kind: Pod', 'metadata:', ...metadata.split('\n').map(indent), 'spec:', ...body.map(indent), ''].join('\n');
}

let podCounter = 0;

/** A SchedPod from a Pod spec written in YAML. */
function pod(spec: string, metadata?: string): SchedPod {
  const model = modelOf(podYaml(spec, metadata));
  const view = model.podViews[0];
  if (!view) throw new Error('the test pod has no pod view');
  return { shape: podShapeOf(view), name: `pod-${++podCounter}`, ordinal: 0, revision: 'current' };
}

const node = (name: string, extra: Partial<ClusterNode> = {}): ClusterNode => workerNode(name, extra);

/** A snapshot of empty nodes, for PreFilters that read it. */
const emptySnapshot = (...nodes: ClusterNode[]): PlacementSnapshot => new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes });

/** What a plugin says about a pod on a node: `Skip` when its PreFilter skips, else the Filter status. */
function verdict(plugin: FilterPlugin, p: SchedPod, n: NodeInfo, snapshot?: Snapshot): Status {
  const state: CycleState = new Map();
  const snap = snapshot ?? emptySnapshot(n.node);
  if (plugin.preFilter) {
    const r = plugin.preFilter(state, p, snap);
    if (r.status.code === 'Skip') return r.status;
    if (r.status.code !== 'Success') return r.status;
  }
  return plugin.filter(state, p, n);
}

/** The status as a comparable value: `Success`, `Skip`, or `<code>: reason; reason`. */
function show(s: Status): string {
  return s.code === 'Success' || s.code === 'Skip' ? s.code : `${s.code}: ${s.reasons.join('; ')}`;
}

interface Case {
  readonly name: string;
  readonly spec: string;
  readonly node?: Partial<ClusterNode>;
  /** `Success`, `Skip`, or `<code>: reason; reason`. */
  readonly want: string;
}

function runTable(plugin: FilterPlugin, cases: readonly Case[]): void {
  test.for(cases.map((c) => [c.name, c] as const))('%s', ([, c]) => {
    const n = new NodeInfo(node('n1', c.node), 0);
    expect(show(verdict(plugin, pod(c.spec), n))).toBe(c.want);
  });
}

const UNRESOLVABLE = 'UnschedulableAndUnresolvable';
const taint = (key: string, effect: Taint['effect'], value?: string): Taint => (value === undefined ? { key, effect } : { key, effect, value });

// ---------------------------------------------------------------------------------------------

describe('NodeUnschedulable', () => {
  const cordoned = { unschedulable: true };
  const no = `${UNRESOLVABLE}: node(s) were unschedulable`;
  runTable(nodeUnschedulable, [
    { name: 'a schedulable node takes any pod', spec: '', want: 'Success' },
    { name: 'a cordoned node rejects a plain pod', spec: '', node: cordoned, want: no },
    {
      name: 'the unschedulable toleration (DS-3) lets the pod in',
      spec: 'tolerations: [{key: node.kubernetes.io/unschedulable, operator: Exists, effect: NoSchedule}]',
      node: cordoned, want: 'Success',
    },
    { name: 'Exists with an empty key tolerates the cordon', spec: 'tolerations: [{operator: Exists}]', node: cordoned, want: 'Success' },
    {
      name: 'an effect-less toleration of the key tolerates the cordon',
      spec: 'tolerations: [{key: node.kubernetes.io/unschedulable, operator: Exists}]',
      node: cordoned, want: 'Success',
    },
    {
      name: 'a NoExecute toleration of the key does not',
      spec: 'tolerations: [{key: node.kubernetes.io/unschedulable, operator: Exists, effect: NoExecute}]',
      node: cordoned, want: no,
    },
    {
      name: 'a toleration of another key does not',
      spec: 'tolerations: [{key: node.kubernetes.io/not-ready, operator: Exists}]',
      node: cordoned, want: no,
    },
  ]);
});

describe('NodeName', () => {
  const no = `${UNRESOLVABLE}: node(s) didn't match the requested node name`;
  runTable(nodeName, [
    { name: 'no nodeName: any node', spec: '', want: 'Success' },
    { name: 'nodeName of this node', spec: 'nodeName: n1', want: 'Success' },
    { name: 'nodeName of another node', spec: 'nodeName: n2', want: no },
    { name: 'an empty nodeName means none', spec: 'nodeName: ""', want: 'Success' },
  ]);
});

describe('TaintToleration', () => {
  const untolerated = (kv: string): string => `${UNRESOLVABLE}: node(s) had untolerated taint {${kv}}`;
  runTable(taintToleration, [
    { name: 'an untainted node', spec: '', want: 'Success' },
    { name: 'NoSchedule with a value, untolerated: the exact reason', spec: '', node: { taints: [taint('dedicated', 'NoSchedule', 'infra')] }, want: untolerated('dedicated: infra') },
    { name: 'a taint without a value prints an empty value', spec: '', node: { taints: [taint('node-role.kubernetes.io/control-plane', 'NoSchedule')] }, want: untolerated('node-role.kubernetes.io/control-plane: ') },
    { name: 'NoExecute, untolerated', spec: '', node: { taints: [taint('gpu', 'NoExecute')] }, want: untolerated('gpu: ') },
    { name: 'PreferNoSchedule is ignored', spec: '', node: { taints: [taint('soft', 'PreferNoSchedule', 'x')] }, want: 'Success' },
    {
      name: 'the first untolerated NoSchedule/NoExecute taint is named, PreferNoSchedule skipped',
      spec: 'tolerations: [{key: a, operator: Exists}]',
      node: { taints: [taint('soft', 'PreferNoSchedule'), taint('a', 'NoSchedule'), taint('b', 'NoExecute', '1'), taint('c', 'NoSchedule', '2')] },
      want: untolerated('b: 1'),
    },
    { name: 'Exists with an empty key tolerates everything', spec: 'tolerations: [{operator: Exists}]', node: { taints: [taint('a', 'NoSchedule', 'x'), taint('b', 'NoExecute')] }, want: 'Success' },
    {
      name: 'Exists with an empty key and an effect tolerates that effect only',
      spec: 'tolerations: [{operator: Exists, effect: NoSchedule}]',
      node: { taints: [taint('a', 'NoSchedule', 'x'), taint('b', 'NoExecute')] },
      want: untolerated('b: '),
    },
    { name: 'Exists with a key tolerates any value of it', spec: 'tolerations: [{key: a, operator: Exists, effect: NoSchedule}]', node: { taints: [taint('a', 'NoSchedule', 'whatever')] }, want: 'Success' },
    { name: 'Equal with the same value', spec: 'tolerations: [{key: a, operator: Equal, value: x, effect: NoSchedule}]', node: { taints: [taint('a', 'NoSchedule', 'x')] }, want: 'Success' },
    { name: 'Equal with another value', spec: 'tolerations: [{key: a, operator: Equal, value: y, effect: NoSchedule}]', node: { taints: [taint('a', 'NoSchedule', 'x')] }, want: untolerated('a: x') },
    { name: 'the operator defaults to Equal', spec: 'tolerations: [{key: a, value: x}]', node: { taints: [taint('a', 'NoSchedule', 'x')] }, want: 'Success' },
    { name: 'Equal without a value matches a taint without a value', spec: 'tolerations: [{key: a, operator: Equal}]', node: { taints: [taint('a', 'NoSchedule')] }, want: 'Success' },
    { name: 'Equal without a value does not match a valued taint', spec: 'tolerations: [{key: a, operator: Equal}]', node: { taints: [taint('a', 'NoSchedule', 'x')] }, want: untolerated('a: x') },
    { name: 'an effect-less toleration covers NoSchedule and NoExecute', spec: 'tolerations: [{key: a, operator: Exists}]', node: { taints: [taint('a', 'NoSchedule'), taint('a', 'NoExecute')] }, want: 'Success' },
    { name: 'a NoSchedule toleration does not cover NoExecute', spec: 'tolerations: [{key: a, operator: Exists, effect: NoSchedule}]', node: { taints: [taint('a', 'NoExecute')] }, want: untolerated('a: ') },
    { name: 'a toleration of another key does not help', spec: 'tolerations: [{key: b, operator: Exists}]', node: { taints: [taint('a', 'NoSchedule')] }, want: untolerated('a: ') },
    { name: 'a numeric value compares as its string', spec: 'tolerations: [{key: a, operator: Equal, value: "1"}]', node: { taints: [taint('a', 'NoSchedule', '1')] }, want: 'Success' },
  ]);
});

describe('NodeAffinity', () => {
  const no = `${UNRESOLVABLE}: node(s) didn't match Pod's node affinity/selector`;
  const labels = { 'kubernetes.io/hostname': 'n1', disk: 'ssd', zone: 'a', cores: '8', empty: '', hex: '0x0' };
  const affinity = (terms: string): string => yaml`
    affinity:
      nodeAffinity:
        requiredDuringSchedulingIgnoredDuringExecution:
          nodeSelectorTerms: ${terms}
  `;
  const expr = (...e: string[]): string => affinity(`[{matchExpressions: [${e.join(', ')}]}]`);
  const cases: Case[] = [
    { name: 'no selector, no affinity', spec: '', want: 'Success' },
    { name: 'nodeSelector matches', spec: 'nodeSelector: {disk: ssd, zone: a}', want: 'Success' },
    { name: 'nodeSelector: one pair differs', spec: 'nodeSelector: {disk: ssd, zone: b}', want: no },
    { name: 'nodeSelector: label missing', spec: 'nodeSelector: {gpu: "true"}', want: no },
    { name: 'nodeSelector: an empty value matches an empty label', spec: 'nodeSelector: {empty: ""}', want: 'Success' },
    { name: 'In', spec: expr('{key: disk, operator: In, values: [hdd, ssd]}'), want: 'Success' },
    { name: 'In, no value matches', spec: expr('{key: disk, operator: In, values: [hdd]}'), want: no },
    { name: 'In on a missing label', spec: expr('{key: gpu, operator: In, values: [a]}'), want: no },
    { name: 'NotIn', spec: expr('{key: disk, operator: NotIn, values: [hdd]}'), want: 'Success' },
    { name: 'NotIn, value listed', spec: expr('{key: disk, operator: NotIn, values: [ssd]}'), want: no },
    { name: 'NotIn on a missing label matches', spec: expr('{key: gpu, operator: NotIn, values: [a]}'), want: 'Success' },
    { name: 'Exists', spec: expr('{key: disk, operator: Exists}'), want: 'Success' },
    { name: 'Exists on an empty label', spec: expr('{key: empty, operator: Exists}'), want: 'Success' },
    { name: 'Exists on a missing label', spec: expr('{key: gpu, operator: Exists}'), want: no },
    { name: 'DoesNotExist on a missing label', spec: expr('{key: gpu, operator: DoesNotExist}'), want: 'Success' },
    { name: 'DoesNotExist on a present label', spec: expr('{key: disk, operator: DoesNotExist}'), want: no },
    { name: 'Gt, greater', spec: expr('{key: cores, operator: Gt, values: ["4"]}'), want: 'Success' },
    { name: 'Gt, equal', spec: expr('{key: cores, operator: Gt, values: ["8"]}'), want: no },
    { name: 'Lt, smaller', spec: expr('{key: cores, operator: Lt, values: ["16"]}'), want: 'Success' },
    { name: 'Lt, equal', spec: expr('{key: cores, operator: Lt, values: ["8"]}'), want: no },
    // Upstream parses both sides with strconv.ParseInt(s, 10, 64); labels such as "", "0x1" or
    // " 1" match nothing there but are read as numbers by the simulator (a known divergence).
    { name: 'Gt on a non-numeric label', spec: expr('{key: disk, operator: Gt, values: ["1"]}'), want: no },
    { name: 'Gt on a missing label', spec: expr('{key: gpu, operator: Gt, values: ["1"]}'), want: no },
    // strconv.ParseInt: only an optional sign and decimal digits are integers.
    { name: 'Lt on a label of hex digits', spec: expr('{key: hex, operator: Lt, values: ["1"]}'), want: no },
    { name: 'Lt on an empty label', spec: expr('{key: empty, operator: Lt, values: ["1"]}'), want: no },
    { name: 'Gt with an empty value', spec: expr('{key: cores, operator: Gt, values: [""]}'), want: no },
    { name: 'Gt with two values is invalid', spec: expr('{key: cores, operator: Gt, values: ["1", "2"]}'), want: no },
    { name: 'an unknown operator matches nothing', spec: expr('{key: disk, operator: Matches, values: [ssd]}'), want: no },
    { name: 'expressions in a term are ANDed (both hold)', spec: expr('{key: disk, operator: In, values: [ssd]}', '{key: zone, operator: In, values: [a]}'), want: 'Success' },
    { name: 'expressions in a term are ANDed (one fails)', spec: expr('{key: disk, operator: In, values: [ssd]}', '{key: zone, operator: In, values: [b]}'), want: no },
    {
      name: 'terms are ORed (the second matches)',
      spec: affinity('[{matchExpressions: [{key: zone, operator: In, values: [b]}]}, {matchExpressions: [{key: disk, operator: In, values: [ssd]}]}]'),
      want: 'Success',
    },
    {
      name: 'terms are ORed (none matches)',
      spec: affinity('[{matchExpressions: [{key: zone, operator: In, values: [b]}]}, {matchExpressions: [{key: disk, operator: In, values: [hdd]}]}]'),
      want: no,
    },
    { name: 'matchFields metadata.name In this node', spec: affinity('[{matchFields: [{key: metadata.name, operator: In, values: [n1]}]}]'), want: 'Success' },
    { name: 'matchFields metadata.name In another node', spec: affinity('[{matchFields: [{key: metadata.name, operator: In, values: [n2]}]}]'), want: no },
    { name: 'matchFields metadata.name NotIn this node', spec: affinity('[{matchFields: [{key: metadata.name, operator: NotIn, values: [n1]}]}]'), want: no },
    { name: 'matchFields on another field matches nothing', spec: affinity('[{matchFields: [{key: metadata.uid, operator: In, values: [n1]}]}]'), want: no },
    {
      name: 'matchFields and matchExpressions in one term are ANDed',
      spec: affinity('[{matchFields: [{key: metadata.name, operator: In, values: [n1]}], matchExpressions: [{key: disk, operator: In, values: [hdd]}]}]'),
      want: no,
    },
    { name: 'empty nodeSelectorTerms match nothing', spec: affinity('[]'), want: no },
    { name: 'an empty term matches nothing', spec: affinity('[{}]'), want: no },
    {
      name: 'an empty term beside a matching term',
      spec: affinity('[{}, {matchExpressions: [{key: disk, operator: Exists}]}]'),
      want: 'Success',
    },
    {
      name: 'nodeSelector and affinity must both hold',
      spec: `nodeSelector: {zone: b}\n${expr('{key: disk, operator: In, values: [ssd]}')}`,
      want: no,
    },
  ];
  test.for(cases.map((c) => [c.name, c] as const))('%s', ([, c]) => {
    const n = new NodeInfo(node('n1', { labels: { ...labels, ...c.node?.labels } }), 0);
    expect(show(verdict(nodeAffinity, pod(c.spec), n))).toBe(c.want);
  });

  describe('PreFilter pinning', () => {
    const pinning = (terms: string): ReadonlySet<string> | undefined => {
      const r = nodeAffinity.preFilter!(new Map(), pod(affinity(terms)), emptySnapshot());
      expect(r.status.code).toBe('Success');
      return r.nodeNames;
    };
    test.for([
      ['one term naming two nodes', '[{matchFields: [{key: metadata.name, operator: In, values: [n2, n3]}]}]', ['n2', 'n3']],
      ['two terms naming a node each (union)', '[{matchFields: [{key: metadata.name, operator: In, values: [n1]}]}, {matchFields: [{key: metadata.name, operator: In, values: [n3]}]}]', ['n1', 'n3']],
      ['a term without metadata.name allows every node', '[{matchFields: [{key: metadata.name, operator: In, values: [n1]}]}, {matchExpressions: [{key: disk, operator: Exists}]}]', undefined],
      ['NotIn does not pin', '[{matchFields: [{key: metadata.name, operator: NotIn, values: [n1]}]}]', undefined],
      ['expressions only do not pin', '[{matchExpressions: [{key: disk, operator: Exists}]}]', undefined],
    ] as const)('%s', ([, terms, want]) => {
      const got = pinning(terms);
      expect(got === undefined ? undefined : [...got].sort()).toEqual(want);
    });

    test('no required affinity: no pinning', () => {
      const r = nodeAffinity.preFilter!(new Map(), pod(''), emptySnapshot());
      expect(r.nodeNames).toBeUndefined();
    });

    test('a DaemonSet pod pinned by DS-2 is narrowed to its node', () => {
      const p: SchedPod = { ...pod(''), pinnedTo: 'n2' };
      const r = nodeAffinity.preFilter!(new Map(), p, emptySnapshot());
      expect([...r.nodeNames!]).toEqual(['n2']);
      expect(show(nodeAffinity.filter(new Map(), p, new NodeInfo(node('n1'), 0)))).toBe(no);
      expect(show(nodeAffinity.filter(new Map(), p, new NodeInfo(node('n2'), 1)))).toBe('Success');
    });

    test('the nodes a PreFilter ruled out share one reason in the scheduler message', () => {
      const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes: [node('n1'), node('n2'), node('n3')] });
      const p = pod(`nodeSelector: {disk: ssd}\n${affinity('[{matchFields: [{key: metadata.name, operator: In, values: [n2]}]}]')}`);
      const r = new Scheduler(snapshot).schedule(p);
      expect(r.node).toBeUndefined();
      expect(r.fitError?.message).toBe(
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].",
      );
      // Only the pinned node was filtered, with the NodeAffinity reason.
      expect(r.statuses.get('n2')?.reasons).toEqual(["node(s) didn't match Pod's node affinity/selector"]);
    });

    test('a pinned pod lands on its node', () => {
      const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes: [node('n1'), node('n2'), node('n3')] });
      const r = new Scheduler(snapshot).schedule(pod(affinity('[{matchFields: [{key: metadata.name, operator: In, values: [n3]}]}]')));
      expect(r.node?.name).toBe('n3');
    });
  });
});

describe('NodePorts', () => {
  const no = "Unschedulable: node(s) didn't have free ports for the requested pod ports";
  /** A node already running pods with the given specs. */
  const nodeWith = (...specs: string[]): NodeInfo => {
    const n = new NodeInfo(node('n1'), 0);
    for (const s of specs) n.addPod(pod(s));
    return n;
  };
  const ports = (list: string): string => `containers: [{name: c, image: x, ports: ${list}}]`;
  const hostNet = (list: string): string => `hostNetwork: true\n${ports(list)}`;
  const sidecar = (list: string): string => yaml`
    initContainers: [{name: s, image: x, restartPolicy: Always, ports: ${list}}]
    containers: [{name: c, image: x}]
  `;
  const initOnly = (list: string): string => yaml`
    initContainers: [{name: i, image: x, ports: ${list}}]
    containers: [{name: c, image: x}]
  `;

  const cases: ReadonlyArray<{ name: string; existing: string[]; spec: string; want: string }> = [
    { name: 'a pod without host ports skips the plugin (SCHED-5)', existing: [ports('[{containerPort: 80, hostPort: 80}]')], spec: ports('[{containerPort: 80}]'), want: 'Skip' },
    { name: 'a pod with no ports at all skips', existing: [], spec: '', want: 'Skip' },
    { name: 'hostPort 0 is no host port', existing: [ports('[{containerPort: 80, hostPort: 80}]')], spec: ports('[{containerPort: 80, hostPort: 0}]'), want: 'Skip' },
    { name: 'a free port', existing: [ports('[{containerPort: 80, hostPort: 80}]')], spec: ports('[{containerPort: 80, hostPort: 81}]'), want: 'Success' },
    { name: 'the same port', existing: [ports('[{containerPort: 80, hostPort: 80}]')], spec: ports('[{containerPort: 8080, hostPort: 80}]'), want: no },
    { name: 'the same port, other protocol', existing: [ports('[{containerPort: 53, hostPort: 53}]')], spec: ports('[{containerPort: 53, hostPort: 53, protocol: UDP}]'), want: 'Success' },
    { name: 'two specific hostIPs', existing: [ports('[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.1}]')], spec: ports('[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.2}]'), want: 'Success' },
    { name: 'a wildcard against a specific hostIP', existing: [ports('[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.1}]')], spec: ports('[{containerPort: 80, hostPort: 80}]'), want: no },
    { name: 'any of several wanted ports', existing: [ports('[{containerPort: 443, hostPort: 443}]')], spec: ports('[{containerPort: 80, hostPort: 80}, {containerPort: 443, hostPort: 443}]'), want: no },
    { name: 'hostNetwork containerPort implies the host port (SCHED-4)', existing: [ports('[{containerPort: 80, hostPort: 8080}]')], spec: hostNet('[{containerPort: 8080}]'), want: no },
    { name: 'an existing hostNetwork pod holds its declared port', existing: [hostNet('[{containerPort: 9100}]')], spec: ports('[{containerPort: 9100, hostPort: 9100}]'), want: no },
    { name: 'a restartable init container holds its port (SCHED-1)', existing: [sidecar('[{containerPort: 9000, hostPort: 9000}]')], spec: ports('[{containerPort: 9000, hostPort: 9000}]'), want: no },
    { name: 'a restartable init container wants its port (SCHED-1)', existing: [ports('[{containerPort: 9000, hostPort: 9000}]')], spec: sidecar('[{containerPort: 9000, hostPort: 9000}]'), want: no },
    { name: 'a run-to-completion init container holds nothing', existing: [initOnly('[{containerPort: 9000, hostPort: 9000}]')], spec: ports('[{containerPort: 9000, hostPort: 9000}]'), want: 'Success' },
    { name: 'a run-to-completion init container wants nothing', existing: [ports('[{containerPort: 9000, hostPort: 9000}]')], spec: initOnly('[{containerPort: 9000, hostPort: 9000}]'), want: 'Skip' },
    {
      name: 'an ephemeral container holds nothing',
      existing: [`containers: [{name: c, image: x}]\nephemeralContainers: [{name: e, image: x, ports: [{containerPort: 7000, hostPort: 7000}]}]`],
      spec: ports('[{containerPort: 7000, hostPort: 7000}]'),
      want: 'Success',
    },
    { name: 'duplicates inside the incoming pod are not checked (SCHED-6)', existing: [], spec: ports('[{containerPort: 80, hostPort: 80}, {containerPort: 81, hostPort: 80}]'), want: 'Success' },
  ];
  test.for(cases.map((c) => [c.name, c] as const))('%s', ([, c]) => {
    expect(show(verdict(nodePorts, pod(c.spec), nodeWith(...c.existing)))).toBe(c.want);
  });

  test('portConflicts names the pods holding the wanted ports', () => {
    const n = new NodeInfo(node('n1'), 0);
    const a = pod(ports('[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.1}]'));
    const b = pod(ports('[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.2}, {containerPort: 443, hostPort: 443}]'));
    const c = pod(ports('[{containerPort: 80, hostPort: 80, protocol: UDP}]'));
    for (const p of [a, b, c]) n.addPod(p);
    const wanted = pod(ports('[{containerPort: 80, hostPort: 80}, {containerPort: 443, hostPort: 443}]'));
    expect(portConflicts(wanted, n).map((h) => [h.holder.name, `${h.hostIP}:${h.port}/${h.protocol}`])).toEqual([
      [a.name, '10.0.0.1:80/TCP'],
      [b.name, '10.0.0.2:80/TCP'],
      [b.name, '0.0.0.0:443/TCP'],
    ]);
    const specific = pod(ports('[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.2}]'));
    expect(portConflicts(specific, n).map((h) => h.holder.name)).toEqual([b.name]);
  });

  test('removing the holder frees the port', () => {
    const holder = pod(ports('[{containerPort: 80, hostPort: 80}]'));
    const n = new NodeInfo(node('n1'), 0);
    n.addPod(holder);
    const wanted = pod(ports('[{containerPort: 80, hostPort: 80}]'));
    expect(show(verdict(nodePorts, wanted, n))).toBe(no);
    expect(n.removePod(holder)).toBe(0);
    expect(show(verdict(nodePorts, wanted, n))).toBe('Success');
  });
});

describe('NodeResourcesFit', () => {
  const res = (r: string): string => `containers: [{name: c, image: x, resources: ${r}}]`;
  const cases: ReadonlyArray<{ name: string; allocatable?: Record<string, string>; existing?: string[]; spec: string; want: string }> = [
    { name: 'fits', spec: res('{requests: {cpu: "1", memory: 1Gi}}'), want: 'Success' },
    { name: 'no requests fit on a full node', allocatable: { cpu: '1', memory: '1Gi', pods: '110' }, existing: [res('{requests: {cpu: "1", memory: 1Gi}}')], spec: '', want: 'Success' },
    { name: 'Too many pods', allocatable: { cpu: '4', memory: '16Gi', pods: '2' }, existing: ['', ''], spec: '', want: 'Unschedulable: Too many pods' },
    { name: 'the last pod slot', allocatable: { cpu: '4', memory: '16Gi', pods: '2' }, existing: [''], spec: '', want: 'Success' },
    { name: 'Insufficient cpu', spec: res('{requests: {cpu: "5"}}'), want: 'Unschedulable: Insufficient cpu' },
    { name: 'exactly the allocatable cpu fits', spec: res('{requests: {cpu: 4000m}}'), want: 'Success' },
    { name: 'Insufficient memory', spec: res('{requests: {memory: 17Gi}}'), want: 'Unschedulable: Insufficient memory' },
    { name: 'cpu, then memory', spec: res('{requests: {memory: 17Gi, cpu: "5"}}'), want: 'Unschedulable: Insufficient cpu; Insufficient memory' },
    {
      name: 'pods, cpu, memory in upstream order',
      allocatable: { cpu: '1', memory: '1Gi', pods: '1' }, existing: [''],
      spec: res('{requests: {memory: 2Gi, cpu: "2"}}'),
      want: 'Unschedulable: Too many pods; Insufficient cpu; Insufficient memory',
    },
    { name: 'Insufficient ephemeral-storage', allocatable: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '10Gi' }, spec: res('{requests: {ephemeral-storage: 20Gi}}'), want: 'Unschedulable: Insufficient ephemeral-storage' },
    { name: 'requests of the pods already there count', existing: [res('{requests: {cpu: "3"}}')], spec: res('{requests: {cpu: 1500m}}'), want: 'Unschedulable: Insufficient cpu' },
    { name: 'requests of the pods already there leave room', existing: [res('{requests: {cpu: "3"}}')], spec: res('{requests: {cpu: 1000m}}'), want: 'Success' },
    { name: 'a limit without a request is the request (cpu)', spec: res('{limits: {cpu: "5"}}'), want: 'Unschedulable: Insufficient cpu' },
    { name: 'a limit without a request is the request (memory)', spec: res('{limits: {memory: 20Gi}}'), want: 'Unschedulable: Insufficient memory' },
    { name: 'a request beside a larger limit counts as written', spec: res('{requests: {cpu: "1"}, limits: {cpu: "8"}}'), want: 'Success' },
    { name: 'the limit defaults each resource on its own', spec: res('{requests: {cpu: "1"}, limits: {memory: 20Gi}}'), want: 'Unschedulable: Insufficient memory' },
    { name: 'containers add up', spec: 'containers: [{name: a, image: x, resources: {requests: {cpu: "2"}}}, {name: b, image: x, resources: {requests: {cpu: 2500m}}}]', want: 'Unschedulable: Insufficient cpu' },
    {
      name: 'an init container larger than the sum decides (init max rule)',
      spec: yaml`
        initContainers: [{name: i, image: x, resources: {requests: {cpu: "5"}}}]
        containers: [{name: a, image: x, resources: {requests: {cpu: "1"}}}]
      `,
      want: 'Unschedulable: Insufficient cpu',
    },
    {
      name: 'init containers run one at a time (not summed)',
      spec: yaml`
        initContainers: [{name: i1, image: x, resources: {requests: {cpu: "3"}}}, {name: i2, image: x, resources: {requests: {cpu: "3"}}}]
        containers: [{name: a, image: x, resources: {requests: {cpu: "1"}}}]
      `,
      want: 'Success',
    },
  ];
  test.for(cases.map((c) => [c.name, c] as const))('%s', ([, c]) => {
    const n = new NodeInfo(node('n1', c.allocatable ? { allocatable: c.allocatable } : {}), 0);
    for (const s of c.existing ?? []) n.addPod(pod(s));
    expect(show(verdict(nodeResourcesFit, pod(c.spec), n))).toBe(c.want);
  });

  test.for([
    ['containers only', 'containers: [{name: a, image: x, resources: {requests: {cpu: 100m, memory: 64Mi}}}, {name: b, image: x, resources: {requests: {cpu: 200m, memory: 64Mi}}}]', 300, 128 * 2 ** 20],
    ['init larger than containers', 'initContainers: [{name: i, image: x, resources: {requests: {cpu: "1"}}}]\ncontainers: [{name: a, image: x, resources: {requests: {cpu: 300m}}}]', 1000, 0],
    ['init smaller than containers', 'initContainers: [{name: i, image: x, resources: {requests: {cpu: 100m}}}]\ncontainers: [{name: a, image: x, resources: {requests: {cpu: 300m}}}]', 300, 0],
    // A sidecar runs beside the main containers and beside every init container after it.
    ['sidecar + later init container', 'initContainers: [{name: s, image: x, restartPolicy: Always, resources: {requests: {cpu: 500m}}}, {name: i, image: x, resources: {requests: {cpu: "1"}}}]\ncontainers: [{name: a, image: x, resources: {requests: {cpu: 200m}}}]', 1500, 0],
    ['sidecar + containers', 'initContainers: [{name: s, image: x, restartPolicy: Always, resources: {requests: {cpu: 500m}}}]\ncontainers: [{name: a, image: x, resources: {requests: {cpu: 200m}}}]', 700, 0],
    ['init before the sidecar does not add it', 'initContainers: [{name: i, image: x, resources: {requests: {cpu: 600m}}}, {name: s, image: x, restartPolicy: Always, resources: {requests: {cpu: 500m}}}]\ncontainers: [{name: a, image: x, resources: {requests: {cpu: 200m}}}]', 700, 0],
    ['limits default requests', 'containers: [{name: a, image: x, resources: {limits: {cpu: 250m, memory: 1Gi}}}]', 250, 2 ** 30],
    ['fractional and decimal quantities', 'containers: [{name: a, image: x, resources: {requests: {cpu: "0.5", memory: 1G}}}]', 500, 1e9],
  ] as const)('effective requests: %s', ([, spec, cpu, memory]) => {
    const r = pod(spec).shape.requests;
    expect([r.milliCPU, r.memory]).toEqual([cpu, memory]);
  });
});

describe('InterPodAffinity', () => {
  const ANTI = "node(s) didn't match pod anti-affinity rules";
  const EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules";
  const AFFINITY = "node(s) didn't match pod affinity rules";
  const host = (name: string, zone: string): ClusterNode => node(name, { labels: { 'kubernetes.io/hostname': name, zone } });
  // n1 and n2 share zone a; n3 is zone b; n4 has no zone label.
  const nodes = [host('n1', 'a'), host('n2', 'a'), host('n3', 'b'), node('n4')];

  const meta = (labels: string, namespace = 'default'): string => `name: p\nnamespace: ${namespace}\nlabels: ${labels}`;
  const term = (selector: string, topologyKey = 'kubernetes.io/hostname', extra = ''): string =>
    `{labelSelector: ${selector}, topologyKey: ${topologyKey}${extra}}`;
  const anti = (...terms: string[]): string => `affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [${terms.join(', ')}]}}`;
  const aff = (...terms: string[]): string => `affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [${terms.join(', ')}]}}`;

  interface Existing { readonly on: string; readonly spec: string; readonly meta: string }
  interface AffCase {
    readonly name: string;
    readonly existing: readonly Existing[];
    readonly spec: string;
    readonly meta: string;
    /** Per node n1..n4: `ok` (Success, or the PreFilter skipped) or the reason. */
    readonly want: readonly [string, string, string, string];
  }

  const cases: readonly AffCase[] = [
    {
      name: 'no terms anywhere',
      existing: [{ on: 'n1', spec: '', meta: meta('{app: web}') }],
      spec: '', meta: meta('{app: web}'),
      want: ['ok', 'ok', 'ok', 'ok'],
    },
    {
      name: 'incoming anti-affinity, hostname: only the node holding a match',
      existing: [{ on: 'n1', spec: '', meta: meta('{app: web}') }],
      spec: anti(term('{matchLabels: {app: web}}')), meta: meta('{app: other}'),
      want: [ANTI, 'ok', 'ok', 'ok'],
    },
    {
      name: 'incoming anti-affinity, zone: every node of the zone; a node without the key passes',
      existing: [{ on: 'n1', spec: '', meta: meta('{app: web}') }],
      spec: anti(term('{matchLabels: {app: web}}', 'zone')), meta: meta('{app: other}'),
      want: [ANTI, ANTI, 'ok', 'ok'],
    },
    {
      name: 'incoming anti-affinity ignores pods of another namespace by default',
      existing: [{ on: 'n1', spec: '', meta: meta('{app: web}', 'other') }],
      spec: anti(term('{matchLabels: {app: web}}')), meta: meta('{app: x}'),
      want: ['ok', 'ok', 'ok', 'ok'],
    },
    {
      name: 'incoming anti-affinity with namespaces listed',
      existing: [{ on: 'n1', spec: '', meta: meta('{app: web}', 'other') }],
      spec: anti(term('{matchLabels: {app: web}}', 'kubernetes.io/hostname', ', namespaces: [other]')), meta: meta('{app: x}'),
      want: [ANTI, 'ok', 'ok', 'ok'],
    },
    {
      name: 'incoming anti-affinity with an empty namespaceSelector looks everywhere',
      existing: [{ on: 'n2', spec: '', meta: meta('{app: web}', 'other') }],
      spec: anti(term('{matchLabels: {app: web}}', 'kubernetes.io/hostname', ', namespaceSelector: {}')), meta: meta('{app: x}'),
      want: ['ok', ANTI, 'ok', 'ok'],
    },
    {
      name: "existing pods' anti-affinity rejects the incoming pod",
      existing: [{ on: 'n1', spec: anti(term('{matchLabels: {app: db}}')), meta: meta('{app: web}') }],
      spec: '', meta: meta('{app: db}'),
      want: [EXISTING, 'ok', 'ok', 'ok'],
    },
    {
      name: "existing pods' anti-affinity by zone",
      existing: [{ on: 'n3', spec: anti(term('{matchLabels: {app: db}}', 'zone')), meta: meta('{app: web}') }],
      spec: '', meta: meta('{app: db}'),
      want: ['ok', 'ok', EXISTING, 'ok'],
    },
    {
      name: "existing pods' anti-affinity does not match other labels",
      existing: [{ on: 'n1', spec: anti(term('{matchLabels: {app: db}}')), meta: meta('{app: web}') }],
      spec: '', meta: meta('{app: cache}'),
      want: ['ok', 'ok', 'ok', 'ok'],
    },
    {
      name: "existing pods' anti-affinity looks in their own namespace by default",
      existing: [{ on: 'n1', spec: anti(term('{matchLabels: {app: db}}')), meta: meta('{app: web}', 'other') }],
      spec: '', meta: meta('{app: db}'),
      want: ['ok', 'ok', 'ok', 'ok'],
    },
    {
      name: 'affinity: only where a matching pod runs; a node without the key fails',
      existing: [{ on: 'n1', spec: '', meta: meta('{app: cache}') }],
      spec: aff(term('{matchLabels: {app: cache}}')), meta: meta('{app: web}'),
      want: ['ok', AFFINITY, AFFINITY, AFFINITY],
    },
    {
      name: 'affinity by zone',
      existing: [{ on: 'n2', spec: '', meta: meta('{app: cache}') }],
      spec: aff(term('{matchLabels: {app: cache}}', 'zone')), meta: meta('{app: web}'),
      want: ['ok', 'ok', AFFINITY, AFFINITY],
    },
    {
      name: 'affinity to pods that do not exist, not matching itself: nowhere',
      existing: [],
      spec: aff(term('{matchLabels: {app: cache}}')), meta: meta('{app: web}'),
      want: [AFFINITY, AFFINITY, AFFINITY, AFFINITY],
    },
    {
      name: 'the first pod of a self-affine group may go anywhere the key exists',
      existing: [],
      spec: aff(term('{matchLabels: {app: web}}', 'zone')), meta: meta('{app: web}'),
      want: ['ok', 'ok', 'ok', AFFINITY],
    },
    {
      name: 'once a group member runs, the exception no longer applies',
      existing: [{ on: 'n3', spec: '', meta: meta('{app: web}') }],
      spec: aff(term('{matchLabels: {app: web}}', 'zone')), meta: meta('{app: web}'),
      want: [AFFINITY, AFFINITY, 'ok', AFFINITY],
    },
    {
      name: 'the exception needs the pod to match its own terms',
      existing: [],
      spec: aff(term('{matchLabels: {app: web}}'), term('{matchLabels: {tier: front}}')), meta: meta('{app: web}'),
      want: [AFFINITY, AFFINITY, AFFINITY, AFFINITY],
    },
  ];

  test.for(cases.map((c) => [c.name, c] as const))('%s', ([, c]) => {
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes });
    for (const e of c.existing) snapshot.bind(pod(e.spec, e.meta), snapshot.byName.get(e.on)!);
    const incoming = pod(c.spec, c.meta);
    const got = snapshot.nodes.map((n) => {
      const s = verdict(interPodAffinity, incoming, n, snapshot);
      if (s.code === 'Skip' || s.code === 'Success') return 'ok';
      // Upstream: a pod's own affinity fails as UnschedulableAndUnresolvable, anti-affinity as Unschedulable.
      expect(s.code).toBe(s.reasons[0] === AFFINITY ? 'UnschedulableAndUnresolvable' : 'Unschedulable');
      return s.reasons.join('; ');
    });
    expect(got).toEqual(c.want);
  });

  test('PreFilter skips a pod without terms when no placed pod has anti-affinity', () => {
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes });
    snapshot.bind(pod(aff(term('{matchLabels: {app: x}}')), meta('{app: web}')), snapshot.byName.get('n1')!);
    const r = interPodAffinity.preFilter!(new Map(), pod('', meta('{app: x}')), snapshot);
    expect(r.status.code).toBe('Skip');
  });

  test('an unbound pod no longer counts', () => {
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes });
    const existing = pod(anti(term('{matchLabels: {app: db}}')), meta('{app: web}'));
    const n1 = snapshot.byName.get('n1')!;
    snapshot.bind(existing, n1);
    const incoming = pod('', meta('{app: db}'));
    expect(verdict(interPodAffinity, incoming, n1, snapshot).reasons).toEqual([EXISTING]);
    snapshot.unbind(existing, n1);
    expect(['Skip', 'Success']).toContain(verdict(interPodAffinity, incoming, n1, snapshot).code);
  });

  test('upstream order: the pod\'s own affinity is checked before placed pods\' anti-affinity (filtering.go#Filter)', () => {
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes });
    const n1 = snapshot.byName.get('n1')!;
    snapshot.bind(pod(anti(term('{matchLabels: {app: b}}')), meta('{app: a}')), n1);
    const incoming = pod(aff(term('{matchLabels: {app: c}}')), meta('{app: b}'));
    const s = verdict(interPodAffinity, incoming, n1, snapshot);
    expect([s.code, ...s.reasons]).toEqual(['UnschedulableAndUnresolvable', AFFINITY]);
  });

  test('a placed pod counts towards affinity only when it matches every term (podMatchesAllAffinityTerms)', () => {
    const snapshot = new PlacementSnapshot({ ...DEFAULT_CLUSTER, nodes });
    const n1 = snapshot.byName.get('n1')!;
    snapshot.bind(pod('', meta('{app: x}')), n1);
    snapshot.bind(pod('', meta('{tier: y}')), n1);
    const incoming = pod(aff(term('{matchLabels: {app: x}}'), term('{matchLabels: {tier: y}}')), meta('{app: b}'));
    expect(verdict(interPodAffinity, incoming, n1, snapshot).reasons).toEqual([AFFINITY]);
    snapshot.bind(pod('', meta('{app: x, tier: y}')), n1);
    expect(['Skip', 'Success']).toContain(verdict(interPodAffinity, incoming, n1, snapshot).code);
  });
});
