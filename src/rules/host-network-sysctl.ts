import { versionAtLeast } from '../model/cluster.js';
import { isRecord } from '../model/pod-view.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'host-network-sysctl',
  meta: {
    severity: 'error',
    summary: 'net.* sysctls on a hostNetwork pod would change the node\'s own network settings; the API server (since 1.29) or the kubelet (before) rejects the pod.',
    sources: ['VAL-12', 'kubernetes/kubernetes pkg/apis/core/validation/validation.go#validateSysctls', 'kubernetes/kubernetes#118705'],
    messages: {
      rejectedByApi: 'The sysctl {{name}} lives in the network namespace, and this pod shares the node\'s (hostNetwork: true), so setting it would change the node; since Kubernetes 1.29 the API server rejects the pod ("may not be specified when \'hostNetwork\' is true"). Set it on the nodes instead, or drop hostNetwork.',
      rejectedByKubelet: 'The sysctl {{name}} lives in the network namespace, and this pod shares the node\'s (hostNetwork: true), so setting it would change the node; on Kubernetes {{version}} the API server accepts the pod but the kubelet refuses to start it (reason SysctlForbidden). Set it on the nodes instead, or drop hostNetwork.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const byApi = versionAtLeast(ctx.cluster.kubernetesVersion, '1.29');
    return {
      podView(v) {
        if (!v.hostNetwork) return;
        const sc = v.spec.securityContext;
        const sysctls = isRecord(sc) ? sc.sysctls : undefined;
        if (!Array.isArray(sysctls)) return;
        sysctls.forEach((s, i) => {
          if (!isRecord(s) || typeof s.name !== 'string' || !s.name.startsWith('net.')) return;
          ctx.report({
            object: v.object, path: v.at('securityContext', 'sysctls', i, 'name'),
            messageId: byApi ? 'rejectedByApi' : 'rejectedByKubelet',
            data: { name: s.name, version: ctx.cluster.kubernetesVersion },
          });
        });
      },
    };
  },
});
