import { versionAtLeast } from '../model/cluster.js';
import { isRecord } from '../model/pod-view.js';
import { defineRule } from './define-rule.js';

/**
 * True when a sysctl name is in the network namespace. Kubernetes accepts `/` as the separator too
 * (`net/ipv4/ip_forward`) and normalizes it before deciding (component-helpers
 * node/util/sysctl#NormalizeName, GetNamespace), so both spellings count.
 */
export function isNetSysctl(name: string): boolean {
  const first = name.search(/[./]/);
  return first !== -1 && name.slice(0, first) === 'net';
}

export default defineRule({
  id: 'host-network-sysctl',
  meta: {
    severity: 'error',
    summary: 'net.* sysctls on a hostNetwork pod would change the node\'s own network settings; the API server (since 1.29) or the kubelet (before) rejects the pod.',
    sources: [
      'VAL-12',
      'kubernetes/kubernetes pkg/apis/core/validation/validation.go#validateSysctls',
      'kubernetes/kubernetes PR #118705',
      'kubernetes/kubernetes pkg/kubelet/sysctl (SysctlForbidden)',
    ],
    messages: {
      rejectedByApi:
        'The sysctl {{name}} belongs to the network namespace, and this pod shares the node\'s (hostNetwork: true), so setting it would change the node\'s own network settings; since Kubernetes 1.29 the API server therefore rejects this {{kind}} ("may not be specified when \'hostNetwork\' is true"). Set it on the nodes instead (sysctl.d or node configuration), or drop hostNetwork.',
      rejectedByKubelet:
        'The sysctl {{name}} belongs to the network namespace, and this pod shares the node\'s (hostNetwork: true), so setting it would change the node\'s own network settings; on Kubernetes {{version}} the API server accepts this {{kind}}, but the kubelet refuses to start the pod at admission (reason SysctlForbidden: "not allowed with host net enabled"). Set it on the nodes instead (sysctl.d or node configuration), or drop hostNetwork.',
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
          if (!isRecord(s) || typeof s.name !== 'string' || !isNetSysctl(s.name)) return;
          ctx.report({
            object: v.object,
            path: v.at('securityContext', 'sysctls', i, 'name'),
            messageId: byApi ? 'rejectedByApi' : 'rejectedByKubelet',
            data: { name: s.name, kind: v.kind, version: ctx.cluster.kubernetesVersion },
          });
        });
      },
    };
  },
});
