import type { Cluster } from '../model/cluster.js';
import { isRecord, type HostPort } from '../model/pod-view.js';
import { formatPath, type FieldPath, type KubeObject, type RelatedLocation } from '../model/types.js';
import { defineRule } from './define-rule.js';

/** A nodePort written in a Service of the manifest set. */
interface WrittenNodePort {
  readonly object: KubeObject;
  readonly path: FieldPath;
}

/** Service types that get a nodePort on every node (a LoadBalancer unless allocateLoadBalancerNodePorts is false). */
function allocatesNodePorts(spec: Readonly<Record<string, unknown>>): boolean {
  if (spec.type === 'NodePort') return true;
  return spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false;
}

/** What decides between the NodePort rule and the pod, for the cluster's proxy mode. */
function orderSentence(cluster: Cluster, hostNetwork: boolean): string {
  if (cluster.proxyMode === 'iptables') {
    return hostNetwork
      ? 'kube-proxy jumps to its NodePort rules from the start of nat PREROUTING and OUTPUT (KP-1, KP-7), so these packets are DNATed to the Service\'s endpoints before they reach this pod\'s socket, and the process only gets them while no Service holds the number.'
      : 'kube-proxy prepends its KUBE-SERVICES jump to nat PREROUTING and OUTPUT while portmap appends its own, so the NodePort rule is evaluated first and the Service takes the traffic away from this pod (PM-11, derived from the insertion order rather than a documented guarantee).';
  }
  const who = cluster.proxyMode === 'none' ? 'whatever implements Services in place of kube-proxy' : `kube-proxy in ${cluster.proxyMode} mode`;
  return hostNetwork
    ? `with ${who}, whether the NodePort rule or this pod's socket gets a packet depends on how its rules are ordered, which no one documents.`
    : `with ${who}, which of the two rules matches first depends on how its rules are ordered against portmap's (PM-11 describes only iptables mode).`;
}

function describeContainer(hp: HostPort): string {
  return `${hp.container.kind === 'initContainer' ? 'init container' : 'container'} "${hp.container.name}"`;
}

/**
 * The API server allocates a nodePort for every NodePort (and LoadBalancer) Service at random from
 * the cluster's range, and kube-proxy then matches that port on every node's addresses (KP-7).
 * A host port inside the range shares the number space: the day a Service gets the same number,
 * kube-proxy's rule and the pod's portmap DNAT (PM-5) or hostNetwork socket compete for the same
 * packets on every node, and the order of the rules decides (PM-11). Implied host ports count.
 * Services of the manifest set that already write the same nodePort are named.
 */
export default defineRule({
  id: 'host-port-in-node-port-range',
  meta: {
    severity: 'warning',
    summary: 'A host port inside the Service NodePort range competes with kube-proxy\'s NodePort rules for the same packets on every node once a Service is allocated the same number.',
    sources: [
      'PM-4', 'PM-5', 'PM-8', 'PM-11', 'KP-1', 'KP-7', 'DEF-3', 'SCHED-1', 'SCHED-4',
      'kubernetes/kubernetes pkg/registry/core/service/portallocator (random allocation from --service-node-port-range)',
      'kubernetes/kubernetes pkg/proxy/iptables/proxier.go#syncProxyRules',
      'containernetworking/plugins plugins/meta/portmap/portmap_iptables.go',
    ],
    peers: [{ tool: 'kyverno', id: 'restrict-node-port', relation: 'related' }],
    messages: {
      hostPort:
        'Host port {{port}}/{{protocol}} of {{container}} lies inside the cluster\'s Service NodePort range {{min}}-{{max}}, from which the API server picks a nodePort at random for each NodePort or LoadBalancer Service.{{service}} When a Service gets {{port}}, kube-proxy\'s NodePort rule (KP-7) and this pod\'s hostPort DNAT from the CNI portmap plugin (PM-5) match the same packets on every node, and only one of them gets them: {{order}} Whether it breaks depends on which numbers Services are given, so it comes and goes as Services are created. Move the host port below {{min}}, or let a Service that selects this pod hold the number by setting its nodePort: {{port}} explicitly (with externalTrafficPolicy: Local to keep traffic on the node, as the hostPort did).',
      hostNetwork:
        'This hostNetwork pod listens on port {{port}}/{{protocol}} of the node ({{container}}, a host port under hostNetwork, DEF-3), inside the cluster\'s Service NodePort range {{min}}-{{max}}, from which the API server picks a nodePort at random for each NodePort or LoadBalancer Service.{{service}} When a Service gets {{port}}, kube-proxy\'s NodePort rule (KP-7) and this pod\'s socket want the same packets on every node: {{order}} Whether it breaks depends on which numbers Services are given, so it comes and goes as Services are created. Move the port below {{min}}, or let a Service that selects this pod hold the number by setting its nodePort: {{port}} explicitly (with externalTrafficPolicy: Local to keep traffic on the node).',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const { min, max } = ctx.cluster.nodePortRange;
    // protocol/port → Services that write that nodePort, indexed once over the objects.
    const written = new Map<string, WrittenNodePort[]>();
    return {
      object(o) {
        if (o.kind !== 'Service' || !isRecord(o.raw.spec)) return;
        const spec = o.raw.spec;
        if (!allocatesNodePorts(spec) || !Array.isArray(spec.ports)) return;
        spec.ports.forEach((p, i) => {
          if (!isRecord(p) || typeof p.nodePort !== 'number') return;
          const protocol = typeof p.protocol === 'string' && p.protocol !== '' ? p.protocol : 'TCP';
          const key = `${protocol}/${p.nodePort}`;
          let list = written.get(key);
          if (!list) written.set(key, (list = []));
          list.push({ object: o, path: ['spec', 'ports', i, 'nodePort'] });
        });
      },
      podView(v) {
        for (const hp of v.hostPorts) {
          if (hp.port < min || hp.port > max) continue;
          const services = written.get(`${hp.protocol}/${hp.port}`) ?? [];
          // A Service here that writes the same nodePort is a certain collision: in iptables mode
          // node-port-shadows-host-port traces it on the pod's nodes and says which rule wins.
          if (services.length > 0 && ctx.cluster.proxyMode === 'iptables') continue;
          const related: RelatedLocation[] = services.map((s) => {
            const pos = s.object.source.locator.locate(s.path);
            return {
              message: `Service ${s.object.namespace ?? 'default'}/${s.object.name} sets nodePort ${hp.port}/${hp.protocol} here.`,
              file: s.object.source.file, line: pos.line, column: pos.column, path: formatPath(s.path),
            };
          });
          const service = services.length === 0
            ? ''
            : ` Service ${services.map((s) => `${s.object.namespace ?? 'default'}/${s.object.name}`).join(', ')} in these manifests already sets nodePort ${hp.port}, so this happens as soon as both are applied.`;
          const hostNetwork = v.hostNetwork;
          ctx.report({
            object: v.object,
            path: [...hp.portView.path, hp.implied ? 'containerPort' : 'hostPort'],
            messageId: hostNetwork ? 'hostNetwork' : 'hostPort',
            data: {
              port: hp.port, protocol: hp.protocol, container: describeContainer(hp), min, max, service,
              order: orderSentence(ctx.cluster, hostNetwork),
            },
            related,
            evidence: [
              `cluster ${ctx.cluster.name}: Service NodePort range ${min}-${max}, kube-proxy mode ${ctx.cluster.proxyMode}`,
              ...services.map((s) => `Service ${s.object.namespace ?? 'default'}/${s.object.name} sets nodePort ${hp.port}/${hp.protocol}`),
            ],
          });
        }
      },
    };
  },
});
