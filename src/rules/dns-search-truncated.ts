import { versionAtLeast } from '../model/cluster.js';
import { isRecord, type PodView } from '../model/pod-view.js';
import type { FieldPath } from '../model/types.js';
import { kubeletDnsOf } from '../sim/dns/pod-dns.js';
import { parseResolvConf, podDns, type DnsEvent, type Entry, type KubeletDns, type Origin, type PodDns } from '../sim/dns/resolv-conf.js';
import { defineRule } from './define-rule.js';
import { MAX_NAMESERVERS, parseIP, searchLimits, searchProblem } from './dns-config-limits.js';

type MessageId = 'nameservers' | 'searches';

const SUBDOMAIN_MAX_LENGTH = 253;

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `a, b and c`, or the first three and how many more. */
function list(items: readonly string[], max = 3): string {
  if (items.length > max) return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const short = (s: string): string => (s.length > 60 ? `${s.slice(0, 40)}... (${s.length} characters)` : s);

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function dedupe(list: readonly Entry[]): Entry[] {
  const seen = new Set<string>();
  return list.filter((e) => !seen.has(e.value) && seen.add(e.value));
}

/**
 * The merged lists before the kubelet applies its limits (KDNS-4, KDNS-6, KDNS-7, KDNS-8): the
 * simulation reports only what is kept, so the rule rebuilds what the kubelet started from with
 * the simulation's own parser. Ref: dns.go#GetPodDNS, #appendDNSConfig.
 */
function mergedOf(v: PodView, dns: PodDns, kubelet: KubeletDns): { nameservers: Entry[]; searches: Entry[] } {
  const node = kubelet.resolvConf.path === '' ? undefined : parseResolvConf(kubelet.resolvConf.content);
  const of = (values: readonly string[], origin: Origin): Entry[] => values.map((value) => ({ value, origin }));
  let nameservers: Entry[] = [];
  let searches: Entry[] = [];
  if (dns.type === 'Cluster') {
    nameservers = of(kubelet.clusterDNS, 'clusterDNS');
    const d = kubelet.clusterDomain;
    const cluster = d === '' ? [] : of([`${v.namespace}.svc.${d}`, `svc.${d}`, d], 'cluster-domain');
    searches = dedupe([...cluster, ...of(node?.searches ?? [], 'node')]);
  } else if (dns.type === 'Host') {
    nameservers = node ? of(node.nameservers, 'node') : dns.conf.nameservers.slice();
    searches = node ? of(node.searches, 'node') : dns.conf.searches.slice();
  }
  const dnsConfig = isRecord(v.spec.dnsConfig) ? v.spec.dnsConfig : {};
  return {
    nameservers: dedupe([...nameservers, ...of(strings(dnsConfig.nameservers), 'dnsConfig')]),
    searches: dedupe([...searches, ...of(strings(dnsConfig.searches), 'dnsConfig')]),
  };
}

/** True when the API server rejects this dnsConfig (dns-config-limits' findings): no pod, no kubelet. */
function rejected(dnsConfig: unknown, version: string): boolean {
  if (dnsConfig === undefined || dnsConfig === null) return false;
  if (!isRecord(dnsConfig)) return true;
  const listOrNothing = (x: unknown): x is unknown[] | undefined | null => x === undefined || x === null || Array.isArray(x);
  if (!listOrNothing(dnsConfig.nameservers) || !listOrNothing(dnsConfig.searches)) return true;
  const nameservers = dnsConfig.nameservers ?? [];
  if (nameservers.length > MAX_NAMESERVERS || nameservers.some((n) => typeof n !== 'string' || !parseIP(n))) return true;
  const searches = dnsConfig.searches ?? [];
  const limits = searchLimits(version);
  const relaxed = versionAtLeast(version, '1.33');
  if (searches.length > limits.paths || searches.some((s) => searchProblem(s, relaxed) !== undefined)) return true;
  return strings(searches).join(' ').length > limits.chars;
}

const ORIGIN_WORDS = (resolvConfPath: string): Readonly<Record<Origin, string>> => ({
  clusterDNS: "the kubelet's clusterDNS",
  'cluster-domain': 'the cluster domain',
  node: `the node's ${resolvConfPath}`,
  dnsConfig: 'spec.dnsConfig',
  'kubelet-default': "the kubelet's default",
});

/** `3 for the cluster domain, 1 from the node's /etc/resolv.conf and 30 from spec.dnsConfig`. */
function originCounts(entries: readonly Entry[], words: Readonly<Record<Origin, string>>): string {
  const counts = new Map<Origin, number>();
  for (const e of entries) counts.set(e.origin, (counts.get(e.origin) ?? 0) + 1);
  return list([...counts].map(([o, n]) => `${n} from ${words[o]}`), 5);
}

/** `10.96.0.10 (the kubelet's clusterDNS), 1.1.1.1, 8.8.8.8 and 9.9.9.9 (spec.dnsConfig)`. */
function withOrigins(entries: readonly Entry[], words: Readonly<Record<Origin, string>>): string {
  const groups: string[] = [];
  let i = 0;
  while (i < entries.length) {
    let j = i;
    while (j < entries.length && entries[j]!.origin === entries[i]!.origin) j++;
    groups.push(`${list(entries.slice(i, j).map((e) => e.value), 5)} (${words[entries[i]!.origin]})`);
    i = j;
  }
  return groups.join(', then ');
}

/**
 * KDNS-9 after the merge: the kubelet keeps 3 nameservers and cuts the search list to 32 entries /
 * 2048 characters (6 / 256 before v1.26), with a DNSConfigForming event on the pod. The API server
 * checks only dnsConfig as written (dns-config-limits); this is what is cut once the policy's own
 * entries (cluster DNS, the cluster search domains, the node's file) come first.
 */
export default defineRule<MessageId>({
  id: 'dns-search-truncated',
  meta: {
    severity: 'warning',
    summary: 'The pod\'s merged search list or nameservers exceed the kubelet\'s limits, so the kubelet silently drops entries from its resolv.conf.',
    sources: [
      'KDNS-4', 'KDNS-6', 'KDNS-8', 'KDNS-9', 'KDNS-10',
      'kubernetes/kubernetes pkg/kubelet/network/dns/dns.go#formDNSConfigFitsLimits',
      'kubernetes/kubernetes pkg/kubelet/network/dns/dns.go#formDNSSearchFitsLimits',
      'kubernetes/enhancements keps/sig-network/2595-expanded-dns-config',
    ],
    messages: {
      nameservers:
        'The kubelet merges this pod\'s nameservers into {{merged}} and keeps only the first 3 (KDNS-9), so {{dropped}} {{verb}} never asked: the pod\'s resolv.conf gets {{applied}}. The kubelet records a DNSConfigForming warning on the pod: "{{event}}". {{fix}}.',
      searches:
        'The kubelet merges this pod\'s search list ({{count}}: {{origins}}) and cuts it to the limits of Kubernetes {{version}} ({{limits}}, KDNS-9): {{dropped}}, so names are never searched there. The kubelet records a DNSConfigForming warning on the pod: "{{event}}". {{fix}}.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const { cluster } = ctx;
    const version = cluster.kubernetesVersion;
    const kubelet = kubeletDnsOf(cluster);
    const expanded = kubelet.expandedDNSConfig;
    const maxPaths = expanded ? 32 : 6;
    const maxChars = expanded ? 2048 : 256;
    const limits = expanded ? `${maxPaths} entries and ${maxChars} characters` : `${maxPaths} entries and ${maxChars} characters before 1.26, when ExpandedDNSConfig was off`;
    const words = ORIGIN_WORDS(cluster.resolvConf.path);

    /** The policy as the user sees it, and the field that stands for it. */
    const policyOf = (v: PodView): { text: string; path: FieldPath } => {
      if (v.dnsPolicyWritten) return { text: `dnsPolicy: ${String(v.dnsPolicy)}`, path: v.at('dnsPolicy') };
      if (v.hostNetwork) return { text: 'hostNetwork and the default dnsPolicy ClusterFirst', path: v.at('hostNetwork') };
      return { text: 'the default dnsPolicy ClusterFirst', path: v.at('dnsPolicy') };
    };

    /** The first dropped dnsConfig entry, as its path in spec.dnsConfig.<field>. */
    const dnsConfigPath = (v: PodView, field: 'nameservers' | 'searches', dropped: readonly Entry[]): FieldPath => {
      const written = isRecord(v.spec.dnsConfig) ? v.spec.dnsConfig[field] : undefined;
      const first = dropped.find((e) => e.origin === 'dnsConfig');
      const i = Array.isArray(written) && first ? written.indexOf(first.value) : -1;
      return i >= 0 ? v.at('dnsConfig', field, i) : v.at('dnsConfig', field);
    };

    return {
      podView(v) {
        const dns = ctx.sims.dns(v);
        if (!dns) return;
        const forming = (d: PodDns, prefix: string): DnsEvent | undefined =>
          d.events.find((e) => e.reason === 'DNSConfigForming' && e.message.startsWith(prefix));
        const nsEvent = forming(dns, 'Nameserver limits');
        const searchEvent = forming(dns, 'Search Line limits');
        if (!nsEvent && !searchEvent) return;
        if (rejected(v.spec.dnsConfig, version)) return;
        const merged = mergedOf(v, dns, kubelet);
        // Does the policy's base alone pass the limit? Then the node's file is the cause, not dnsConfig.
        const base = podDns({ namespace: v.namespace, dnsPolicy: v.dnsPolicy, hostNetwork: v.hostNetwork }, kubelet);
        const policy = policyOf(v);

        if (nsEvent) {
          const kept = new Set(dns.conf.nameservers.map((e) => e.value));
          const dropped = merged.nameservers.filter((e) => !kept.has(e.value));
          const fromBase = base !== undefined && forming(base, 'Nameserver limits') !== undefined;
          const baseCount = merged.nameservers.filter((e) => e.origin !== 'dnsConfig').length;
          const fix = fromBase
            ? `With ${policy.text}, the pod gets the nameservers of the node's ${cluster.resolvConf.path}, which lists ${baseCount}: shorten the node's list, or use dnsPolicy: None and list the ${MAX_NAMESERVERS} you want in dnsConfig.nameservers.`
            : `With ${policy.text}, the pod already has ${plural(baseCount, 'nameserver')}, so at most ${Math.max(0, MAX_NAMESERVERS - baseCount)} from spec.dnsConfig.nameservers fit: remove ${list(dropped.map((e) => e.value))}${dns.type === 'None' ? '' : ', or use dnsPolicy: None and list every nameserver yourself'}.`;
          ctx.report({
            object: v.object,
            path: fromBase ? policy.path : dnsConfigPath(v, 'nameservers', dropped),
            messageId: 'nameservers',
            data: {
              merged: withOrigins(merged.nameservers, words),
              dropped: list(dropped.map((e) => e.value)), verb: dropped.length === 1 ? 'is' : 'are',
              applied: list(dns.conf.nameservers.map((e) => `nameserver ${e.value}`)),
              event: nsEvent.message, fix: fix.replace(/\.$/, ''),
            },
            evidence: [`merged before the limit: ${merged.nameservers.map((e) => `${e.value} (${e.origin})`).join(', ')}`, `kubelet event on the pod: ${nsEvent.reason}: ${nsEvent.message}`],
          });
        }

        if (searchEvent) {
          const kept = new Set(dns.conf.searches.map((e) => e.value));
          const all = merged.searches;
          // Why each dropped entry goes, in the kubelet's order: count, then length, then the line.
          const overCount = all.slice(maxPaths).filter((e) => !kept.has(e.value));
          const tooLong = all.slice(0, maxPaths).filter((e) => e.value.length > SUBDOMAIN_MAX_LENGTH);
          const longSet = new Set(tooLong);
          const overLine = all.slice(0, maxPaths).filter((e) => !longSet.has(e) && !kept.has(e.value));
          const parts: string[] = [];
          if (overCount.length > 0) parts.push(`it drops ${list(overCount.map((e) => short(e.value)))} (only the first ${maxPaths} entries are kept)`);
          if (tooLong.length > 0) parts.push(`it drops ${list(tooLong.map((e) => short(e.value)))} (longer than ${SUBDOMAIN_MAX_LENGTH} characters)`);
          if (overLine.length > 0) parts.push(`it drops ${list(overLine.map((e) => short(e.value)))} from the end (the search line would be longer than ${maxChars} characters)`);
          const dropped = [...overCount, ...tooLong, ...overLine];
          const fromBase = base !== undefined && forming(base, 'Search Line limits') !== undefined;
          const baseEntries = all.filter((e) => e.origin !== 'dnsConfig');
          const nodeCount = all.filter((e) => e.origin === 'node').length;
          let fix: string;
          if (fromBase) {
            const cause = dns.type === 'Cluster'
              ? `With ${policy.text}, the kubelet puts the ${plural(baseEntries.length - nodeCount, 'cluster search domain')} before the ${plural(nodeCount, 'search domain')} of the node's ${cluster.resolvConf.path}, and that alone passes the limit for every such pod on these nodes (the kubelet also warns about the node's file at startup, KDNS-10)`
              : `With ${policy.text}, the pod copies the ${plural(nodeCount, 'search domain')} of the node's ${cluster.resolvConf.path}, which alone pass the limit`;
            fix = `${cause}: shorten the node's search line (or point the kubelet's resolvConf at a shorter file), or give this pod dnsPolicy: None with its own dnsConfig.`;
          } else {
            const room = Math.max(0, maxPaths - baseEntries.length);
            const countHint = overCount.length > 0 ? ` With ${policy.text}, the pod already has ${plural(baseEntries.length, 'entry', 'entries')}, so at most ${room} from spec.dnsConfig.searches fit.` : '';
            fix = `${countHint.trim()}${countHint === '' ? '' : ' '}Remove or shorten entries of spec.dnsConfig.searches${dns.type === 'None' ? '' : ', or use dnsPolicy: None and write the whole search list yourself'}.`;
          }
          ctx.report({
            object: v.object,
            path: fromBase ? policy.path : dnsConfigPath(v, 'searches', dropped),
            messageId: 'searches',
            data: {
              count: plural(all.length, 'entry', 'entries'), origins: originCounts(all, words), version, limits,
              dropped: parts.join('; '), event: searchEvent.message, fix: fix.replace(/\.$/, ''),
            },
            evidence: [
              `merged before the limit: ${all.map((e) => `${short(e.value)} (${e.origin})`).join(' ')}`,
              `applied: search ${dns.conf.searches.map((e) => e.value).join(' ')}`,
              `kubelet event on the pod: ${searchEvent.reason}: ${searchEvent.message}`,
            ],
          });
        }
      },
    };
  },
});
