import type { PodView } from '../model/pod-view.js';
import { formatPath, type FieldPath, type KubeObject, type RelatedLocation } from '../model/types.js';
import { kubeletDnsOf } from '../sim/dns/pod-dns.js';
import { expandQuery } from '../sim/dns/query.js';
import type { PodDns } from '../sim/dns/resolv-conf.js';
import { serverKindOf, type ServerKind } from '../sim/dns/resolve.js';
import { defineRule } from './define-rule.js';
import {
  forEachNameSource, inHostPosition, isSilentHostFallback, onCommentLine, resolvConfLine, resolverOf, serviceIndexOf, serviceRefOf, tokensOf, zoneOf,
  type NameToken, type ServiceRef,
} from './dns-names.js';

/** Names the message spells out beside the first; the rest are counted. */
const NAMED = 3;

/** Keys whose value is a host: `REDIS_HOST`, `--db-addr`, `upstream_url`. */
const HOST_KEY = /host|addr|url|uri|server|endpoint|service|upstream|backend|peer|broker|dsn|remote|target|proxy/i;

/**
 * A one-label token is a Service name only where it clearly stands for a host: a URL's host, a
 * `name:port`, or the whole value of an env variable, ConfigMap key or flag whose name says host
 * (`REDIS_HOST=redis`, `--upstream=redis`). Bare words elsewhere are too often something else.
 */
function shortNameAsHost(text: string, t: NameToken, sourceKey: string | undefined): boolean {
  const end = t.index + t.token.length;
  if (text.startsWith('://', t.index - 3)) return inHostPosition(text, t);
  if (text[end] === ':' && /^\d/.test(text.slice(end + 1, end + 2))) return inHostPosition(text, t);
  if (text.trim() === t.token) return sourceKey !== undefined && HOST_KEY.test(sourceKey);
  if (text[t.index - 1] === '=' && inHostPosition(text, t)) {
    const key = /[^\s"',;=]*$/.exec(text.slice(0, t.index - 1))![0];
    return HOST_KEY.test(key) && text.slice(end).trim() === '';
  }
  return false;
}

interface Use {
  readonly token: string;
  readonly ref: ServiceRef;
  readonly where: string;
  readonly path: FieldPath;
  readonly queries: readonly string[];
}

const SERVER_WORDS: Readonly<Record<ServerKind, string>> = {
  'cluster-dns': 'cluster DNS',
  'node-local-dns': 'the NodeLocal DNSCache',
  'node-resolver': "the node's resolver",
  other: 'a resolver outside the cluster',
};

const quoted = (names: readonly string[]): string => {
  const q = names.map((n) => `"${n}"`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
};

/**
 * Service names a pod uses (`svc`, `svc.ns`, `svc.ns.svc`, the full name) that the resolv.conf the
 * kubelet gives it cannot reach, as the DNS simulation builds it: no query of the expansion is the
 * Service's record `<svc>.<ns>.svc.<domain>` (CDNS-2), or the first nameserver is not cluster DNS
 * and answers NXDOMAIN for the cluster zone (glibc asks the next server only on a timeout).
 * hostNetwork pods with ClusterFirst are host-network-cluster-dns' findings and are skipped here.
 */
export default defineRule<'unresolvable'>({
  id: 'unresolvable-service-name',
  meta: {
    severity: 'warning',
    summary: 'The pod refers to a Service by a name that its resolv.conf cannot reach: the node\'s resolver, dnsPolicy None without cluster DNS or the needed search entry, or a short name of another namespace.',
    sources: [
      'KDNS-3', 'KDNS-4', 'KDNS-5', 'KDNS-6', 'KDNS-7', 'CDNS-2',
      'kubernetes/kubernetes pkg/kubelet/network/dns/dns.go#GetPodDNS',
      'glibc resolv/res_query.c#__res_context_search',
      'kubernetes/dns docs/specification.md',
    ],
    messages: {
      unresolvable:
        'This pod refers to the Service {{service}} as {{name}} (in {{where}}), but its resolv.conf ({{conf}}) never reaches the Service\'s record {{fqdn}}: {{why}}. A lookup of {{name}} asks {{queries}}{{server}}, and none of them is answered with the Service\'s address.{{more}} {{fix}}.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const { model, cluster } = ctx;
    const domain = zoneOf(cluster.clusterDomain);
    const kubelet = kubeletDnsOf(cluster);
    const services = serviceIndexOf(model);
    const clusterServer = cluster.nodeLocalDNS ?? cluster.clusterDNS[0] ?? '10.96.0.10';
    // ConfigMap values are read by many pods: find the Service-like tokens of each value once.
    const configCache = new Map<KubeObject, Map<string, Array<{ token: string; asHost: boolean }>>>();

    const candidates = (text: string, key: string | undefined, configFile: boolean): Array<{ token: string; asHost: boolean }> => {
      const out: Array<{ token: string; asHost: boolean }> = [];
      for (const t of tokensOf(text)) {
        const ref = serviceRefOf(t.token, '', services, domain, true);
        if (!ref || (configFile && onCommentLine(text, t.index))) continue;
        out.push({ token: t.token, asHost: ref.form !== 'short' || shortNameAsHost(text, t, key) });
      }
      return out;
    };

    const related = (v: PodView, path: FieldPath, message: string): RelatedLocation[] => {
      const locator = v.object.source.locator;
      if (!locator.has(path)) return [];
      const pos = locator.locate(path);
      return [{ message, file: v.object.source.file, line: pos.line, column: pos.column, path: formatPath(path) }];
    };

    /** Why the lookup misses the record, what to change, and the field that decides it. */
    const explain = (v: PodView, dns: PodDns, use: Use, firstKind: ServerKind | undefined): { why: string; fix: string; cause?: FieldPath } => {
      const { ref } = use;
      const first = dns.conf.nameservers[0]?.value;
      const policy = v.dnsPolicyWritten ? `dnsPolicy: ${String(v.dnsPolicy)}` : 'the default dnsPolicy ClusterFirst';
      const fullName = `write the full name ${ref.fqdn}`;
      const sentence = (x: string): string => x.charAt(0).toUpperCase() + x.slice(1);
      if (dns.type === 'Host') {
        const resolver = resolverOf(dns.conf, cluster.resolvConf.path);
        if (kubelet.clusterDNS.length === 0) {
          // KDNS-5: no policy gives cluster DNS; the kubelet says so when the pod asked for it.
          const event = dns.events.find((e) => e.reason === 'MissingClusterDNS' && e.on === 'Pod');
          const how = event
            ? `so it gives this pod (${policy}) the node's resolver (${resolver}) instead of cluster DNS (KDNS-5) and records "${event.message}"`
            : `and this pod (${policy}${v.hostNetwork && v.dnsPolicy === 'ClusterFirst' ? ' on hostNetwork' : ''}) gets the node's resolver (${resolver}), as every other policy would (KDNS-5)`;
          return {
            why: `the kubelet has no clusterDNS, ${how}; the node's resolver does not know the cluster zone ${domain}`,
            fix: 'Set clusterDNS in the kubelet\'s configuration (the cluster DNS Service address, usually 10.96.0.10); no dnsPolicy of the pod can fix this',
          };
        }
        return {
          why: `${policy} gives the pod the node's resolver (${resolver}, KDNS-6), which does not know the cluster zone ${domain}`,
          fix: v.hostNetwork ? 'Set dnsPolicy: ClusterFirstWithHostNet so this hostNetwork pod gets cluster DNS' : 'Set dnsPolicy: ClusterFirst (or remove dnsPolicy) so the pod gets cluster DNS',
          cause: v.at('dnsPolicy'),
        };
      }
      const reaches = use.queries.includes(ref.fqdn);
      const suffix = use.token.length < ref.fqdn.length ? ref.fqdn.slice(use.token.toLowerCase().replace(/\.+$/, '').length + 1) : '';
      const searchFix = use.token.endsWith('.') || suffix === '' ? fullName : `${fullName}, or add ${suffix} to dnsConfig.searches`;
      if (firstKind !== 'cluster-dns' && firstKind !== 'node-local-dns') {
        const later = dns.conf.nameservers.slice(1).some((n) => { const k = serverKindOf(n.value, cluster); return k === 'cluster-dns' || k === 'node-local-dns'; });
        const whose = first === undefined ? 'the pod has no nameserver' : `its first nameserver ${first} is ${SERVER_WORDS[firstKind!]}, which does not know the cluster zone ${domain} and answers NXDOMAIN${later ? '; the cluster DNS server after it is asked only when the first does not answer at all' : ''}`;
        return {
          why: `${policy} builds the resolv.conf from dnsConfig alone (KDNS-7), and ${whose}`,
          fix: `Put cluster DNS (${clusterServer}) first in dnsConfig.nameservers${reaches ? '' : ` and ${searchFix}`}`,
          cause: v.at('dnsConfig', 'nameservers'),
        };
      }
      if (dns.type === 'Cluster' && ref.form === 'short' && ref.namespace !== v.namespace.toLowerCase()) {
        return {
          why: `a short name is searched only under the pod's own namespace (${v.namespace}.svc.${domain}, KDNS-4), and the Service is in namespace ${ref.namespace}`,
          fix: `Write "${ref.name}.${ref.namespace}" or the full name ${ref.fqdn}`,
        };
      }
      const searches = dns.conf.searches.map((e) => e.value);
      return {
        why: use.token.endsWith('.')
          ? `the name ends with a dot, so it is asked only as written`
          : `no entry of the search list (${searches.length === 0 ? 'empty' : searches.join(' ')}) turns it into the Service's name`,
        fix: sentence(dns.type === 'None' ? searchFix : fullName),
        ...(dns.type === 'None' ? { cause: v.at('dnsConfig') } : {}),
      };
    };

    return {
      podView(v) {
        const dns = ctx.sims.dns(v);
        if (!dns || domain === '') return;
        // One problem, one finding: hostNetwork with ClusterFirst is host-network-cluster-dns' finding.
        if (isSilentHostFallback(v, dns, kubelet)) return;
        // None without nameservers is rejected by the API server (dns-none-without-nameservers).
        if (dns.type === 'None' && dns.conf.nameservers.length === 0) return;
        const first = dns.conf.nameservers[0];
        const firstKind = first === undefined ? undefined : serverKindOf(first.value, cluster);
        const toCluster = firstKind === 'cluster-dns' || firstKind === 'node-local-dns';

        const misses: Use[] = [];
        const seen = new Set<string>();
        forEachNameSource(v, model, (s) => {
          if (s.program) return;
          let found: Array<{ token: string; asHost: boolean }>;
          if (s.configMap) {
            let byKey = configCache.get(s.configMap);
            if (!byKey) configCache.set(s.configMap, (byKey = new Map()));
            const cacheKey = `${s.key ?? ''}\u0000${s.configMapKey ?? ''}`;
            found = byKey.get(cacheKey) ?? candidates(s.text, s.key, true);
            byKey.set(cacheKey, found);
          } else {
            found = candidates(s.text, s.key, false);
          }
          for (const { token, asHost } of found) {
            const lower = token.toLowerCase();
            if (!asHost || seen.has(lower)) continue;
            seen.add(lower);
            const ref = serviceRefOf(lower, v.namespace, services, domain, true);
            if (!ref) continue;
            const queries = expandQuery(lower, dns.conf).queries;
            if (toCluster && queries.includes(ref.fqdn)) continue;
            misses.push({ token, ref, where: s.where, path: s.path, queries });
          }
        });
        if (misses.length === 0) return;

        const use = misses[0]!;
        const { why, fix, cause } = explain(v, dns, use, firstKind);
        const others = misses.slice(1).map((m) => m.token);
        const more = others.length === 0 ? ''
          : ` The pod also uses ${others.length > NAMED ? `${others.slice(0, NAMED).map((n) => `"${n}"`).join(', ')} and ${others.length - NAMED} more` : quoted(others)}, which fail${others.length === 1 ? 's' : ''} the same way.`;
        const server = first === undefined ? ' (but the pod has no nameserver)' : ` of ${first.value} (${SERVER_WORDS[firstKind!]})`;
        ctx.report({
          object: v.object, path: use.path, messageId: 'unresolvable',
          data: {
            service: `${use.ref.namespace}/${use.ref.name}`, name: `"${use.token}"`, where: use.where,
            conf: resolvConfLine(dns.conf), fqdn: use.ref.fqdn, why, queries: use.queries.join(', then '), server, more, fix,
          },
          related: cause ? related(v, cause, `This decides the pod's resolv.conf (DNS type ${dns.type}).`) : [],
          evidence: [
            `resolv.conf the kubelet writes (type ${dns.type}${dns.requested === dns.type ? '' : `, asked for ${dns.requested}`}): ${resolvConfLine(dns.conf)}`,
            ...misses.map((m) => `${m.where}: "${m.token}" (Service ${m.ref.namespace}/${m.ref.name}, record ${m.ref.fqdn}) is asked as ${m.queries.join(', ')}`),
          ],
        });
      },
    };
  },
});
