import type { ClusterNode, Taint } from '../model/cluster.js';
import { servicePortNameOf } from '../sim/dataplane/kube-proxy-names.js';
import { trace, type Packet, type TraceBranch, type TraceStep, type Verdict } from '../sim/dataplane/trace.js';
import { untoleratedTaint } from '../sim/schedule/plugins/taint-toleration.js';
import type { WorkloadPlacement } from '../sim/schedule/place.js';
import type { Endpoint, ServiceEndpoints, ServicePortView } from '../sim/services/types.js';
import { defineRule } from './define-rule.js';
import { listNames } from './rule-text.js';
import { ipFamily } from '../sim/dataplane/addresses.js';
import { MAX_TRACED_NODES, traceAddress, traceEvidence, verdictText } from '../sim/dataplane/describe.js';
import { EXTERNAL_CLIENT as OUTSIDE_CLIENT } from '../sim/dataplane/reachability.js';

/** Service ports whose external destinations kube-proxy serves with the Local policy, grouped by the nodes that lack an endpoint. */
interface Group {
  readonly ports: ServicePortView[];
  readonly endpoints: readonly Endpoint[];
  readonly withNodes: readonly string[];
  readonly gaps: readonly ClusterNode[];
}

interface Traced {
  readonly node: ClusterNode;
  readonly packet: Packet;
  readonly branch: TraceBranch;
}

const taintText = (t: Taint): string => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

/**
 * kube-proxy serves a NodePort or LoadBalancer Service's nodePorts (and load-balancer IPs) on every
 * node (KP-7). With `externalTrafficPolicy: Local` the KUBE-EXT chain sends packets from outside only
 * to endpoints on the receiving node (KP-9); on a node with none, proxier.go#syncProxyRules writes a
 * DROP into filter KUBE-EXTERNAL-SERVICES ("<svc> has no local endpoints", KP-10). The rule lists
 * the nodes the placement leaves without an endpoint and proves the drop by tracing a connection
 * from outside on them. LoadBalancer Services are reported as info: the load balancer's health
 * checks on healthCheckNodePort (KP-11) steer around those nodes. Ports with no endpoint at all are
 * rejected everywhere (KP-10) and left to service-selects-nothing and service-target-port-mismatch.
 */
export default defineRule({
  id: 'external-traffic-policy-local-gaps',
  meta: {
    severity: 'warning',
    summary: 'A NodePort or LoadBalancer Service with externalTrafficPolicy: Local drops external traffic on every node that runs none of its endpoints; list those nodes.',
    sources: [
      'KP-7', 'KP-9', 'KP-10', 'KP-11', 'KP-14', 'DEF-6', 'VAL-20', 'DS-1',
      'kubernetes/kubernetes pkg/proxy/iptables/proxier.go#syncProxyRules (KUBE-EXTERNAL-SERVICES "has no local endpoints")',
      'kubernetes/kubernetes pkg/proxy/topology.go#CategorizeEndpoints',
      'kubernetes/kubernetes pkg/proxy/healthcheck/service_health.go#hcHandler.ServeHTTP',
    ],
    messages: {
      nodePort:
        'Service {{service}} has externalTrafficPolicy: Local, and {{gaps}} none of its endpoints: {{gapNodes}} (the endpoints are on {{withNodes}}).{{why}} kube-proxy runs on every node and opens nodePort {{ports}} on all of them, but with Local it forwards traffic from outside the cluster only to endpoints on the node that received it (KP-9).{{proof}} Run the backing pods on every node that clients connect to (a DaemonSet does that{{toleration}}), send clients only to nodes that run them, or set externalTrafficPolicy: Cluster if the pods do not need the client\'s source address (every node then forwards to any endpoint, KP-8).',
      loadBalancer:
        'LoadBalancer Service {{service}} has externalTrafficPolicy: Local, and {{gaps}} none of its endpoints: {{gapNodes}} (the endpoints are on {{withNodes}}).{{why}} That is how Local works with a load balancer: it probes healthCheckNodePort {{healthCheck}} on every node, kube-proxy answers 503 where the node has no local endpoint (KP-11), and the load balancer stops sending traffic there. What reaches those nodes anyway is not forwarded to other nodes (KP-9): {{direct}}connections that arrive before the health check notices that the pods moved.{{proof}} Nothing needs to change if clients only use the load balancer and it honours the health check; otherwise run the backing pods on every node it targets (a DaemonSet does that{{toleration}}) or set externalTrafficPolicy: Cluster.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const { cluster } = ctx;
    // kube-proxy replacements (proxyMode none) may treat Local differently: nothing to say.
    if (cluster.proxyMode === 'none') return {};
    return {
      end() {
        const placement = ctx.sims.placement();
        const total = cluster.nodes.length;
        for (const se of ctx.sims.endpoints()) {
          const s = se.service;
          if ((s.type !== 'NodePort' && s.type !== 'LoadBalancer') || s.externalTrafficPolicy !== 'Local') continue;
          for (const g of groupsOf(se)) report(se, g);
        }

        function groupsOf(se: ServiceEndpoints): Group[] {
          const s = se.service;
          const groups = new Map<string, Group>();
          for (const pe of se.ports) {
            // Only destinations from outside are policed by Local: nodePorts and load-balancer IPs.
            if (pe.port.nodePort === undefined && !(s.type === 'LoadBalancer' && s.loadBalancerIPs.length > 0)) continue;
            const ready = pe.endpoints.filter((e) => e.ready);
            // No endpoint at all: REJECT on every node (KP-10), which other rules explain.
            if (ready.length === 0) continue;
            const withNodes = cluster.nodes.filter((n) => ready.some((e) => e.nodeName === n.name)).map((n) => n.name);
            const gaps = cluster.nodes.filter((n) => !withNodes.includes(n.name));
            if (gaps.length === 0) continue;
            const key = gaps.map((n) => n.name).join('\u0000');
            const known = groups.get(key);
            if (known) known.ports.push(pe.port);
            else groups.set(key, { ports: [pe.port], endpoints: ready, withNodes, gaps });
          }
          return [...groups.values()];
        }

        /** Why the pods cannot run on some gap nodes: untolerated taints, or the static filters. */
        function whyNot(g: Group): { why: string; toleration: string } {
          const workloads = [...new Set(g.endpoints.flatMap((e) => e.pods.map((p) => p.view)))]
            .map((v) => placement.workloadOf(v))
            .filter((w): w is WorkloadPlacement => w !== undefined);
          if (workloads.length === 0) return { why: '', toleration: '' };
          const excluded = g.gaps.filter((n) => workloads.every((w) => !placement.eligibleNodes(w).includes(n)));
          if (excluded.length === 0) return { why: '', toleration: '' };
          const parts: string[] = [];
          const tainted: string[] = [];
          const other: string[] = [];
          const taints = new Map<string, Taint>();
          for (const n of excluded) {
            const t = untoleratedTaint(n.taints, workloads[0]!.shape.tolerations);
            if (t && workloads.every((w) => untoleratedTaint(n.taints, w.shape.tolerations) !== undefined)) {
              tainted.push(`${n.name} (${taintText(t)})`);
              taints.set(taintText(t), t);
            } else other.push(n.name);
          }
          if (tainted.length > 0) parts.push(`they do not tolerate the taint on ${listNames(tainted)}`);
          if (other.length > 0) parts.push(`their nodeSelector, affinity or nodeName keeps them off ${listNames(other)}`);
          const where = excluded.length < g.gaps.length ? `on ${excluded.length} of them` : g.gaps.length === 1 ? 'there' : 'on any of them';
          const why = ` The backing pods cannot run ${where}: ${parts.join(', and ')}.`;
          const toleration = taints.size > 0 ? `, with a toleration for ${[...taints.keys()].join(' and ')} if clients use ${excluded.length === 1 ? 'that node' : 'those nodes'}` : '';
          return { why, toleration };
        }

        function report(se: ServiceEndpoints, g: Group): void {
          const s = se.service;
          const name = `${s.namespace}/${s.name}`;
          const nodePorts = g.ports.filter((p) => p.nodePort !== undefined);
          const portList = listNames(nodePorts.map((p) => `${p.nodePort}/${p.protocol}`), 6);
          const lb = s.type === 'LoadBalancer';
          const evidence = [
            `Service ${name}: type ${s.type}, externalTrafficPolicy Local, ${nodePorts.length > 0 ? `nodePort ${portList}` : 'no nodePort'}${s.loadBalancerIPs.length > 0 ? `, load-balancer IP ${s.loadBalancerIPs.join(', ')}` : ''}`,
            `endpoints: ${listNames(g.endpoints.map((e) => `${e.ip}:${e.port} on ${e.nodeName}`), 6)}`,
            `nodes without a local endpoint: ${listNames(g.gaps.map((n) => n.name), 10)}`,
          ];
          const { why, toleration } = whyNot(g);
          const proof = cluster.proxyMode === 'iptables'
            ? traceProof(se, g, evidence)
            : ` The Service documentation says the same for kube-proxy in ${cluster.proxyMode} mode, so clients that connect to those nodes should expect no answer; hostnet models only the iptables mode, so this was not traced.`;
          const data = {
            service: name,
            gaps: `${g.gaps.length} of the cluster's ${total} nodes ${g.gaps.length === 1 ? 'runs' : 'run'}`,
            gapNodes: listNames(g.gaps.map((n) => n.name)),
            withNodes: listNames(g.withNodes),
            why,
            toleration,
            proof,
          };
          const common = { object: s.object, path: ['spec', 'externalTrafficPolicy'], evidence } as const;
          if (lb) {
            ctx.report({
              ...common, messageId: 'loadBalancer', severity: 'info',
              data: {
                ...data,
                healthCheck: s.healthCheckNodePort !== undefined ? `${s.healthCheckNodePort}${s.healthCheckNodePortStandIn ? ' (allocated by the API server; hostnet uses a stand-in number)' : ''}` : '(allocated by the API server)',
                direct: nodePorts.length > 0 ? `clients that connect to nodePort ${portList} of a node directly, and ` : '',
              },
            });
          } else {
            ctx.report({
              ...common, messageId: 'nodePort', data: { ...data, ports: portList },
              fix: 'Run the backing pods on every node clients use (a DaemonSet), or set externalTrafficPolicy: Cluster.',
            });
          }
        }

        /**
         * Trace a connection from outside to the first port on up to MAX_TRACED_NODES gap nodes
         * (to the nodePort on the node's address, or to the first load-balancer IP). Only what the
         * trace shows is claimed: a node whose trace is not dropped is named with what happened.
         */
        function traceProof(se: ServiceEndpoints, g: Group, evidence: string[]): string {
          const s = se.service;
          const port = g.ports[0]!;
          const dropped: Traced[] = [];
          const elsewhere: Traced[] = [];
          const untraced: string[] = [];
          for (const node of g.gaps) {
            const dst = port.nodePort !== undefined ? traceAddress(node) : s.loadBalancerIPs.find((ip) => ipFamily(ip) === 'ipv4');
            const dp = dropped.length + elsewhere.length < MAX_TRACED_NODES && dst !== undefined ? ctx.sims.dataplane(node.name) : undefined;
            if (!dp || dst === undefined) {
              untraced.push(node.name);
              continue;
            }
            const packet: Packet = { src: OUTSIDE_CLIENT, dst, protocol: port.protocol.toLowerCase() as Packet['protocol'], dport: port.nodePort ?? port.port };
            const result = trace(dp.ruleset, packet, { kind: 'external' }, dp.env);
            const first = result.branches[0];
            if (!first) {
              untraced.push(node.name);
              continue;
            }
            // KP-10's DROP is in filter KUBE-EXTERNAL-SERVICES; any other end is named as it is.
            const other = result.branches.find((b) => b.verdict.kind !== 'dropped' || b.verdict.by.chain !== 'KUBE-EXTERNAL-SERVICES');
            evidence.push(traceEvidence(node.name, packet, other ?? first));
            (other ? elsewhere : dropped).push({ node, packet, branch: other ?? first });
          }
          if (untraced.length > 0) evidence.push(`not traced (judged by the endpoints alone): ${listNames(untraced, 10)}`);
          let text = '';
          if (dropped.length > 0) {
            const d = dropped[0]!;
            const v = d.branch.verdict;
            const where = listNames([...dropped.map((x) => x.node.name), ...untraced], 6);
            text += ` On ${where} kube-proxy drops it (KP-10): hostnet's trace of a connection from outside to ${d.node.name} at ${d.packet.dst}:${d.packet.dport}/${port.protocol} ends with the packet ${verdictText(v)}, so clients that connect there get no answer.`;
          } else if (untraced.length > 0) {
            text += ` On ${listNames(untraced, 6)} kube-proxy drops it (KP-10: filter KUBE-EXTERNAL-SERVICES, "${servicePortNameOf(s.namespace, s.name, port.name)} has no local endpoints"), so clients that connect there get no answer; hostnet did not trace it there.`;
          }
          for (const e of elsewhere) {
            text += ` On ${e.node.name} the trace ends otherwise: the packet is ${verdictText(e.branch.verdict)}.`;
          }
          return text;
        }
      },
    };
  },
});
