import { defineRule } from './define-rule.js';

/**
 * VAL-8: under `hostNetwork: true` an explicit non-zero `hostPort` in `spec.containers` must equal
 * `containerPort`, for Pods and pod templates alike. Omitting hostPort is fine: DEF-3 fills it in on
 * Pods and templates accept 0 (§15 claim D). Init-container ports are not part of the check as
 * reviewed. Out-of-range and non-integer values are invalid-port's findings; a hostPort that is not
 * an integer never reaches this comparison.
 */
export default defineRule({
  id: 'host-port-mismatch',
  meta: {
    severity: 'error',
    summary: 'In a hostNetwork pod an explicit hostPort must equal its containerPort, or the API server rejects the object.',
    sources: ['VAL-8', 'DEF-3', 'kubernetes/kubernetes pkg/apis/core/validation/validation.go#validatePodHostNetworkDeps'],
    messages: {
      mismatch:
        'hostPort {{hostPort}} differs from containerPort {{containerPort}} in container "{{container}}" of this hostNetwork {{kind}}, so the API server rejects it (Invalid value: must match containerPort when hostNetwork is true); on the host network the process binds the node\'s port {{containerPort}} directly and there is no port mapping to translate {{hostPort}}. Set hostPort: {{containerPort}}, or remove hostPort (it defaults to containerPort).',
    },
  },
  defaultOptions: {},
  create(ctx) {
    return {
      podView(v) {
        if (!v.hostNetwork) return;
        for (const c of v.containers) {
          if (c.kind !== 'container') continue;
          for (const p of c.ports) {
            const { hostPort, containerPort } = p;
            if (typeof hostPort !== 'number' || !Number.isInteger(hostPort) || hostPort === 0) continue;
            if (typeof containerPort !== 'number' || !Number.isInteger(containerPort)) continue;
            if (hostPort === containerPort) continue;
            ctx.report({
              object: v.object,
              path: [...p.path, 'hostPort'],
              messageId: 'mismatch',
              data: { hostPort, containerPort, container: c.name, kind: v.kind },
              fix: `hostPort: ${containerPort}`,
            });
          }
        }
      },
    };
  },
});
