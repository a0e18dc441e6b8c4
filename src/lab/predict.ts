/**
 * Pure: what hostnet predicts each lab probe will see, from the modelled nodes' rules. A packet's
 * walk through one node (trace.ts) ends delivered, forwarded, rejected, dropped or unhandled; this
 * follows it across nodes until something answers, and turns that into what a client can observe:
 * an answer from a named pod, "connection refused", or no answer at all. Each probe names the lab
 * namespace it runs in and the source address it binds, so the packet in the kernel is the packet
 * the model traced.
 */
import type { Cluster } from '../model/cluster.js';
import type { PodView } from '../model/pod-view.js';
import { nodeAddresses } from '../sim/dataplane/node-dataplane.js';
import { EXTERNAL_CLIENT, protocolOf, reachability } from '../sim/dataplane/reachability.js';
import { trace, type Origin, type Packet, type Verdict } from '../sim/dataplane/trace.js';
import type { Simulations } from '../sim/simulations.js';
import type { LabPlan } from './plan.js';
import type { ProbeGroup } from './probe-row.js';
import type { LabProtocol, LabServer } from './workloads.js';

export interface Expected {
  /** Pods (RunningPod names) any of which may answer. */
  readonly replies: readonly string[];
  readonly refused: boolean;
  /** No answer: dropped, timed out, or unreachable. */
  readonly silent: boolean;
  /** When the path is one node and no rule masquerades, the server sees the client's own address. */
  readonly clientSeen?: string;
  /** When a rule masquerades on one node, the server sees some other address. */
  readonly clientHidden?: string;
}

export interface ReachProbe {
  readonly group: ProbeGroup;
  readonly subject: string;
  readonly from: string;
  /** The lab namespace the client runs in, and the address it binds (undefined: the kernel picks). */
  readonly ns: string;
  readonly src?: string;
  readonly packet: Packet;
  readonly expected: Expected;
  /** The model's walk in one line per branch. */
  readonly why: string;
}

const MAX_HOPS = 4;
const labProtocol = (p: string): LabProtocol | undefined => (p === 'tcp' ? 'TCP' : p === 'udp' ? 'UDP' : undefined);

interface Outcome {
  readonly reply?: string;
  readonly refused?: boolean;
  readonly silent?: boolean;
  /** The packet stayed on the node the probe entered, with or without masquerade. */
  readonly oneHopMasqueraded?: boolean;
}

/** What the lab's servers listen on, for the verdicts that end at a socket. */
export class Listeners {
  private readonly pods = new Map<string, Set<string>>();
  private readonly hosts = new Map<string, Map<string, string>>();
  constructor(servers: readonly LabServer[]) {
    for (const s of servers) {
      for (const l of s.listen) {
        const key = `${l.protocol}/${l.port}`;
        if (s.hostNetwork) {
          const m = this.hosts.get(s.node) ?? new Map<string, string>();
          if (!m.has(key)) m.set(key, s.pod);
          this.hosts.set(s.node, m);
        } else {
          const set = this.pods.get(s.pod) ?? new Set<string>();
          set.add(key);
          this.pods.set(s.pod, set);
        }
      }
    }
  }
  pod(pod: string, protocol: LabProtocol, port: number): boolean {
    return this.pods.get(pod)?.has(`${protocol}/${port}`) ?? false;
  }
  /** The hostNetwork pod holding the port on the node, if any. */
  host(node: string, protocol: LabProtocol, port: number): string | undefined {
    return this.hosts.get(node)?.get(`${protocol}/${port}`);
  }
}

function outcomesOf(sims: Simulations, cluster: Cluster, listeners: Listeners, node: string, packet: Packet, origin: Origin, hop: number): { outcomes: Outcome[]; why: string[] } {
  const dp = sims.dataplane(node);
  const protocol = labProtocol(packet.protocol);
  if (!dp || !protocol) return { outcomes: [{ silent: true }], why: [`${node}: not modelled`] };
  const result = trace(dp.ruleset, packet, origin, dp.env);
  const outcomes: Outcome[] = [];
  const why: string[] = [];
  const atHost = (n: string, port: number): Outcome => {
    const holder = listeners.host(n, protocol, port);
    return holder ? { reply: holder } : { refused: true };
  };
  const atPod = (pod: string, port: number): Outcome => (listeners.pod(pod, protocol, port) ? { reply: pod } : { refused: true });
  const onward = (next: string, p: Packet): void => {
    if (hop + 1 >= MAX_HOPS) {
      outcomes.push({ silent: true });
      why.push(`${node}: still travelling after ${MAX_HOPS} nodes`);
      return;
    }
    const r = outcomesOf(sims, cluster, listeners, next, p, { kind: 'external' }, hop + 1);
    // Across nodes the address the server sees depends on both nodes' rules: not checked.
    outcomes.push(...r.outcomes.map((o) => ({ ...o, oneHopMasqueraded: undefined })));
    why.push(...r.why);
  };
  const nodeIP = nodeAddresses(cluster.nodes.find((n) => n.name === node)!)[0] ?? packet.src;
  for (const b of result.branches) {
    const v: Verdict = b.verdict;
    const label = `${node}${result.branches.length > 1 ? ` (branch p=${b.probability.toFixed(3)})` : ''}: ${v.kind}`;
    switch (v.kind) {
      case 'delivered': {
        const o = v.to === 'pod' && v.pod ? atPod(v.pod, v.port) : atHost(v.node, v.port);
        outcomes.push({ ...o, oneHopMasqueraded: v.masqueraded });
        why.push(`${label} to ${v.pod ?? `a socket on ${v.node}`} at ${v.ip}:${v.port}`);
        break;
      }
      case 'forwarded':
        why.push(`${label} to ${v.ip}:${v.port}${v.node ? ` on ${v.node}` : ''}`);
        if (v.node) onward(v.node, { ...packet, src: v.masqueraded ? nodeIP : packet.src, dst: v.ip, dport: v.port });
        else outcomes.push({ silent: true });
        break;
      case 'rejected':
        outcomes.push({ refused: true });
        why.push(`${label} by ${v.by.chain} rule ${v.by.index}`);
        break;
      case 'dropped':
        outcomes.push({ silent: true });
        why.push(`${label} by ${v.by.table === 'kernel' ? 'the kernel' : `${v.by.chain} rule ${v.by.index}`}: ${v.reason}`);
        break;
      case 'unhandled':
        why.push(`${label} to ${v.to === 'host' ? 'the node itself' : v.pod ?? v.node ?? `${v.ip} (no pod or node)`}`);
        if (v.to === 'host') outcomes.push({ ...atHost(v.node ?? node, v.port), oneHopMasqueraded: false });
        else if (v.pod) outcomes.push({ ...atPod(v.pod, v.port), oneHopMasqueraded: false });
        else if (v.node && v.node !== node) onward(v.node, packet);
        else outcomes.push({ silent: true });
        break;
    }
  }
  return { outcomes, why };
}

/** The expectation for one packet entering `node`, over every branch. */
export function expectPacket(sims: Simulations, cluster: Cluster, listeners: Listeners, node: string, packet: Packet, origin: Origin): { expected: Expected; why: string } {
  const { outcomes, why } = outcomesOf(sims, cluster, listeners, node, packet, origin, 0);
  const replies = [...new Set(outcomes.flatMap((o) => (o.reply ? [o.reply] : [])))].sort();
  const udp = packet.protocol === 'udp';
  const refused = outcomes.some((o) => o.refused);
  const silent = outcomes.some((o) => o.silent);
  const sourceChecks = outcomes.filter((o) => o.reply);
  const allKept = sourceChecks.length > 0 && sourceChecks.every((o) => o.oneHopMasqueraded === false);
  const allHidden = sourceChecks.length > 0 && sourceChecks.every((o) => o.oneHopMasqueraded === true);
  return {
    expected: {
      replies,
      // An ICMP error may or may not reach a UDP client: for UDP, refused and silent look alike.
      refused: refused || (udp && silent),
      silent: silent || (udp && refused),
      ...(allKept ? { clientSeen: packet.src } : {}),
      ...(allHidden ? { clientHidden: packet.src } : {}),
    },
    why: why.join('; '),
  };
}

/** Where the probe for a traced packet runs: the namespace that owns its source address. */
export function clientOf(plan: LabPlan, cluster: Cluster, node: string, packet: Packet, origin: Origin): { ns: string; src?: string } | undefined {
  if (packet.src === plan.externalClient || packet.src === EXTERNAL_CLIENT) return { ns: plan.fabric.ns, src: packet.src };
  if (origin.kind === 'node') {
    const n = plan.nodes.find((x) => x.node === node);
    return n ? { ns: n.ns, src: packet.src } : undefined;
  }
  const probe = plan.probePods.find((p) => p.ip === packet.src);
  if (probe) return { ns: probe.ns, src: packet.src };
  const pod = plan.pods.find((p) => p.ip === packet.src);
  if (pod) return { ns: pod.ns, src: packet.src };
  const owner = cluster.nodes.find((n) => nodeAddresses(n).includes(packet.src));
  const n = owner ? plan.nodes.find((x) => x.node === owner.name) : undefined;
  return n ? { ns: n.ns, src: packet.src } : undefined;
}

/**
 * Every reachability case hostnet would print in `explain` for the workloads the lab runs, plus,
 * for each host port, the same port on a node where the pod does not run (nothing is mapped there).
 */
export function reachProbes(plan: LabPlan, sims: Simulations, cluster: Cluster, servers: readonly LabServer[]): { probes: ReachProbe[]; notes: string[] } {
  const listeners = new Listeners(servers);
  const probes: ReachProbe[] = [];
  const notes: string[] = [];
  const seen = new Set<string>();
  const views = [...new Set(sims.running().map((p) => p.view))];
  const add = (group: ProbeGroup, subject: string, from: string, node: string, packet: Packet, origin: Origin): void => {
    const key = `${node}|${origin.kind}|${packet.protocol}|${packet.src}|${packet.dst}|${packet.dport}`;
    if (seen.has(key) || !labProtocol(packet.protocol)) return;
    seen.add(key);
    const client = clientOf(plan, cluster, node, packet, origin);
    if (!client) {
      notes.push(`No lab namespace owns ${packet.src}, so "${subject} ${from}" is not probed.`);
      return;
    }
    const { expected, why } = expectPacket(sims, cluster, listeners, node, packet, origin);
    probes.push({ group, subject, from, ns: client.ns, ...(client.src ? { src: client.src } : {}), packet, expected, why });
  };
  for (const view of views) {
    const r = reachability(view as PodView, sims, cluster);
    for (const c of r.cases) {
      const group: ProbeGroup = c.target.startsWith('Service') ? 'Services' : view.hostNetwork ? 'hostNetwork ports' : 'host ports';
      add(group, c.target, c.from, c.node, c.packet, c.origin);
    }
    // Not reachable where it does not run: the same host port on a node without the pod.
    const mine = new Set(sims.running().filter((p) => p.view === view).map((p) => p.node));
    const elsewhere = cluster.nodes.find((n) => !mine.has(n.name) && plan.nodes.some((x) => x.node === n.name));
    const ip = elsewhere ? nodeAddresses(elsewhere)[0] : undefined;
    if (!elsewhere || !ip) continue;
    for (const hp of view.hostPorts) {
      if (hp.container.kind === 'initContainer' && !view.hostNetwork) continue;
      const protocol = protocolOf(hp.protocol);
      add(view.hostNetwork ? 'hostNetwork ports' : 'host ports', `${view.hostNetwork ? 'port' : 'host port'} ${hp.port}/${hp.protocol} on ${elsewhere.name} (${ip}), where no pod of ${view.object.kind} ${view.namespace}/${view.object.name} runs`,
        'from outside the cluster', elsewhere.name, { src: EXTERNAL_CLIENT, dst: ip, protocol, dport: hp.port }, { kind: 'external' });
    }
  }
  return { probes, notes };
}

/** The prediction in a few words. */
export function describeExpected(e: Expected): string {
  const parts: string[] = [];
  if (e.replies.length > 0) parts.push(`answered by ${e.replies.length === 1 ? e.replies[0]! : `one of ${e.replies.join(', ')}`}`);
  if (e.refused && e.silent) parts.push('refused or no answer');
  else if (e.refused) parts.push('refused');
  else if (e.silent) parts.push('no answer');
  let text = parts.join(', or ');
  if (e.clientSeen) text += ` (sees client ${e.clientSeen})`;
  if (e.clientHidden) text += ` (sees a masqueraded client, not ${e.clientHidden})`;
  return text;
}
