import type { HostPort, PodView } from '../model/pod-view.js';
import { formatPath, type FieldPath, type RelatedLocation } from '../model/types.js';
import { hostIPsOverlap } from '../sim/schedule/host-port-info.js';
import type { PlacedPod, Placement, WorkloadPlacement } from '../sim/schedule/place.js';
import { defineRule } from './define-rule.js';

/** One host port of one placed workload. */
interface Claim {
  readonly w: WorkloadPlacement;
  /** Input order of the workload, to name pairs once. */
  readonly order: number;
  readonly hp: HostPort;
}

/** The field a host port comes from: hostPort when written, containerPort when hostNetwork implies it. */
export function hostPortPath(hp: HostPort): FieldPath {
  return [...hp.portView.path, hp.implied ? 'containerPort' : 'hostPort'];
}

/** `0.0.0.0:80/TCP`. */
export function describeHostPort(hp: Pick<HostPort, 'hostIP' | 'port' | 'protocol'>): string {
  return `${hp.hostIP}:${hp.port}/${hp.protocol}`;
}

/** `worker-1, worker-2` (at most ten names, then how many more). */
export function listNodes(names: readonly string[]): string {
  if (names.length <= 10) return names.join(', ');
  return `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function workloadName(w: WorkloadPlacement): string {
  return w.shape.workload;
}

function where(w: WorkloadPlacement, path: FieldPath): { file: string; line: number; column: number } {
  const pos = w.view.object.source.locator.locate(path);
  return { file: w.view.object.source.file, line: pos.line, column: pos.column };
}

interface Blocked {
  readonly pods: PlacedPod[];
  readonly nodes: Set<string>;
  /** Per node, the address the holder took: `0.0.0.0:80/TCP`. */
  readonly heldAs: Map<string, string>;
}

/**
 * One pass over a workload's unplaced pods: for each holder workload and protocol/port, the pods
 * that stay unplaced because a pod of the holder holds that port on their node.
 */
function blockedIndex(w: WorkloadPlacement): Map<PodView, Map<string, Blocked>> {
  const out = new Map<PodView, Map<string, Blocked>>();
  for (const p of w.pods) {
    if (p.phase === 'Scheduled') continue;
    for (const b of p.portBlocks) {
      for (const h of b.holders) {
        const view = h.holder.shape.view;
        let byPort = out.get(view);
        if (!byPort) out.set(view, (byPort = new Map()));
        const key = `${h.protocol}/${h.port}`;
        let e = byPort.get(key);
        if (!e) byPort.set(key, (e = { pods: [], nodes: new Set(), heldAs: new Map() }));
        if (e.pods[e.pods.length - 1] !== p) e.pods.push(p);
        e.nodes.add(b.node);
        if (!e.heldAs.has(b.node)) e.heldAs.set(b.node, describeHostPort(h));
      }
    }
  }
  return out;
}

function nodeOrder(placement: Placement): Map<string, number> {
  return new Map(placement.nodes.map((n) => [n.name, n.index]));
}

export default defineRule({
  id: 'host-port-conflict',
  meta: {
    severity: 'error',
    summary: 'Two workloads that can land on the same node must not need the same host port (same protocol and port, overlapping hostIP), or one of them stays Pending there.',
    sources: [
      'SCHED-1', 'SCHED-2', 'SCHED-3', 'SCHED-4', 'SCHED-5', 'SCHED-7', 'DS-1', 'DS-2',
      'kubernetes/kubernetes pkg/scheduler/framework/plugins/nodeports/node_ports.go',
      'kubernetes/kubernetes pkg/scheduler/framework/types.go#HostPortInfo.CheckConflict',
      'kubernetes/kubernetes pkg/kubelet/lifecycle/predicate.go#generalFilter', 'kubernetes/kubernetes pkg/kubelet/kubelet.go#rejectPod',
      'kubernetes/kubernetes#5874', 'kubernetes/kubernetes#39228', 'kubernetes/kubernetes#51950', 'kubernetes/kubernetes#8372',
      'kubernetes/ingress-nginx#6043', 'kubernetes-sigs/kind#1552', 'k3d-io/k3d#104', 'projectcontour/contour#6231',
      'gitpod-io/gitpod#2622', 'datawire/edge-stack#2', 'deckhouse/deckhouse#3261', 'deckhouse/deckhouse#8673',
    ],
    peers: [
      { tool: 'polaris', id: 'hostPortSet', relation: 'related' },
    ],
    messages: {
      blocked:
        'Host port {{port}} of this {{kind}} collides with {{other}} ({{otherAt}}), which holds it on {{nodes}}: {{pending}} of this {{kind}} {{stay}} Pending, because the other workload\'s pod already holds {{held}} there and this {{kind}} wants {{hostPort}}, which overlaps it (SCHED-3). The scheduler says: "{{message}}"{{also}} Give one of the two a different hostPort, keep them on different nodes with a nodeSelector or node affinity, or drop one of them.',
      rejected:
        'Host port {{port}} of this {{kind}} collides with {{other}} ({{otherAt}}), which holds it on {{nodes}}. The pod is bound there with spec.nodeName, so it skips the scheduler and the kubelet\'s admission check rejects it ({{reason}}): the pod ends in phase Failed with reason {{plugin}} and the message "Pod was rejected: Predicate {{plugin}} failed" (SCHED-7).{{also}} Give one of the two a different hostPort, bind the pod to another node, or drop one of them.',
      mayCollide:
        'Host port {{port}} of this {{kind}} is also needed by {{other}} ({{otherAt}}), and both may run on {{nodes}}. In this placement no pod of one waits for a pod of the other, but they can still meet on one node later (after a node drains, during a rollout or a rescale), and then one pod stays Pending with "didn\'t have free ports for the requested pod ports".{{also}} Give one of the two a different hostPort, or keep them on different nodes with a nodeSelector or node affinity.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    return {
      end() {
        const placement = ctx.sims.placement();
        const claims: Claim[] = [];
        placement.workloads.forEach((w, order) => {
          for (const hp of w.shape.hostPorts) {
            const c = { w, order, hp };
            claims.push(c);
          }
        });

        const eligible = new Map<WorkloadPlacement, Set<string>>();
        const setOfList = new Map<readonly unknown[], Set<string>>();
        const eligibleOf = (w: WorkloadPlacement): Set<string> => {
          let s = eligible.get(w);
          if (!s) {
            // Workloads with the same scheduling constraints share one eligible list, so one Set.
            const list = placement.eligibleNodes(w);
            s = setOfList.get(list);
            if (!s) setOfList.set(list, (s = new Set(list.map((n) => n.name))));
            eligible.set(w, s);
          }
          return s;
        };
        const sharedCache = new Map<Set<string>, Map<Set<string>, string[]>>();
        const sharedNodes = (x: Set<string>, y: Set<string>): string[] => {
          const [small, large] = x.size <= y.size ? [x, y] : [y, x];
          let row = sharedCache.get(small);
          if (!row) sharedCache.set(small, (row = new Map()));
          let hit = row.get(large);
          if (!hit) row.set(large, (hit = [...small].filter((n) => large.has(n)).sort(byRank)));
          return hit;
        };
        const blockedCache = new Map<WorkloadPlacement, Map<PodView, Map<string, Blocked>>>();
        const blockedOf = (w: WorkloadPlacement): Map<PodView, Map<string, Blocked>> => {
          let m = blockedCache.get(w);
          if (!m) blockedCache.set(w, (m = blockedIndex(w)));
          return m;
        };
        const rank = nodeOrder(placement);
        const byRank = (x: string, y: string): number => (rank.get(x) ?? 0) - (rank.get(y) ?? 0);
        const placedCache = new Map<WorkloadPlacement, string>();
        const placedOn = (w: WorkloadPlacement): string => {
          let text = placedCache.get(w);
          if (text === undefined) {
            const nodes = [...new Set(w.pods.filter((p) => p.phase === 'Scheduled').map((p) => p.node!))].sort(byRank);
            placedCache.set(w, (text = nodes.length === 0 ? 'no node' : listNodes(nodes)));
          }
          return text;
        };
        /** ` A, B and 3 more workloads also claim it on some of the same nodes.` for the partners a finding does not name. */
        const alsoText = (rest: { named: readonly Claim[]; count: number }): string => {
          if (rest.count <= 0) return '';
          const named = rest.named.slice(0, 3).map((c) => workloadName(c.w));
          const more = rest.count - named.length;
          const list = more > 0 ? `${named.join(', ')} and ${more} more ${more === 1 ? 'workload' : 'workloads'}`
            : named.length <= 2 ? named.join(' and ') : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
          return ` ${list} ${rest.count === 1 ? 'also claims' : 'also claim'} it on some of the same nodes.`;
        };

        // One finding per workload and protocol/port, on the later workload of each pair: the
        // earlier one was placed first, so only the later one can be the one left waiting. Claims
        // are grouped by protocol/port so each is compared with the earlier ones of its port only.
        const byPort = new Map<string, Claim[]>();
        for (const c of claims) {
          const key = `${c.hp.protocol}/${c.hp.port}`;
          let list = byPort.get(key);
          if (!list) byPort.set(key, (list = []));
          list.push(c);
        }
        const setIds = new Map<Set<string>, number>();
        const idOf = (w: WorkloadPlacement): number => {
          const set = eligibleOf(w);
          let id = setIds.get(set);
          if (id === undefined) setIds.set(set, (id = setIds.size));
          return id;
        };
        const meetsCache = new Map<number, boolean>();
        const ids = new Int32Array(placement.workloads.length).fill(-1);
        const idOfClaim = (x: Claim): number => (ids[x.order]! >= 0 ? ids[x.order]! : (ids[x.order] = idOf(x.w)));
        const meets = (x: Claim, y: Claim): boolean => {
          const a = idOfClaim(x);
          const b = idOfClaim(y);
          if (a === b) return eligibleOf(x.w).size > 0;
          const k = a < b ? a * 1_000_003 + b : b * 1_000_003 + a;
          let hit = meetsCache.get(k);
          if (hit === undefined) meetsCache.set(k, (hit = sharedNodes(eligibleOf(x.w), eligibleOf(y.w)).length > 0));
          return hit;
        };

        for (const [portKey, list] of byPort) {
          // Earlier claims of this port, bucketed by (eligible node set, hostIP): a claim compares
          // with the few buckets, not with every earlier claim, so many workloads on one port stay
          // linear. A workload that claims the port on two hostIPs may be counted twice in "N more".
          const buckets = new Map<string, { id: number; hostIP: string; count: number; first: Claim[] }>();
          const done = new Set<WorkloadPlacement>();
          // A workload's own claims join the buckets only once the next workload starts, so no
          // claim is ever compared with its own workload (claims come workload by workload).
          let own: Claim[] = [];
          const flush = (): void => {
            for (const o of own) {
              const id = idOfClaim(o);
              const key = `${id}\u0000${o.hp.hostIP}`;
              const b = buckets.get(key) ?? { id, hostIP: o.hp.hostIP, count: 0, first: [] };
              if (!b.first.some((x) => x.w === o.w)) {
                b.count++;
                if (b.first.length < 4) b.first.push(o);
              }
              buckets.set(key, b);
            }
            own = [];
          };
          for (const c of list) {
            if (own.length > 0 && own[0]!.w !== c.w) flush();
            own.push(c);
            if (done.has(c.w)) continue;
            const blockedBy = blockedOf(c.w);
            const blockers: Claim[] = [];
            const others: Claim[] = [];
            let meeting = 0;
            for (const b of buckets.values()) {
              if (!hostIPsOverlap(b.hostIP, c.hp.hostIP) || !meets(c, b.first[0]!)) continue;
              meeting += b.count;
              others.push(...b.first);
            }
            // Blockers are the earlier workloads whose pods hold the port where this one waits.
            for (const [view, ports] of blockedBy) {
              if (!ports.has(portKey)) continue;
              const holderClaim = list.find((o) => o.w.view === view && o.order < c.order && hostIPsOverlap(o.hp.hostIP, c.hp.hostIP));
              if (holderClaim) blockers.push(holderClaim);
            }
            blockers.sort((x, y) => x.order - y.order);
            others.sort((x, y) => x.order - y.order);
            const othersOnly = others.filter((o) => !blockers.some((b) => b.w === o.w));
            const otherCount = Math.max(0, meeting - blockers.length);
            if (blockers.length > 0 || otherCount > 0) {
              done.add(c.w);
              report(c, portKey, blockers, othersOnly, otherCount);
            }
          }
        }

        function report(c: Claim, portKey: string, blockers: readonly Claim[], others: readonly Claim[], otherCount: number): void {
          const blockedBy = blockedOf(c.w);
          const holder = blockers[0] ?? others[0]!;
          const rest = blockers.length > 0
            ? { named: [...blockers.slice(1), ...others], count: blockers.length - 1 + otherCount }
            : { named: others.slice(1), count: otherCount - 1 };
          const holderPath = hostPortPath(holder.hp);
          const holderAt = where(holder.w, holderPath);
          const related: RelatedLocation[] = [{
            message: `${workloadName(holder.w)} claims host port ${describeHostPort(holder.hp)} here.`,
            ...holderAt, path: formatPath(holderPath),
          }];
          const base = {
            port: portKey.split('/').reverse().join('/'), kind: c.w.view.kind,
            other: workloadName(holder.w), otherAt: `${holderAt.file}:${holderAt.line}`, also: alsoText(rest),
          };

          if (blockers.length === 0) {
            const shared = sharedNodes(eligibleOf(c.w), eligibleOf(holder.w));
            ctx.report({
              object: c.w.view.object, path: hostPortPath(c.hp), messageId: 'mayCollide', severity: 'warning',
              data: { ...base, nodes: listNodes(shared) },
              related,
              evidence: [
                `${workloadName(c.w)} claims ${describeHostPort(c.hp)}; ${workloadName(holder.w)} claims ${describeHostPort(holder.hp)} (SCHED-3: they overlap)`,
                `eligible nodes of both: ${listNodes(shared)}`,
                `placed: ${workloadName(c.w)} on ${placedOn(c.w)}; ${workloadName(holder.w)} on ${placedOn(holder.w)}`,
              ],
            });
            return;
          }

          const blocked = blockedBy.get(holder.w.view)!.get(portKey)!;
          const nodes = [...blocked.nodes].sort(byRank);
          const evidence = nodes.slice(0, 10).map((n) => `node ${n}: ${workloadName(holder.w)} holds ${blocked.heldAs.get(n)}`);
          const first = blocked.pods[0]!;
          const failed = blocked.pods.filter((p) => p.phase === 'Failed');
          if (failed.length === blocked.pods.length && first.admission) {
            ctx.report({
              object: c.w.view.object, path: hostPortPath(c.hp), messageId: 'rejected',
              data: { ...base, nodes: listNodes(nodes), reason: first.admission.status.reasons.join(', '), plugin: first.admission.status.plugin ?? 'NodePorts' },
              related,
              evidence: [...evidence, `${first.pod.name}: Failed at kubelet admission on ${first.admission.node}`],
            });
            return;
          }
          const pending = blocked.pods.filter((p) => p.phase === 'Pending');
          const message = pending[0]?.fitError?.message ?? first.admission?.status.reasons.join(', ') ?? '';
          ctx.report({
            object: c.w.view.object, path: hostPortPath(c.hp), messageId: 'blocked',
            data: {
              ...base, nodes: listNodes(nodes), hostPort: describeHostPort(c.hp), held: blocked.heldAs.get(nodes[0]!)!,
              pending: plural(blocked.pods.length, 'pod', 'pods'), stay: blocked.pods.length === 1 ? 'stays' : 'stay',
              message,
            },
            related,
            evidence: [...evidence, ...blocked.pods.slice(0, 10).map((p) => `${p.pod.name}: ${p.phase}`)],
          });
        }
      },
    };
  },
});
