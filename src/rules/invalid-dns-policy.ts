import { defineRule } from './define-rule.js';

/** VAL-14: the only values the API server accepts. */
export const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;

/** The accepted value a misspelling most likely meant, or undefined when none is close. */
export function suggestDnsPolicy(value: string): string | undefined {
  const v = value.toLowerCase().replace(/[^a-z]/g, '');
  const exact = DNS_POLICIES.find((p) => p.toLowerCase() === v);
  if (exact) return exact;
  // "ClusterFirstWithHostNetwork" and friends: the longest accepted value the input starts with.
  const prefix = [...DNS_POLICIES].sort((a, b) => b.length - a.length).find((p) => v.startsWith(p.toLowerCase()));
  if (prefix) return prefix;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const p of DNS_POLICIES) {
    const d = editDistance(v, p.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = p;
    }
  }
  return bestDistance <= Math.max(2, Math.floor((best?.length ?? 0) / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export default defineRule({
  id: 'invalid-dns-policy',
  meta: {
    severity: 'error',
    summary: 'dnsPolicy must be exactly ClusterFirst, ClusterFirstWithHostNet, Default or None, or the API server rejects the object.',
    sources: ['VAL-14', 'DEF-1', 'kubernetes/kubernetes pkg/apis/core/validation/validation.go#validateDNSPolicy'],
    peers: [{ tool: 'kubeconform', id: 'schema enum', relation: 'related' }],
    messages: {
      didYouMean: 'dnsPolicy "{{value}}" is not a value Kubernetes knows, so the API server rejects this {{kind}} (Unsupported value); did you mean "{{suggestion}}"?',
      unsupported: 'dnsPolicy "{{value}}" is not a value Kubernetes knows, so the API server rejects this {{kind}} (Unsupported value); use one of ClusterFirst, ClusterFirstWithHostNet, Default or None.',
      notAString: 'dnsPolicy must be a string, but it is {{value}}; the API server rejects this {{kind}}. Use one of ClusterFirst, ClusterFirstWithHostNet, Default or None.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    return {
      podView(v) {
        if (!v.dnsPolicyWritten) return;
        const value = v.dnsPolicy;
        const path = v.at('dnsPolicy');
        if (typeof value !== 'string') {
          ctx.report({ object: v.object, path, messageId: 'notAString', data: { value: JSON.stringify(value), kind: v.kind } });
          return;
        }
        if ((DNS_POLICIES as readonly string[]).includes(value)) return;
        const suggestion = suggestDnsPolicy(value);
        if (suggestion) {
          ctx.report({ object: v.object, path, messageId: 'didYouMean', data: { value, kind: v.kind, suggestion }, fix: `dnsPolicy: ${suggestion}` });
        } else {
          ctx.report({ object: v.object, path, messageId: 'unsupported', data: { value, kind: v.kind } });
        }
      },
    };
  },
});
