import { kubeletDnsOf } from '../sim/dns/pod-dns.js';
import { expandQuery } from '../sim/dns/query.js';
import { defineRule } from './define-rule.js';
import { forEachNameSource, isSilentHostFallback, resolvConfLine, resolverOf, serviceIndexOf, serviceRefOf, tokensOf, zoneOf } from './dns-names.js';

/** Evidence items kept per pod: the message names the first, `evidence` lists them all. */
const MAX_EVIDENCE = 5;

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

export interface Options {
  /** Report hostNetwork pods that show no need for cluster DNS, as info. */
  readonly infoFindings: boolean;
}

export default defineRule<'needsClusterDns' | 'nodeResolver', Options>({
  id: 'host-network-cluster-dns',
  meta: {
    severity: 'warning',
    summary: 'A hostNetwork pod with dnsPolicy ClusterFirst (the default) silently gets the node\'s resolver instead of cluster DNS, so Service names do not resolve.',
    sources: ['KDNS-3', 'KDNS-5', 'KDNS-6', 'DEF-1', 'VAL-15', 'kubernetes/kubernetes pkg/kubelet/network/dns/dns.go#getPodDNSType'],
    peers: [{ tool: 'kyverno', id: 'other/dns-policy-and-dns-config', relation: 'related' }],
    messages: {
      needsClusterDns:
        'This hostNetwork pod has {{policy}}, so the kubelet gives it the node\'s resolver ({{resolver}}) instead of cluster DNS, yet it uses cluster names: {{evidence}}{{more}}. A lookup of {{name}} asks {{queries}}, all of the node\'s resolver, which does not know the cluster\'s names, so those names will not resolve; set dnsPolicy: ClusterFirstWithHostNet.',
      nodeResolver:
        'This hostNetwork pod has {{policy}}, so the kubelet gives it the node\'s resolver ({{resolver}}) instead of cluster DNS, and Service names such as {{example}} will not resolve. Nothing in the loaded manifests shows that it needs them; if it does, set dnsPolicy: ClusterFirstWithHostNet.',
    },
    optionDocs: {
      infoFindings: 'Also report, as info, hostNetwork pods that show no need for cluster DNS (default true); false keeps only the warnings.',
    },
  },
  defaultOptions: { infoFindings: true },
  create(ctx) {
    const { cluster, model } = ctx;
    const domain = zoneOf(cluster.clusterDomain);
    const kubelet = kubeletDnsOf(cluster);
    const example = domain === '' ? 'kubernetes.default.svc' : `kubernetes.default.svc.${domain}`;
    const services = serviceIndexOf(model);

    /** Why a token names something only cluster DNS answers, or undefined. */
    const clusterName = (token: string, podNamespace: string, bare: boolean): string | undefined => {
      const t = token.toLowerCase().replace(/\.+$/, '');
      if (t === '') return undefined;
      // A short name resolves through the pod's own namespace search entry (KDNS-4) only.
      if (!t.includes('.') && !bare) return undefined;
      const ref = serviceRefOf(t, podNamespace, services, domain);
      if (ref) return `the Service ${ref.namespace}/${ref.name}`;
      if (t.split('.').indexOf('svc', 1) !== -1) return 'a .svc name';
      if (domain !== '' && (t === domain || t.endsWith(`.${domain}`))) return `the cluster domain ${domain}`;
      return undefined;
    };

    interface Hit { readonly text: string; readonly token: string }
    /** The first cluster name in a string, as `"token"` (plus what it is when that is not obvious). */
    const scanString = (s: string, podNamespace: string, bare: boolean): Hit | undefined => {
      // Qualified names (api.ns.svc...) are stronger evidence than a bare word that happens to be a
      // Service name (the "redis" of "redis://redis.cache.svc"), so a bare match is only a fallback.
      let bareHit: Hit | undefined;
      for (const { token } of tokensOf(s)) {
        const what = clusterName(token, podNamespace, bare);
        if (what === undefined) continue;
        const hit = { text: what.startsWith('the Service') ? `${quote(token)} (${what})` : quote(token), token };
        if (token.includes('.')) return hit;
        bareHit ??= hit;
      }
      return bareHit;
    };
    // ConfigMap values: only qualified names, scanned once per value however many pods read it.
    const configCache = new Map<string, Hit | undefined>();

    return {
      podView(v) {
        const dns = ctx.sims.dns(v);
        if (!dns || !isSilentHostFallback(v, dns, kubelet)) return;
        const policy = v.dnsPolicyWritten ? 'dnsPolicy: ClusterFirst' : 'no dnsPolicy (ClusterFirst by default)';
        const path = v.dnsPolicyWritten ? v.at('dnsPolicy') : v.at('hostNetwork');
        const fix = 'dnsPolicy: ClusterFirstWithHostNet';
        const resolver = resolverOf(dns.conf, cluster.resolvConf.path);
        const conf = `resolv.conf the kubelet writes (type ${dns.type}, KDNS-3, KDNS-6): ${resolvConfLine(dns.conf)}`;

        const hits: Array<{ text: string; token: string }> = [];
        forEachNameSource(v, model, (s) => {
          let hit: Hit | undefined;
          if (s.configMap) {
            if (!configCache.has(s.text)) configCache.set(s.text, scanString(s.text, v.namespace, false));
            hit = configCache.get(s.text);
          } else {
            // The executable (command[0]) is a program name, never a host: no bare Service names there.
            hit = scanString(s.text, v.namespace, !s.program);
          }
          if (hit) hits.push({ text: `${s.where} mentions ${hit.text}`, token: hit.token });
          return hits.length >= MAX_EVIDENCE;
        });

        if (hits.length > 0) {
          const more = hits.length > 1 ? ` (and ${hits.length - 1} more)` : '';
          const first = hits[0]!;
          const queries = expandQuery(first.token, dns.conf).queries.join(', then ');
          ctx.report({
            object: v.object, path, messageId: 'needsClusterDns', severity: 'warning', fix,
            data: { policy, resolver, evidence: first.text, more, name: quote(first.token), queries },
            evidence: [...hits.map((h) => h.text), conf],
          });
        } else if (ctx.options.infoFindings !== false) {
          ctx.report({ object: v.object, path, messageId: 'nodeResolver', severity: 'info', fix, data: { policy, resolver, example }, evidence: [conf] });
        }
      },
    };
  },
});
