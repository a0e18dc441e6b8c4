import { isRecord } from '../model/pod-view.js';
import { defineRule } from './define-rule.js';

/**
 * VAL-16: `dnsPolicy: None` needs `dnsConfig` with at least one nameserver, because with None the
 * pod's resolv.conf is built from dnsConfig alone (KDNS-7). Malformed dnsConfig values (not an
 * object, nameservers not a list) are dns-config-limits' findings, not this rule's.
 */
export default defineRule({
  id: 'dns-none-without-nameservers',
  meta: {
    severity: 'error',
    summary: 'dnsPolicy None needs dnsConfig with at least one nameserver, or the API server rejects the object.',
    sources: ['VAL-16', 'KDNS-7', 'kubernetes/kubernetes pkg/apis/core/validation/validation.go#validatePodDNSConfig'],
    peers: [{ tool: 'kube-linter', id: 'dnsconfig-options', relation: 'related' }],
    messages: {
      missingDnsConfig:
        'dnsPolicy is None but there is no dnsConfig, so the API server rejects this {{kind}} (Required value: dnsConfig); with None the pod\'s resolv.conf comes from dnsConfig alone. Add dnsConfig with at least one IP in dnsConfig.nameservers, or use another dnsPolicy (ClusterFirst is the default).',
      noNameservers:
        'dnsPolicy is None but dnsConfig.nameservers {{state}}, so the API server rejects this {{kind}} (Required value: dnsConfig.nameservers); with None the pod would have no resolver at all. Add at least one resolver IP to dnsConfig.nameservers, or use another dnsPolicy (ClusterFirst is the default).',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const example = ctx.cluster.clusterDNS[0] ?? '10.96.0.10';
    const fix = `dnsConfig: {nameservers: [${example}]}`;
    return {
      podView(v) {
        if (v.dnsPolicy !== 'None') return;
        const dnsConfig = v.spec.dnsConfig;
        if (dnsConfig === undefined || dnsConfig === null) {
          ctx.report({ object: v.object, path: v.at('dnsPolicy'), messageId: 'missingDnsConfig', data: { kind: v.kind }, fix });
          return;
        }
        if (!isRecord(dnsConfig)) return;
        const nameservers = dnsConfig.nameservers;
        if (nameservers === undefined) {
          ctx.report({ object: v.object, path: v.at('dnsConfig'), messageId: 'noNameservers', data: { kind: v.kind, state: 'is missing' }, fix });
        } else if (nameservers === null || (Array.isArray(nameservers) && nameservers.length === 0)) {
          ctx.report({ object: v.object, path: v.at('dnsConfig', 'nameservers'), messageId: 'noNameservers', data: { kind: v.kind, state: 'is empty' }, fix });
        }
      },
    };
  },
});
