import { defineRule } from './define-rule.js';

/**
 * The kubelet passes host ports to the runtime, containerd hands them to CNI as the `portMappings`
 * capability, and only a plugin that declares it (portmap) installs anything (RT-1, RT-3). When the
 * cluster's CNI chain has no such plugin, the scheduler still reserves the port (SCHED-1) but no
 * rule ever forwards it: the pod runs and the port is closed. Cluster profiles say whether the
 * chain has portmap (`cni.portmap`).
 */
export default defineRule({
  id: 'host-port-without-portmap',
  meta: {
    severity: 'error',
    summary: 'Host ports on a cluster whose CNI chain has no plugin with the portMappings capability are reserved by the scheduler but never forwarded.',
    sources: [
      'RT-1', 'RT-3', 'HIST-3', 'SCHED-1', 'PM-1',
      'kubernetes/website content/en/docs/concepts/extend-kubernetes/compute-storage-net/network-plugins.md (Support hostPort)',
    ],
    messages: {
      hostPort:
        'Host port {{port}}/{{protocol}} of container "{{container}}" is never forwarded on cluster {{cluster}}: its CNI chain ({{cni}}) has no plugin with the portMappings capability such as portmap, and since Kubernetes 1.24 nothing else implements hostPort (RT-3, HIST-3). The scheduler still reserves the port on the node (SCHED-1), so the pod runs and the port stays closed. Add portmap to the CNI chain with "capabilities": {"portMappings": true}, or expose the pod through a NodePort Service or hostNetwork instead.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    if (ctx.cluster.cni.portmap) return {};
    return {
      podView(v) {
        // hostNetwork pods listen on the node directly: no mapping is needed (RT-3).
        if (v.hostNetwork) return;
        for (const hp of v.hostPorts) {
          // Init containers' host ports are never passed to the runtime at all (RT-2), portmap or not.
          if (hp.container.kind !== 'container') continue;
          ctx.report({
            object: v.object,
            path: [...hp.portView.path, 'hostPort'],
            messageId: 'hostPort',
            data: { port: hp.port, protocol: hp.protocol, container: hp.container.name, cluster: ctx.cluster.name, cni: ctx.cluster.cni.name },
            evidence: [`cluster ${ctx.cluster.name}: cni ${ctx.cluster.cni.name}, portmap ${ctx.cluster.cni.portmap}`],
          });
        }
      },
    };
  },
});
