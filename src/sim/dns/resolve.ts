/**
 * One lookup from one pod, walked query by query: the names `expandQuery` produces, each sent to
 * the pod's nameservers in order (the next one only after a timeout), answered by the cluster DNS
 * server from the cluster records, by a NodeLocal DNSCache, or by a resolver outside the cluster.
 * glibc ends the whole lookup at the first timeout (TRY_AGAIN), so a dead first server costs the
 * timeout before anything else happens. Scenarios: cluster DNS up or down, and queries to it
 * dropped by a NetworkPolicy. Ref: glibc resolv/res_query.c#__res_context_search and res_send.c;
 * the kubeadm Corefile (`forward . /etc/resolv.conf`); CDNS-*, KDNS-*, DBG-1.
 */
import type { Cluster } from '../../model/cluster.js';
import { expandQuery, type Libc } from './query.js';
import type { ClusterRecords, DnsRecord } from './records.js';
import type { ResolvConf } from './resolv-conf.js';
import { parseResolvConf } from './resolv-conf.js';

export type ServerKind = 'cluster-dns' | 'node-local-dns' | 'node-resolver' | 'other';

export interface ResolveScenario {
  readonly clusterDNS: 'up' | 'down';
  /** Why queries from this pod to cluster DNS are dropped (a NetworkPolicy), if they are. */
  readonly blockedToClusterDNS?: string;
}

export type Outcome = 'answer' | 'nxdomain' | 'timeout';

export interface QueryStep {
  readonly query: string;
  readonly server: string;
  readonly serverKind: ServerKind;
  readonly outcome: Outcome;
  readonly answers: readonly DnsRecord[];
  /** Why this server gave this outcome. */
  readonly why: string;
}

export interface Resolution {
  readonly name: string;
  readonly libc: Libc;
  readonly queries: readonly string[];
  readonly steps: readonly QueryStep[];
  readonly resolved: boolean;
  readonly answers: readonly DnsRecord[];
  /** One sentence: which query answered and from where, or why nothing did. */
  readonly summary: string;
  /** Seconds spent waiting on servers that never answered. */
  readonly waitedSeconds: number;
}

export interface ResolveEnv {
  readonly cluster: Cluster;
  readonly records: ClusterRecords;
  readonly scenario: ResolveScenario;
  /**
   * Decides whether a name outside the cluster zone exists on the internet or the corporate
   * resolver. The default says yes only for the name exactly as the user wrote it (with a dot, and
   * not shaped like `svc.ns` or `svc.ns.svc`), never for a search-list expansion of it: hostnet
   * cannot know the outside world.
   */
  readonly externalExists?: (name: string) => boolean;
}

function optionNumber(conf: ResolvConf, name: string, fallback: number, max: number): number {
  let v = fallback;
  for (const o of conf.options) {
    const m = new RegExp(`^${name}:(\\d+)$`).exec(o.value);
    if (m) v = Math.min(Number(m[1]), max);
  }
  return v;
}

export function serverKindOf(address: string, cluster: Cluster): ServerKind {
  if (cluster.nodeLocalDNS !== undefined && address === cluster.nodeLocalDNS) return 'node-local-dns';
  if (cluster.clusterDNS.includes(address)) return 'cluster-dns';
  if (parseResolvConf(cluster.resolvConf.content).nameservers.includes(address)) return 'node-resolver';
  return 'other';
}

const KIND_WORDS: Readonly<Record<ServerKind, string>> = {
  'cluster-dns': 'cluster DNS',
  'node-local-dns': 'the NodeLocal DNSCache',
  'node-resolver': "the node's resolver",
  other: 'a resolver outside the cluster',
};

export function resolveName(name: string, conf: ResolvConf, env: ResolveEnv, libc: Libc = 'glibc'): Resolution {
  const { records, scenario, cluster } = env;
  const written = name.toLowerCase().replace(/\.+$/, '');
  // `svc.ns` and `svc.ns.svc` are Service names, not internet names, even though they have dots.
  const lastLabel = (q: string): string => q.slice(q.lastIndexOf('.') + 1);
  const externalExists = env.externalExists ?? ((q: string) => q === written && q.includes('.') && lastLabel(q) !== 'svc' && !records.serviceNamespaces.has(lastLabel(q)));
  const expansion = expandQuery(name, conf, libc);
  const timeout = optionNumber(conf, 'timeout', 5, 30);
  const attempts = optionNumber(conf, 'attempts', 2, 5);
  const servers = conf.nameservers.map((e) => e.value);
  const steps: QueryStep[] = [];
  let waited = 0;

  /** What one server does with one query. */
  const ask = (query: string, server: string): Omit<QueryStep, 'query' | 'server'> => {
    const kind = serverKindOf(server, cluster);
    const inZone = records.inZone(query);
    const external = (via: string): Omit<QueryStep, 'query' | 'server'> => externalExists(query)
      ? { serverKind: kind, outcome: 'answer', answers: [{ name: query, type: 'A', value: '(an address outside the cluster)', from: via, standIn: true }], why: `${query} is outside the cluster zone; ${via} resolves it (hostnet assumes the name as written exists outside)` }
      : { serverKind: kind, outcome: 'nxdomain', answers: [], why: `${query} is outside the cluster zone and is taken not to exist outside it (a search-list expansion)` };
    const fromRecords = (): Omit<QueryStep, 'query' | 'server'> => {
      const answers = records.lookup(query).filter((r) => r.type === 'A' || r.type === 'AAAA' || r.type === 'CNAME');
      return answers.length > 0
        ? { serverKind: kind, outcome: 'answer', answers, why: `cluster DNS answers from ${answers[0]!.from}` }
        : { serverKind: kind, outcome: 'nxdomain', answers: [], why: `no Service, endpoint or pod record has this name in the cluster zone ${records.zone}` };
    };
    const clusterDown = scenario.clusterDNS === 'down';
    switch (kind) {
      case 'cluster-dns':
        if (scenario.blockedToClusterDNS) return { serverKind: kind, outcome: 'timeout', answers: [], why: `queries to ${server}:53 are dropped: ${scenario.blockedToClusterDNS}` };
        if (clusterDown) return { serverKind: kind, outcome: 'timeout', answers: [], why: `cluster DNS (${server}) is down: nothing answers behind the Service address` };
        // CoreDNS answers its zone itself and forwards the rest to the node's resolver (kubeadm Corefile).
        return inZone ? fromRecords() : external('cluster DNS, forwarding to the node\'s resolver,');
      case 'node-local-dns':
        if (inZone) {
          if (scenario.blockedToClusterDNS || clusterDown) return { serverKind: kind, outcome: 'timeout', answers: [], why: `the NodeLocal DNSCache forwards the cluster zone to cluster DNS, which ${clusterDown ? 'is down' : 'drops it'}; only names it has cached survive` };
          return fromRecords();
        }
        return external('the NodeLocal DNSCache, forwarding to the node\'s resolver,');
      case 'node-resolver':
      case 'other':
        // Resolvers outside the cluster do not know its zone.
        if (inZone) return { serverKind: kind, outcome: 'nxdomain', answers: [], why: `${KIND_WORDS[kind]} (${server}) does not know the cluster zone ${records.zone}` };
        return external(`${KIND_WORDS[kind]} (${server})`);
    }
  };

  let resolved = false;
  let answers: readonly DnsRecord[] = [];
  let summary = '';
  outer: for (const query of expansion.queries) {
    let answered = false;
    for (const server of servers) {
      const r = ask(query, server);
      steps.push({ query, server, ...r });
      if (r.outcome === 'timeout') {
        waited += timeout * attempts;
        continue;
      }
      answered = true;
      if (r.outcome === 'answer') {
        resolved = true;
        answers = r.answers;
        summary = `${query} answers from ${server} (${KIND_WORDS[r.serverKind]}): ${r.answers.map((a) => `${a.type} ${a.value}`).join(', ')}.`;
        break outer;
      }
      break;
    }
    if (!answered) {
      // glibc: a query no server answered ends the lookup (TRY_AGAIN); the rest of the search list is never tried.
      summary = servers.length === 0
        ? `The pod has no nameserver, so nothing is asked.`
        : `${query} got no answer from ${servers.join(', ')} within ${waited} s, so the lookup fails with a temporary error (TRY_AGAIN) and the rest of the search list is never tried.`;
      break;
    }
  }
  if (!resolved && summary === '') summary = `Every query (${expansion.queries.join(', ')}) answered NXDOMAIN, so ${written} does not resolve (NXDOMAIN).`;
  return { name, libc, queries: expansion.queries, steps, resolved, answers, summary, waitedSeconds: waited };
}
