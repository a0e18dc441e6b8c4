import { defineRule } from './define-rule.js';

/**
 * VAL-15, KDNS-3: ClusterFirstWithHostNet differs from ClusterFirst only for hostNetwork pods. On any
 * other pod it is legal and harmless, but it tells the reader the pod shares the node's network.
 */
export default defineRule({
  id: 'cluster-first-with-host-net-without-host-network',
  meta: {
    severity: 'info',
    summary: 'dnsPolicy ClusterFirstWithHostNet on a pod without hostNetwork behaves exactly like ClusterFirst, which misleads readers.',
    sources: ['VAL-15', 'KDNS-3', 'DEF-1', 'kubernetes/kubernetes pkg/kubelet/network/dns/dns.go#getPodDNSType'],
    messages: {
      redundant:
        'dnsPolicy ClusterFirstWithHostNet only changes anything for hostNetwork pods, and this pod {{hostNetwork}}, so the kubelet treats it exactly like ClusterFirst (cluster DNS). The value suggests the pod shares the node\'s network when it does not: remove dnsPolicy (ClusterFirst is the default), or set hostNetwork: true if that was intended.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    return {
      podView(v) {
        if (v.dnsPolicy !== 'ClusterFirstWithHostNet') return;
        const hostNetwork = v.spec.hostNetwork;
        // A hostNetwork that is not a boolean is a schema error; what the pod means is unclear, so say nothing.
        if (hostNetwork !== undefined && hostNetwork !== null && hostNetwork !== false) return;
        ctx.report({
          object: v.object, path: v.at('dnsPolicy'), messageId: 'redundant',
          data: { hostNetwork: hostNetwork === false ? 'sets hostNetwork: false' : 'does not set hostNetwork' },
          fix: 'remove dnsPolicy',
        });
      },
    };
  },
});
