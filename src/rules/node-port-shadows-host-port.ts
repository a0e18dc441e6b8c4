import type { ClusterNode } from '../model/cluster.js';
import { isRecord, type HostPort, type PodView } from '../model/pod-view.js';
import { formatPath, type RelatedLocation } from '../model/types.js';
import { ipFamily, isUnspecified, parseAddress } from '../sim/dataplane/addresses.js';
import { nodeAddresses } from '../sim/dataplane/node-dataplane.js';
import { trace, type Packet, type TraceBranch } from '../sim/dataplane/trace.js';
import type { RunningPod, ServicePortView, ServiceView } from '../sim/services/types.js';
import { defineRule } from './define-rule.js';
import { MAX_TRACED_NODES, traceAddress, traceEvidence, verdictText } from '../sim/dataplane/describe.js';
import { EXTERNAL_CLIENT as OUTSIDE_CLIENT } from '../sim/dataplane/reachability.js';
import { listNames } from './rule-text.js';

/** A nodePort the manifests write (or that an entry with the same port number writes, alloc.go#initNodePorts). */
interface WrittenNodePort {
  readonly service: ServiceView;
  readonly port: ServicePortView;
  /** `spec.ports[i]` that writes the number. */
  readonly index: number;
}

interface NodeTrace {
  readonly node: ClusterNode;
  readonly packet: Packet;
  /** The first branch that does not end at this workload, if any. */
  readonly taken?: TraceBranch;
  readonly first: TraceBranch;
}

function describeContainer(hp: HostPort): string {
  return `${hp.container.kind === 'initContainer' ? 'init container' : 'container'} "${hp.container.name}"`;
}

const sameIP = (a: string, b: string): boolean => {
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x !== undefined && y !== undefined && x.family === y.family && x.value === y.value;
};

/**
 * A host port equal to a nodePort the manifests write, same protocol. kube-proxy serves every
 * nodePort on every node (KP-7), so on each node where the pod runs both want the same packets.
 * kube-proxy inserts its KUBE-SERVICES jump at the top of nat PREROUTING and OUTPUT while portmap
 * appends CNI-HOSTPORT-DNAT (PM-11), and for a hostNetwork pod the NodePort DNAT happens before
 * the packet reaches a local socket. The rule traces a connection from outside to the node on the
 * nodes where the pod runs and reports what the trace shows: where it ends somewhere other than
 * this workload's pods, the host port is shadowed. Where the trace still reaches this workload (the
 * Service selects it, or Local with no endpoint on that node lets the packet fall through to
 * portmap) nothing is claimed. Stand-in nodePorts are not compared: the API server picks those at
 * random (host-port-in-node-port-range covers that risk). Only kube-proxy's iptables mode is traced.
 */
export default defineRule({
  id: 'node-port-shadows-host-port',
  meta: {
    severity: 'warning',
    summary: 'A host port equal to a nodePort a Service writes loses its connections to kube-proxy\'s NodePort rules on the nodes where the pod runs.',
    sources: [
      'PM-4', 'PM-5', 'PM-11', 'KP-1', 'KP-7', 'KP-9', 'KP-10', 'DEF-3', 'SCHED-1',
      'kubernetes/kubernetes pkg/proxy/iptables/proxier.go#iptablesJumpChains, #syncProxyRules',
      'containernetworking/plugins plugins/meta/portmap/portmap_iptables.go#genToplevelDnatChain, chain.go#setup (the jump is appended)',
    ],
    messages: {
      hostPort:
        'Host port {{port}}/{{protocol}} of {{container}} is also nodePort {{port}} of {{services}}, which kube-proxy serves on every node, so on {{shadowed}}, where this pod runs, the Service takes the connections meant for the pod: kube-proxy\'s jump to KUBE-SERVICES comes before portmap\'s CNI-HOSTPORT-DNAT in nat PREROUTING and OUTPUT (PM-11), and a packet the NodePort rule has rewritten never reaches portmap\'s DNAT. hostnet\'s trace of a connection from outside to {{node}} at {{dst}}:{{port}}/{{protocol}}: {{outcome}}.{{kept}} Give the Service another nodePort, move the host port below the NodePort range {{min}}-{{max}}, or drop the host port and reach the pod through the Service.',
      hostNetwork:
        'This hostNetwork pod listens on port {{port}}/{{protocol}} of the node ({{container}}, a host port under hostNetwork, DEF-3), which is also nodePort {{port}} of {{services}}. kube-proxy serves that nodePort on every node and rewrites, drops or rejects its packets (nat PREROUTING, KP-1, KP-7; filter KUBE-EXTERNAL-SERVICES, KP-10) before they reach a socket, so on {{shadowed}} this pod gets no connections from other hosts on that port. hostnet\'s trace of a connection from outside to {{node}} at {{dst}}:{{port}}/{{protocol}}: {{outcome}}.{{kept}} Give the Service another nodePort, move the port below the NodePort range {{min}}-{{max}}, or let the Service select this pod if it is meant to serve that port.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    // Only kube-proxy's iptables mode is modelled; host-port-in-node-port-range speaks for the others.
    if (ctx.cluster.proxyMode !== 'iptables') return {};
    const { min, max } = ctx.cluster.nodePortRange;
    let written: Map<string, WrittenNodePort[]> | undefined;
    let runningOf: Map<PodView, RunningPod[]> | undefined;

    /** protocol/port → the Services that write that nodePort (never stand-ins: those are random in a real cluster). */
    function writtenNodePorts(): Map<string, WrittenNodePort[]> {
      if (written) return written;
      written = new Map();
      for (const service of ctx.sims.services()) {
        if (service.type !== 'NodePort' && service.type !== 'LoadBalancer') continue;
        const raw = Array.isArray(service.spec?.ports) ? service.spec.ports : [];
        for (const port of service.ports) {
          if (port.nodePort === undefined || port.nodePortStandIn) continue;
          const index = raw.findIndex((q) => isRecord(q) && q.port === port.port && q.nodePort === port.nodePort);
          const key = `${port.protocol}/${port.nodePort}`;
          let list = written.get(key);
          if (!list) written.set(key, (list = []));
          list.push({ service, port, index: index >= 0 ? index : port.index });
        }
      }
      return written;
    }

    function running(v: PodView): readonly RunningPod[] {
      if (!runningOf) {
        runningOf = new Map();
        for (const p of ctx.sims.running()) {
          let list = runningOf.get(p.view);
          if (!list) runningOf.set(p.view, (list = []));
          list.push(p);
        }
      }
      return runningOf.get(v) ?? [];
    }

    return {
      podView(v) {
        if (ctx.model.duplicates.has(v.object)) return;
        // Without portmap a hostPort maps nothing (host-port-without-portmap); hostNetwork needs none.
        if (!v.hostNetwork && !ctx.cluster.cni.portmap) return;
        for (const hp of v.hostPorts) {
          const services = writtenNodePorts().get(`${hp.protocol}/${hp.port}`);
          if (!services) continue;
          const pods = running(v);
          if (pods.length === 0) continue;
          const traced = traceNodes(v, hp, pods);
          const shadowed = traced.filter((t) => t.taken !== undefined);
          if (shadowed.length === 0) continue;
          report(v, hp, services, pods, traced, shadowed);
        }
      },
    };

    /** The pod's nodes, in cluster order, each traced once (up to MAX_TRACED_NODES). */
    function traceNodes(v: PodView, hp: HostPort, pods: readonly RunningPod[]): NodeTrace[] {
      const ownIPs = new Set(pods.filter((p) => !p.hostNetwork).map((p) => p.ip));
      const podNodes = new Set(pods.map((p) => p.node));
      const ownPorts = new Set(v.hostPorts.filter((h) => h.protocol === hp.protocol).map((h) => h.port));
      const out: NodeTrace[] = [];
      for (const node of ctx.cluster.nodes) {
        if (!podNodes.has(node.name) || out.length >= MAX_TRACED_NODES) continue;
        let dst = traceAddress(node);
        // portmap matches `-d <hostIP>` when hostIP is set (PM-4): trace that address if the node owns it.
        if (!v.hostNetwork && !isUnspecified(hp.hostIP)) {
          dst = ipFamily(hp.hostIP) === 'ipv4' && nodeAddresses(node).some((ip) => sameIP(ip, hp.hostIP)) ? hp.hostIP : undefined;
        }
        const dp = dst !== undefined ? ctx.sims.dataplane(node.name) : undefined;
        if (!dp || dst === undefined) continue;
        const packet: Packet = { src: OUTSIDE_CLIENT, dst, protocol: hp.protocol.toLowerCase() as Packet['protocol'], dport: hp.port };
        const result = trace(dp.ruleset, packet, { kind: 'external' }, dp.env);
        const first = result.branches[0];
        if (!first) continue;
        // Ends at this workload: one of its pods (the Service may select it), or for hostNetwork a
        // socket on a node it runs on, at a port it declares.
        const reachesOwn = (b: TraceBranch): boolean => {
          const w = b.verdict;
          if (w.kind === 'dropped' || w.kind === 'rejected') return false;
          if (!v.hostNetwork) return w.kind !== 'forwarded' && w.pod !== undefined && ownIPs.has(w.ip);
          const host = w.kind === 'forwarded' || w.to === 'host';
          return host && w.node !== undefined && podNodes.has(w.node) && ownPorts.has(w.port);
        };
        const taken = result.branches.find((b) => !reachesOwn(b));
        out.push({ node, packet, first, ...(taken ? { taken } : {}) });
      }
      return out;
    }

    function outcomeOf(v: PodView, b: TraceBranch): string {
      const nodePortStep = b.steps.find((s) => s.table === 'nat' && s.chain === 'KUBE-NODEPORTS');
      const comment = nodePortStep ? /--comment ("(?:[^"\\]|\\.)*"|\S+)/.exec(nodePortStep.rule)?.[1]?.replace(/^"|"$/g, '') : undefined;
      const portmapReached = b.steps.some((s) => s.chain === 'CNI-HOSTPORT-DNAT' || s.effect === 'jump CNI-HOSTPORT-DNAT');
      const parts: string[] = [];
      if (nodePortStep) parts.push(`rule ${nodePortStep.index} of nat KUBE-NODEPORTS${comment !== undefined ? ` ("${comment}")` : ''} matches first`);
      parts.push(`the packet is ${verdictText(b.verdict)}`);
      let text = parts.join(', and ');
      if (b.probability < 1) text += ` (one of the Service's endpoints, chosen at random; this branch has a ${Math.round(b.probability * 1000) / 10}% chance)`;
      if (!v.hostNetwork && !portmapReached) text += ', and portmap\'s CNI-HOSTPORT-DNAT is never reached';
      return text;
    }

    function report(v: PodView, hp: HostPort, services: readonly WrittenNodePort[], pods: readonly RunningPod[], traced: readonly NodeTrace[], shadowed: readonly NodeTrace[]): void {
      const names = services.map((s) => `Service ${s.service.namespace}/${s.service.name}`);
      const kept = traced.filter((t) => t.taken === undefined);
      const untracedNodes = [...new Set(pods.map((p) => p.node))].filter((n) => !traced.some((t) => t.node.name === n));
      const d = shadowed[0]!;
      let keptText = '';
      if (kept.length > 0) {
        const k = kept[0]!.first;
        // Local with no endpoint on the node: KUBE-EXT has no rule for the packet and portmap's DNAT follows (KP-9, KP-10).
        const fellThrough = !v.hostNetwork && services.some((s) => s.service.externalTrafficPolicy === 'Local') && k.steps.some((s) => s.chain === 'CNI-HOSTPORT-DNAT');
        keptText = ` On ${listNames(kept.map((t) => t.node.name))} the trace still ends at this ${v.hostNetwork ? 'workload' : 'workload\'s pods'}${fellThrough ? ', because with externalTrafficPolicy: Local and no endpoint of the Service there kube-proxy\'s KUBE-EXT chain lets the packet through to portmap\'s DNAT' : ''}: the packet is ${verdictText(k.verdict)}.`;
      }
      if (untracedNodes.length > 0) keptText += ` hostnet did not trace the other ${untracedNodes.length} node${untracedNodes.length === 1 ? '' : 's'} where it runs.`;
      const related: RelatedLocation[] = services.map((s) => {
        const path = ['spec', 'ports', s.index, 'nodePort'];
        const pos = s.service.object.source.locator.locate(path);
        return {
          message: `Service ${s.service.namespace}/${s.service.name} sets nodePort ${hp.port}/${hp.protocol} here.`,
          file: s.service.object.source.file, line: pos.line, column: pos.column, path: formatPath(path),
        };
      });
      ctx.report({
        object: v.object,
        path: [...hp.portView.path, hp.implied ? 'containerPort' : 'hostPort'],
        messageId: v.hostNetwork ? 'hostNetwork' : 'hostPort',
        data: {
          port: hp.port, protocol: hp.protocol, container: describeContainer(hp), min, max,
          services: listNames(names),
          shadowed: listNames(shadowed.map((t) => t.node.name)),
          node: d.node.name, dst: d.packet.dst,
          outcome: outcomeOf(v, d.taken!),
          kept: keptText,
        },
        related,
        evidence: [
          ...services.map((s) => `Service ${s.service.namespace}/${s.service.name}: type ${s.service.type}, externalTrafficPolicy ${s.service.externalTrafficPolicy}, nodePort ${hp.port}/${hp.protocol} written in spec.ports[${s.index}]`),
          ...traced.map((t) => traceEvidence(t.node.name, t.packet, t.taken ?? t.first)),
        ],
        fix: 'Give the Service another nodePort, or move the host port out of the NodePort range.',
      });
    }
  },
});
