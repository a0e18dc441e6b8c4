import { defineRule } from './define-rule.js';

const HOST_NAMESPACES = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

export default defineRule({
  id: 'host-user-namespace',
  meta: {
    severity: 'error',
    summary: 'hostUsers: false (a user namespace) cannot be combined with hostNetwork, hostPID or hostIPC; the API server rejects the pod.',
    sources: ['VAL-11', 'kubernetes/kubernetes pkg/apis/core/validation/validation.go#validateHostUsers', 'KEP-5607'],
    messages: {
      forbidden: 'hostUsers: false asks for a user namespace, but this pod also sets {{field}}: true; the API server rejects it (Forbidden) because a pod in its own user namespace cannot join the node\'s {{what}}. Drop hostUsers: false, or drop {{field}}.',
      forbiddenUnlessGate: 'hostUsers: false asks for a user namespace, but this pod also sets hostNetwork: true; the API server rejects it (Forbidden) unless the alpha feature gate UserNamespacesHostNetworkSupport (v1.35, off by default) is enabled. Drop hostUsers: false, or drop hostNetwork.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const gateExists = (v: string): boolean => /^v?1\.(3[5-9]|[4-9]\d)/.test(v);
    const what: Record<(typeof HOST_NAMESPACES)[number], string> = {
      hostNetwork: 'network namespace', hostPID: 'process namespace', hostIPC: 'IPC namespace',
    };
    return {
      podView(v) {
        if (v.spec.hostUsers !== false) return;
        for (const field of HOST_NAMESPACES) {
          if (v.spec[field] !== true) continue;
          const messageId = field === 'hostNetwork' && gateExists(ctx.cluster.kubernetesVersion) ? 'forbiddenUnlessGate' : 'forbidden';
          ctx.report({ object: v.object, path: v.at('hostUsers'), messageId, data: { field, what: what[field] } });
        }
      },
    };
  },
});
