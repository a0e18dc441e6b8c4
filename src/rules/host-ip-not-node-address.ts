import type { ClusterNode } from '../model/cluster.js';
import type { HostPort } from '../model/pod-view.js';
import { ipFamily, isLoopback, isUnspecified, parseAddress } from '../sim/dataplane/addresses.js';
import { defineRule } from './define-rule.js';

/** The addresses a node owns as the cluster describes them (InternalIP, ExternalIP). */
export function nodeIPs(node: ClusterNode): string[] {
  return node.addresses.filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address);
}

/** Same address, whatever the spelling (`fd00::1` and `fd00:0::1`). */
function sameIP(a: string, b: string): boolean {
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x !== undefined && y !== undefined && x.family === y.family && x.value === y.value;
}

function describeContainer(hp: HostPort): string {
  return `${hp.container.kind === 'initContainer' ? 'init container' : 'container'} "${hp.container.name}"`;
}

/** `worker-1, worker-2 and 3 more`. */
function listNodes(names: readonly string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/**
 * The API server accepts any string as hostIP (VAL-5) and the scheduler compares it only with
 * other pods' hostIPs (SCHED-2, SCHED-3), never with the node's addresses. portmap then writes
 * `-d <hostIP>` into the pod's DNAT chain, reached only through `-m addrtype --dst-type LOCAL`
 * (PM-4, PM-5): on a node that does not own the address, no packet can ever match, and the port
 * silently does nothing. Text that is not an IP is skipped for IPv4 and makes an invalid IPv6 rule
 * (PM-4). hostNetwork pods are not mapped by portmap at all (RT-3), so their hostIP is not checked.
 */
export default defineRule({
  id: 'host-ip-not-node-address',
  meta: {
    severity: 'warning',
    summary: 'A hostIP that is not an address of the nodes the pod can land on never matches any packet, so the host port silently does nothing there.',
    sources: [
      'VAL-5', 'SCHED-2', 'PM-4', 'PM-5', 'RT-3',
      'containernetworking/plugins plugins/meta/portmap/portmap_iptables.go#fillDnatRules',
    ],
    messages: {
      notAnIP:
        'hostIP "{{hostIP}}" of host port {{port}}/{{protocol}} ({{container}}) is not an IP address. The API server accepts any text here (VAL-5), but the CNI portmap plugin treats it as not IPv4 and skips the mapping, and writes a rule for IPv6 that cannot load (PM-4), so the port is never mapped on any node. Write the node address the port should listen on, or remove hostIP to listen on all of them.',
      nowhere:
        'hostIP {{hostIP}} of host port {{port}}/{{protocol}} ({{container}}) is not an address of any node this pod can land on ({{nodes}}; their addresses: {{addresses}}). portmap matches it with "-d {{hostIP}}" behind "-m addrtype --dst-type LOCAL" (PM-4, PM-5), so no packet ever matches: the pod runs and the port silently does nothing. The scheduler never compares hostIP with node addresses (SCHED-2). Remove hostIP to listen on every node address, or pin the pod to the node that owns {{hostIP}}.',
      someNodes:
        'hostIP {{hostIP}} of host port {{port}}/{{protocol}} ({{container}}) is an address of {{owners}} only, but this pod can also land on {{others}}. There portmap\'s rule "-d {{hostIP}}" behind "-m addrtype --dst-type LOCAL" never matches (PM-4, PM-5), so the port silently does nothing on those nodes; the scheduler does not check (SCHED-2). Pin the pod to {{owners}} with a nodeSelector or node affinity, or remove hostIP.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    // Without a portMappings plugin nothing is mapped at all: host-port-without-portmap says so.
    if (!ctx.cluster.cni.portmap) return {};
    return {
      podView(v) {
        if (v.hostNetwork) return;
        const candidates = v.hostPorts.filter((hp) => !hp.implied && hp.container.kind === 'container' && typeof hp.portView.hostIP === 'string' && hp.portView.hostIP !== '');
        if (candidates.length === 0) return;
        const placement = ctx.sims.placement();
        const w = placement.workloadOf(v);
        const nodes = w ? placement.eligibleNodes(w) : ctx.cluster.nodes;
        for (const hp of candidates) {
          const hostIP = (hp.portView.hostIP as string).trim();
          const path = [...hp.portView.path, 'hostIP'];
          const base = { port: hp.port, protocol: hp.protocol, container: describeContainer(hp), hostIP };
          if (ipFamily(hostIP) === undefined) {
            ctx.report({ object: v.object, path, messageId: 'notAnIP', data: base, fix: 'Remove hostIP, or write one of the node\'s IP addresses.' });
            continue;
          }
          // 0.0.0.0 and :: mean every address of that family; loopback is local on every node (PM-7).
          if (isUnspecified(hostIP) || isLoopback(hostIP) || nodes.length === 0) continue;
          const owners = nodes.filter((n) => nodeIPs(n).some((ip) => sameIP(ip, hostIP)));
          if (owners.length === nodes.length) continue;
          const evidence = nodes.slice(0, 8).map((n) => `node ${n.name} addresses: ${nodeIPs(n).join(', ') || 'none listed'}`);
          if (owners.length === 0) {
            const addresses = [...new Set(nodes.flatMap(nodeIPs))];
            ctx.report({
              object: v.object, path, messageId: 'nowhere',
              data: { ...base, nodes: listNodes(nodes.map((n) => n.name)), addresses: addresses.length <= 6 ? addresses.join(', ') : `${addresses.slice(0, 5).join(', ')} and ${addresses.length - 5} more` },
              evidence,
            });
          } else {
            ctx.report({
              object: v.object, path, messageId: 'someNodes',
              data: { ...base, owners: listNodes(owners.map((n) => n.name)), others: listNodes(nodes.filter((n) => !owners.includes(n)).map((n) => n.name)) },
              evidence,
            });
          }
        }
      },
    };
  },
});
