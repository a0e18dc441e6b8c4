import type { ClusterNode } from '../model/cluster.js';
import type { FieldPath } from '../model/types.js';
import { desiredPods, type PlacedPod, type WorkloadPlacement } from '../sim/schedule/place.js';
import { Name as INTER_POD_AFFINITY, termMatches } from '../sim/schedule/plugins/inter-pod-affinity.js';
import { defineRule } from './define-rule.js';
import { describeHostPort, hostPortPath, listNodes } from './host-port-conflict.js';

/** Why an unplaced pod of the workload cannot go anywhere: its own pods, by host port or by anti-affinity. */
type OwnCause = 'hostPort' | 'antiAffinity';

function ownCause(w: WorkloadPlacement, p: PlacedPod, overHost: boolean, overAnti: boolean): OwnCause | undefined {
  if (p.phase === 'Scheduled') return undefined;
  if (overHost && p.portBlocks.some((b) => b.holders.some((h) => h.holder.shape.view === w.view))) return 'hostPort';
  if (!overAnti || !p.fitError) return undefined;
  for (const s of p.fitError.diagnosis.nodeToStatus.values()) if (s.plugin === INTER_POD_AFFINITY) return 'antiAffinity';
  return undefined;
}

/** Distinct values of a topology key among the nodes; unbounded when a node lacks the key (the term never applies there). */
function domainsOf(nodes: readonly ClusterNode[], key: string): number {
  const values = new Set<string>();
  for (const n of nodes) {
    const v = n.labels[key];
    if (v === undefined) return Infinity;
    values.add(v);
  }
  return values.size;
}

/** The field that sets how many pods run at once for this kind. */
function replicasField(kind: string): string {
  return kind === 'Job' ? 'parallelism' : 'replicas';
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export default defineRule({
  id: 'unschedulable-replicas',
  meta: {
    severity: 'error',
    summary: 'A workload whose pods need a host port (or keep apart by required pod anti-affinity) cannot run more pods at once than there are eligible nodes; the rest stay Pending.',
    sources: [
      'SCHED-3', 'SCHED-4', 'SCHED-5', 'SCHED-7',
      'kubernetes/kubernetes pkg/scheduler/framework/plugins/nodeports/node_ports.go',
      'kubernetes/kubernetes pkg/scheduler/framework/plugins/interpodaffinity/filtering.go',
      'kubernetes/kubernetes#90669', 'kubernetes/kubernetes#40131',
    ],
    peers: [
      { tool: 'kube-linter', id: 'no-anti-affinity', relation: 'related' },
      { tool: 'kube-score', id: 'deployment-has-host-podantiaffinity', relation: 'related' },
    ],
    messages: {
      hostPort:
        'This {{kind}} runs {{replicas}} pods at once, and each needs host port {{port}}, which a node gives to one pod only; {{eligible}} can take its pods{{nodes}}, so {{outcome}}. {{verdict}} Lower {{field}} to {{max}} or fewer, run it as a DaemonSet (one pod on every node), or drop the host port and reach the pods through a Service.',
      antiAffinity:
        'This {{kind}} runs {{replicas}} pods at once, but its required pod anti-affinity matches its own pods, so no two of them may share a {{topologyKey}} value; {{eligible}} can take its pods{{nodes}}, and they have {{domains}}, so {{outcome}}. {{verdict}} Lower {{field}} to {{max}} or fewer, run it as a DaemonSet, add nodes, or make the anti-affinity preferred (preferredDuringSchedulingIgnoredDuringExecution) instead of required.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    return {
      end() {
        const placement = ctx.sims.placement();
        for (const w of placement.workloads) {
          if (w.daemonNodes || w.view.kind === 'Pod') continue;
          const replicas = desiredPods(w.view);
          const eligible = placement.eligibleNodes(w);
          const selfAnti = w.shape.podAntiAffinity.filter((t) => termMatches(t, w.shape));
          // How many pods can run at once: one per node with a host port, one per topology domain with self anti-affinity.
          const hostCap = w.shape.hostPorts.length > 0 ? eligible.length : Infinity;
          const antiCap = Math.min(...selfAnti.map((t) => domainsOf(eligible, t.topologyKey)));
          // More pods than that is the precondition: below it, a Pending pod is another workload's doing.
          const overHost = replicas > hostCap;
          const overAnti = replicas > antiCap;
          if (!overHost && !overAnti) continue;
          const stuck: Array<[PlacedPod, OwnCause]> = [];
          for (const p of w.pods) {
            const c = ownCause(w, p, overHost, overAnti);
            if (c) stuck.push([p, c]);
          }
          if (stuck.length === 0) continue;
          const [first, cause] = stuck[0]!;

          const field = replicasField(w.view.kind);
          const fieldPath: FieldPath = ['spec', field];
          const hp = w.shape.hostPorts[0];
          let path: FieldPath;
          if (w.view.object.source.locator.has(fieldPath)) path = fieldPath;
          else if (cause === 'hostPort' && hp) path = hostPortPath(hp);
          else path = w.view.at('affinity', 'podAntiAffinity', 'requiredDuringSchedulingIgnoredDuringExecution');

          const failed = stuck.filter(([p]) => p.phase === 'Failed').length;
          const pendingCount = stuck.length - failed;
          const outcomes: string[] = [];
          if (pendingCount > 0) outcomes.push(`${plural(pendingCount, 'pod', 'pods')} ${pendingCount === 1 ? 'stays' : 'stay'} Pending`);
          if (failed > 0) outcomes.push(`${plural(failed, 'pod is', 'pods are')} rejected by the kubelet and ${failed === 1 ? 'ends' : 'end'} in phase Failed`);
          const verdict = first.phase === 'Failed' && first.admission
            ? `The pods are bound with spec.nodeName, and the kubelet's admission check on ${first.admission.node} says "${first.admission.status.reasons.join(', ')}" (SCHED-7).`
            : `The scheduler says: "${first.fitError?.message ?? ''}"`;
          const names = eligible.map((n) => n.name);
          const capacity = cause === 'hostPort' ? hostCap : antiCap;
          const data = {
            kind: w.view.kind, replicas, field: `spec.${field}`, max: capacity,
            eligible: eligible.length === 0 ? 'no node' : eligible.length === 1 ? 'only 1 node' : `only ${eligible.length} nodes`,
            nodes: names.length > 0 && names.length <= 10 ? ` (${names.join(', ')})` : '',
            outcome: outcomes.join(' and '),
            verdict,
          };
          const evidence = [
            `${replicas} pods wanted; eligible nodes (static filters): ${names.length === 0 ? 'none' : listNodes(names)}`,
            ...stuck.slice(0, 5).map(([p]) => `${p.pod.name}: ${p.phase}`),
            ...(stuck.length > 5 ? [`… and ${stuck.length - 5} more`] : []),
          ];
          if (cause === 'hostPort' && hp) {
            ctx.report({
              object: w.view.object, path, messageId: 'hostPort',
              data: { ...data, port: describeHostPort(hp) },
              evidence,
            });
          } else {
            // The term that allows the fewest pods is the one that binds.
            const term = selfAnti.find((t) => domainsOf(eligible, t.topologyKey) === antiCap)!;
            ctx.report({
              object: w.view.object, path, messageId: 'antiAffinity',
              data: { ...data, topologyKey: term.topologyKey, domains: plural(antiCap, 'distinct value', 'distinct values') },
              evidence,
            });
          }
        }
      },
    };
  },
});
