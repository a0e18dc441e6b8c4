import type { ReservedHostPort } from '../model/cluster.js';
import { isRecord, type HostPort, type PodView } from '../model/pod-view.js';
import { HostPortInfo } from '../sim/schedule/host-port-info.js';
import { defineRule } from './define-rule.js';

/** A port a node daemon holds, and where hostnet learnt it. */
interface Held {
  readonly port: number;
  readonly protocol: string;
  /** As written; undefined or '' means every address. */
  readonly hostIP: string | undefined;
  readonly owner: string;
  readonly from: 'cluster' | 'option';
}

interface Options {
  /** Ports node daemons commonly hold beyond the cluster's own list. */
  readonly wellKnownHostPorts: readonly ReservedHostPort[];
}

const WELL_KNOWN: readonly ReservedHostPort[] = [{ port: 9100, protocol: 'TCP', owner: 'node-exporter' }];

/** Option entries are user input: keep the well-formed ones, drop the rest. */
function optionEntries(raw: unknown): Held[] {
  if (!Array.isArray(raw)) return [];
  const out: Held[] = [];
  for (const e of raw) {
    if (!isRecord(e)) continue;
    const { port, protocol, hostIP, owner } = e;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    if (typeof owner !== 'string' || owner.trim() === '') continue;
    out.push({
      port, owner: owner.trim(), from: 'option',
      protocol: typeof protocol === 'string' && protocol !== '' ? protocol : 'TCP',
      hostIP: typeof hostIP === 'string' ? hostIP : undefined,
    });
  }
  return out;
}

/** `kube-proxy` of `kube-proxy healthz`: the word that names the daemon's own workload and image. */
const ownerWord = (owner: string): string => owner.trim().split(/\s+/)[0]!.toLowerCase();

/** Whether the pod is the daemon itself (its workload name or one of its images names the owner). */
function isOwnPod(v: PodView, owner: string): boolean {
  const word = ownerWord(owner);
  if (word === '') return false;
  if (v.object.name.toLowerCase().includes(word)) return true;
  return v.containers.some((c) => typeof c.raw.image === 'string' && c.raw.image.toLowerCase().includes(word));
}

const isAll = (ip: string | undefined): boolean => ip === undefined || ip === '' || ip === '0.0.0.0';

/** `port 10250/TCP on all addresses`, `127.0.0.1:10248/TCP`. */
const heldAt = (h: Held): string => (isAll(h.hostIP) ? `port ${h.port}/${h.protocol} on all addresses` : `${h.hostIP}:${h.port}/${h.protocol}`);

function describeContainer(hp: HostPort): string {
  return `${hp.container.kind === 'initContainer' ? 'init container' : 'container'} "${hp.container.name}"`;
}

/**
 * Node daemons (kubelet, kube-proxy, node-exporter, a CNI agent) listen on host ports without any
 * pod object the scheduler could see, so NodePorts never rejects a pod that wants the same port
 * (SCHED-8). The pod is placed, and then a hostNetwork process cannot bind (the daemon has the
 * socket), while a hostPort pod's portmap DNAT silently takes the daemon's traffic (PM-4, PM-5,
 * PM-8). The ports come from the cluster's reservedHostPorts plus a well-known list (an option).
 * Overlap is SCHED-3's: 0.0.0.0 overlaps every hostIP, two different specific IPs do not.
 * The daemon's own workload is recognised by the first word of the owner in its name or image.
 */
export default defineRule<'hostNetwork' | 'hostPort', Options>({
  id: 'host-port-reserved',
  meta: {
    severity: 'warning',
    summary: 'A host port that a node daemon (kubelet, kube-proxy, node-exporter, or one the cluster lists) already holds: a hostNetwork pod cannot bind it, and a hostPort pod takes the daemon\'s traffic.',
    sources: [
      'SCHED-3', 'SCHED-4', 'SCHED-8', 'DEF-3', 'PM-4', 'PM-5', 'PM-7', 'PM-8', 'RT-3',
      'kubernetes/kubernetes pkg/scheduler/framework/plugins/nodeports/node_ports.go',
      'containernetworking/plugins plugins/meta/portmap/portmap_iptables.go',
      'kubernetes/kubernetes#49263', 'prometheus-operator/prometheus-operator#1612', 'prometheus-community/helm-charts#2248',
    ],
    messages: {
      hostNetwork:
        'This hostNetwork pod declares port {{port}}/{{protocol}} in {{container}} (a host port under hostNetwork, SCHED-4), but on every node {{owner}} already listens on {{heldAt}} ({{listed}}). The scheduler does not know about node daemons (SCHED-8), so the pod is placed anyway ({{nodes}}), and there its process cannot bind the port (address already in use): the container exits and restarts in CrashLoopBackOff. Use a port no node daemon holds; if this pod is meant to replace {{owner}}, stop {{owner}} first and silence this finding with a hostnet.dev/ignore annotation that says so.',
      hostPort:
        'Host port {{port}}/{{protocol}} on {{podAddress}} of {{container}} overlaps {{heldAt}}, where {{owner}} already listens on every node ({{listed}}). The scheduler does not know about node daemons (SCHED-8), so the pod is placed anyway ({{nodes}}), and the CNI portmap plugin installs its DNAT rule there without checking who listens on the port (PM-8): connections to {{caught}} enter CNI-HOSTPORT-DNAT from nat PREROUTING and OUTPUT (PM-4, PM-5) and reach this pod instead of {{owner}}, which stops getting them. Use a hostPort no node daemon holds, or reach the pod through a Service.',
    },
    optionDocs: {
      wellKnownHostPorts: 'Ports node daemons commonly hold, checked beside the cluster\'s reservedHostPorts: a list of {port, protocol (default TCP), hostIP (default all addresses), owner}. The default lists node-exporter on 9100/TCP; setting the option replaces it, and [] turns it off.',
    },
  },
  defaultOptions: { wellKnownHostPorts: WELL_KNOWN },
  create(ctx) {
    // Index every held port once: a host port is then a map lookup with SCHED-3's overlap rule.
    const held = new HostPortInfo<Held>();
    const seen = new Set<string>();
    const add = (h: Held): void => {
      const key = `${h.protocol}/${h.hostIP ?? ''}/${h.port}/${h.owner}`;
      if (seen.has(key)) return;
      seen.add(key);
      held.add(h.hostIP ?? '', h.protocol, h.port, h);
    };
    for (const r of ctx.cluster.reservedHostPorts) add({ port: r.port, protocol: r.protocol, hostIP: r.hostIP, owner: r.owner, from: 'cluster' });
    for (const h of optionEntries(ctx.options.wellKnownHostPorts)) add(h);
    // Without a portMappings plugin a hostPort is reserved but never programmed (RT-3, SCHED-8): nothing is intercepted.
    const portmap = ctx.cluster.cni.portmap;

    const nodesOf = (v: PodView): string => {
      const w = ctx.sims.placement().workloadOf(v);
      const nodes = [...new Set((w?.pods ?? []).filter((p) => p.phase === 'Scheduled').map((p) => p.node!))];
      return nodes.length === 0 ? 'on whichever node it lands on' : `on ${nodes.join(', ')}`;
    };

    return {
      podView(v) {
        if (!v.hostNetwork && !portmap) return;
        for (const hp of v.hostPorts) {
          const hits = held.conflicts(hp.hostIP, hp.protocol, hp.port).filter((h) => !isOwnPod(v, h.holder.owner));
          if (hits.length === 0) continue;
          const h = hits[0]!.holder;
          const listed = h.from === 'cluster'
            ? `listed in the cluster's reservedHostPorts`
            : `hostnet's well-known node daemon ports, option wellKnownHostPorts`;
          ctx.report({
            object: v.object,
            path: [...hp.portView.path, hp.implied ? 'containerPort' : 'hostPort'],
            messageId: v.hostNetwork ? 'hostNetwork' : 'hostPort',
            data: {
              port: hp.port, protocol: hp.protocol, container: describeContainer(hp), owner: h.owner, listed,
              heldAt: heldAt(h), podAddress: isAll(hp.hostIP) ? 'all addresses' : `hostIP ${hp.hostIP}`,
              caught: isAll(hp.hostIP) ? `port ${hp.port} on any of the node's addresses` : `${hp.hostIP}:${hp.port} on the node`,
              nodes: nodesOf(v),
            },
            evidence: hits.map((x) => `every node: ${x.holder.owner} holds ${x.hostIP}:${x.port}/${x.protocol} (${x.holder.from === 'cluster' ? 'cluster reservedHostPorts' : 'option wellKnownHostPorts'})`),
          });
        }
      },
    };
  },
});
