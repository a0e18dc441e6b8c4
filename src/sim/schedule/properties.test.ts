/**
 * Properties of placement over generated clusters and manifest sets (src/testing/sim-arbitraries.ts),
 * each checked by an oracle written here from the semantics document rather than by the
 * simulator's own code: SCHED-1/2/3 for host ports, DS-1/DS-3 for DaemonSets, SCHED-7 for nodeName
 * pods, NodeResourcesFit for capacity, and determinism and rollback for the machinery.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { ClusterNode, Taint } from '../../model/cluster.js';
import { isRecord } from '../../model/pod-view.js';
import { modelOf } from '../../testing/model.js';
import { CPU_POOL, MEMORY_POOL, PODS_POOL, scenarioArb, type Scenario, type TolerationSpec } from '../../testing/sim-arbitraries.js';
import { placeAll, type Placement } from './place.js';
import { hasRollout, playRollout } from './rollout.js';

const NUM_RUNS = 60;

function placeScenario(s: Scenario): Placement {
  const model = modelOf(s.text, s.cluster);
  return placeAll(model.podViews, model.cluster);
}

// ---------------------------------------------------------------------------------------------
// Oracles

interface Port { readonly ip: string; readonly port: number; readonly protocol: string }

const records = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/** SCHED-1/SCHED-2/SCHED-4 from the raw pod spec: which host ports a pod reserves. */
function wantedPorts(spec: Readonly<Record<string, unknown>>): Port[] {
  const out: Port[] = [];
  const containers = [...records(spec.containers), ...records(spec.initContainers).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of records(c.ports)) {
      const port = typeof p.hostPort === 'number' && p.hostPort > 0 ? p.hostPort : spec.hostNetwork === true ? Number(p.containerPort) : 0;
      if (port > 0) out.push({ ip: typeof p.hostIP === 'string' && p.hostIP !== '' ? p.hostIP : '0.0.0.0', port, protocol: typeof p.protocol === 'string' ? p.protocol : 'TCP' });
    }
  }
  return out;
}

/** SCHED-3. */
const conflicts = (a: Port, b: Port): boolean =>
  a.port === b.port && a.protocol === b.protocol && (a.ip === '0.0.0.0' || b.ip === '0.0.0.0' || a.ip === b.ip);

function tolerates(t: TolerationSpec, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return !!t.key && (t.value ?? '') === (taint.value ?? '');
}

/** DS-3. */
function daemonTolerations(hostNetwork: boolean): TolerationSpec[] {
  const ex = (key: string, effect: string): TolerationSpec => ({ key, operator: 'Exists', effect });
  return [
    ex('node.kubernetes.io/not-ready', 'NoExecute'), ex('node.kubernetes.io/unreachable', 'NoExecute'),
    ex('node.kubernetes.io/disk-pressure', 'NoSchedule'), ex('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    ex('node.kubernetes.io/pid-pressure', 'NoSchedule'), ex('node.kubernetes.io/unschedulable', 'NoSchedule'),
    ...(hostNetwork ? [ex('node.kubernetes.io/network-unavailable', 'NoSchedule')] : []),
  ];
}

/** DS-1 for the generated templates (no nodeName, no required node affinity in them). */
function daemonShouldRun(spec: Readonly<Record<string, unknown>>, node: ClusterNode): boolean {
  const selector = isRecord(spec.nodeSelector) ? spec.nodeSelector : {};
  for (const [k, v] of Object.entries(selector)) if (node.labels[k] !== v) return false;
  const tolerations = [...(records(spec.tolerations) as TolerationSpec[]), ...daemonTolerations(spec.hostNetwork === true)];
  return node.taints.every((taint) => taint.effect === 'PreferNoSchedule' || tolerations.some((t) => tolerates(t, taint)));
}

/** Pods per node (in order), the ports they hold, the requests, and every pod's outcome: the placement as a value. */
function fingerprint(p: Placement): unknown {
  return {
    nodes: p.nodes.map((n) => [n.name, n.pods.map((x) => x.name), n.usedPorts.all().map((h) => `${h.hostIP}:${h.port}/${h.protocol}=${h.holder.name}`), n.requested]),
    pods: p.workloads.flatMap((w) => w.pods.map((x) => [x.pod.name, x.phase, x.node, x.fitError?.message, x.admission?.status.reasons])),
  };
}

// ---------------------------------------------------------------------------------------------

describe('placement properties over generated clusters and workloads', () => {
  test('(a) no node holds two pods whose host ports conflict (SCHED-3)', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const p = placeScenario(s);
      for (const n of p.nodes) {
        const held: Array<{ pod: string; port: Port }> = [];
        for (const pod of n.pods) {
          const mine = wantedPorts(pod.shape.view.spec);
          for (const w of mine) {
            const clash = held.find((h) => conflicts(h.port, w));
            expect(clash, `${n.name}: ${pod.name} wants ${w.ip}:${w.port}/${w.protocol}, held by ${clash?.pod}`).toBeUndefined();
          }
          // SCHED-6: a pod's own duplicates are not checked, so add its ports after checking them all.
          for (const w of mine) held.push({ pod: pod.name, port: w });
        }
      }
    }), { numRuns: NUM_RUNS });
  });

  test('(b) a DaemonSet never has two pods on one node, nor a pod on a node DS-1 rejects', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const p = placeScenario(s);
      const nodes = new Map(p.cluster.nodes.map((n) => [n.name, n]));
      for (const w of p.workloads) {
        if (w.view.kind !== 'DaemonSet') continue;
        const expected = p.cluster.nodes.filter((n) => daemonShouldRun(w.view.spec, n)).map((n) => n.name);
        // One pod per node DS-1 picks, pinned there (DS-2), whatever its phase.
        expect(w.pods.map((x) => x.pod.pinnedTo)).toEqual(expected);
        expect(w.daemonNodes!.filter((d) => d.shouldRun).map((d) => d.node.name)).toEqual(expected);
        const seen = new Set<string>();
        for (const x of w.pods) {
          if (x.phase !== 'Scheduled') continue;
          expect(x.node).toBe(x.pod.pinnedTo);
          expect(seen.has(x.node!), `${w.shape.workload}: two pods on ${x.node}`).toBe(false);
          seen.add(x.node!);
          expect(daemonShouldRun(w.view.spec, nodes.get(x.node!)!)).toBe(true);
        }
        // And the nodes hold exactly the Scheduled ones.
        const held = p.nodes.flatMap((n) => n.pods.filter((x) => x.shape === w.shape).map(() => n.name));
        expect(held.sort()).toEqual([...seen].sort());
      }
    }), { numRuns: NUM_RUNS });
  });

  test('(c) Pending only with the scheduler message (or a missing nodeName node), Failed only with an admission verdict', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const p = placeScenario(s);
      const total = p.cluster.nodes.length;
      const names = new Set(p.cluster.nodes.map((n) => n.name));
      for (const w of p.workloads) {
        for (const x of w.pods) {
          const nodeName = x.pod.shape.nodeName;
          switch (x.phase) {
            case 'Scheduled':
              expect(x.node).toBeDefined();
              expect(x.fitError).toBeUndefined();
              expect(p.nodes.find((n) => n.name === x.node)!.pods).toContain(x.pod);
              if (nodeName !== undefined) expect(x.node).toBe(nodeName);
              // A scheduled pod sits on a node its workload is eligible for. Pods bound with nodeName
              // are left out: the kubelet ignores NoSchedule taints and cordons, eligibleNodes does
              // not (a known divergence).
              else expect(p.eligibleNodes(w).map((n) => n.name)).toContain(x.node);
              break;
            case 'Pending':
              expect(x.node).toBeUndefined();
              if (nodeName !== undefined && !names.has(nodeName)) {
                // Bound to a node that does not exist: no scheduler, no kubelet, no message but ours.
                expect(x.admission?.status.reasons).toEqual([`node "${nodeName}" is not in the cluster`]);
                break;
              }
              expect(nodeName).toBeUndefined();
              expect(x.fitError?.message, x.pod.name).toMatch(new RegExp(`^0/${total} nodes are available: .+\\.$`));
              expect(x.fitError!.numAllNodes).toBe(total);
              {
                // Every node is accounted for: the counts add up to at least the number of nodes.
                const counts = [...x.fitError!.message.matchAll(/(?:: |, )(\d+) /g)].map((m) => Number(m[1]));
                expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(total);
              }
              break;
            case 'Failed':
              // SCHED-7: only pods bound with nodeName are rejected by the kubelet.
              expect(nodeName).toBeDefined();
              expect(x.node).toBe(nodeName);
              expect(x.fitError).toBeUndefined();
              expect(x.admission?.node).toBe(nodeName);
              expect(x.admission?.status.reasons.length).toBeGreaterThan(0);
              expect(p.nodes.find((n) => n.name === nodeName)!.pods).not.toContain(x.pod);
              break;
          }
        }
      }
    }), { numRuns: NUM_RUNS });
  });

  test('(d) placement is deterministic', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      expect(fingerprint(placeScenario(s))).toEqual(fingerprint(placeScenario(s)));
    }), { numRuns: NUM_RUNS });
  });

  test('(e) no node exceeds its pod limit or its allocatable cpu and memory', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const p = placeScenario(s);
      for (const n of p.nodes) {
        const a = n.node.allocatable;
        expect(n.pods.length).toBeLessThanOrEqual(PODS_POOL[a.pods as keyof typeof PODS_POOL]);
        const cpu = n.pods.reduce((sum, x) => sum + x.shape.requests.milliCPU, 0);
        const memory = n.pods.reduce((sum, x) => sum + x.shape.requests.memory, 0);
        expect(cpu, n.name).toBeLessThanOrEqual(CPU_POOL[a.cpu as keyof typeof CPU_POOL]);
        expect(memory, n.name).toBeLessThanOrEqual(MEMORY_POOL[a.memory as keyof typeof MEMORY_POOL]);
        // The node's running total agrees with its pods.
        expect([n.requested.milliCPU, n.requested.memory]).toEqual([cpu, memory]);
      }
    }), { numRuns: NUM_RUNS });
  });

  // Exactly, pod order within each node included: the undo puts a removed pod back where it was.
  test('(f) playRollout leaves the placement unchanged', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const p = placeScenario(s);
      const before = fingerprint(p);
      for (const w of p.workloads) {
        if (!hasRollout(w)) continue;
        const r = playRollout(p, w);
        expect(['complete', 'stalled', 'manual']).toContain(r.outcome);
        if (r.outcome === 'stalled') expect(r.waiting.length + r.steps.length).toBeGreaterThan(0);
        expect(fingerprint(p)).toEqual(before);
      }
    }), { numRuns: NUM_RUNS });
  });
});
