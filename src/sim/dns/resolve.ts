/**
 * One lookup from one pod, walked query by query: the names `expandQuery` produces, each sent to
 * the pod's nameservers in order (the next one only after a timeout), answered by the cluster DNS
 * server from the cluster records, by a NodeLocal DNSCache, or by a resolver outside the cluster.
 * glibc walks the search list until a query fails with anything but NXDOMAIN or SERVFAIL, then still
 * asks the name as written; a server that times out costs its timeout on every attempt. Scenarios:
 * cluster DNS up or down (no ready endpoints: refused at once), and queries to it dropped by a
 * NetworkPolicy (timeouts). Ref: glibc resolv/res_query.c#__res_context_search and res_send.c;
 * the kubeadm Corefile (`forward . /etc/resolv.conf`); CDNS-*, KDNS-*, DBG-1.
 */
import type { Cluster } from '../../model/cluster.js';
import { expandQuery, type Libc } from './query.js';
import type { ClusterRecords, DnsRecord } from './records.js';
import type { ResolvConf } from './resolv-conf.js';
import { parsedNodeFile } from './resolv-conf.js';

export type ServerKind = 'cluster-dns' | 'node-local-dns' | 'node-resolver' | 'other';

export interface ResolveScenario {
  /**
   * `down`: its pods are not ready, so the Service has no endpoints and kube-proxy rejects queries
   * at once (KP-10); `unresponsive`: the pods are ready but do not answer (overload, a forwarding
   * loop), so queries time out.
   */
  readonly clusterDNS: 'up' | 'down' | 'unresponsive';
  /** Why queries from this pod to cluster DNS are dropped (a NetworkPolicy), if they are. */
  readonly blockedToClusterDNS?: string;
}

/** `refused`: nothing listens (a Service with no ready endpoints is REJECTed by kube-proxy, KP-10). */
export type Outcome = 'answer' | 'nxdomain' | 'servfail' | 'refused' | 'timeout';

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
  if (parsedNodeFile(cluster.resolvConf.content).nameservers.includes(address)) return 'node-resolver';
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
        if (clusterDown) return { serverKind: kind, outcome: 'refused', answers: [], why: `cluster DNS is down: the Service ${server} has no ready endpoints, so kube-proxy rejects the packet (KP-10) and the resolver gets "connection refused" at once` };
        if (scenario.clusterDNS === 'unresponsive') return { serverKind: kind, outcome: 'timeout', answers: [], why: `cluster DNS (${server}) does not answer: its pods are ready but silent, so the query times out` };
        // CoreDNS answers its zone itself and forwards the rest to the node's resolver (kubeadm Corefile).
        return inZone ? fromRecords() : external('cluster DNS, forwarding to the node\'s resolver,');
      case 'node-local-dns':
        // The cache runs on the node's network, so the pod's NetworkPolicy does not govern its upstream queries (derived).
        if (inZone) {
          if (clusterDown || scenario.clusterDNS === 'unresponsive') return { serverKind: kind, outcome: 'servfail', answers: [], why: `the NodeLocal DNSCache forwards the cluster zone to cluster DNS, which ${clusterDown ? 'is down' : 'does not answer'}, and answers SERVFAIL for what it has not cached` };
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

  /** res_send: every server in order on each attempt; a refusing server is skipped afterwards. */
  type Sent = { outcome: Outcome; answers: readonly DnsRecord[]; server?: string; kind?: ServerKind };
  const send = (query: string): Sent => {
    if (servers.length === 0) return { outcome: 'refused', answers: [] };
    const refused = new Set<string>();
    let sawTimeout = false;
    let servfail: Sent | undefined;
    if (libc === 'musl') {
      // musl asks every server at once and takes the first real answer.
      const results = servers.map((server) => ({ server, r: ask(query, server) }));
      for (const { server, r } of results) steps.push({ query, server, ...r });
      const hit = results.find((x) => x.r.outcome === 'answer' || x.r.outcome === 'nxdomain');
      if (hit) return { outcome: hit.r.outcome, answers: hit.r.answers, server: hit.server, kind: hit.r.serverKind };
      if (results.some((x) => x.r.outcome === 'timeout')) waited += timeout * attempts;
      return { outcome: results.some((x) => x.r.outcome === 'servfail') ? 'servfail' : results.some((x) => x.r.outcome === 'timeout') ? 'timeout' : 'refused', answers: [] };
    }
    for (let attempt = 0; attempt < attempts; attempt++) {
      for (let i = 0; i < servers.length; i++) {
        const server = servers[i]!;
        if (refused.has(server)) continue;
        const r = ask(query, server);
        // A step per server and query; later attempts add one only when they change the outcome.
        if (attempt === 0 || (r.outcome !== 'timeout' && r.outcome !== 'refused')) steps.push({ query, server, ...r });
        if (r.outcome === 'answer' || r.outcome === 'nxdomain') return { outcome: r.outcome, answers: r.answers, server, kind: r.serverKind };
        if (r.outcome === 'servfail') {
          // glibc tries the next server on SERVFAIL, and reports it if none does better.
          servfail ??= { outcome: 'servfail', answers: [], server, kind: r.serverKind };
          continue;
        }
        if (r.outcome === 'refused') {
          refused.add(server);
          continue;
        }
        sawTimeout = true;
        // send_dg: the first server waits `timeout`, the i-th (timeout << i) / nscount seconds.
        waited += i === 0 ? timeout : Math.max(1, Math.floor((timeout << i) / servers.length));
      }
      if (servfail && !sawTimeout) break;
    }
    return servfail ?? { outcome: sawTimeout ? 'timeout' : 'refused', answers: [] };
  };

  // __res_context_search (glibc) and name_from_dns_search (musl): the order of queries, and which
  // failures end the lookup. glibc ends the search list at a timeout or refusal but still asks the
  // name as written afterwards; musl stops at any failure other than NXDOMAIN.
  const bare = written;
  const dots = (bare.match(/\./g) ?? []).length;
  const searched = conf.searches.map((e) => (e.value === '.' ? bare : `${bare}.${e.value}`));
  const rootOnList = conf.searches.some((e) => e.value === '.');
  let result: Sent | undefined;
  let failure: Sent | undefined;
  let triedAsIs = false;
  const done = (r: Sent): boolean => r.outcome === 'answer';
  if (expansion.absolute) {
    result = send(bare);
  } else {
    if (dots >= expansion.ndots) {
      const r = send(bare);
      triedAsIs = true;
      if (done(r)) result = r;
      else if (r.outcome !== 'nxdomain') failure = r;
    }
    const searchAllowed = libc === 'glibc' || dots < expansion.ndots;
    if (!result && searchAllowed && !(libc === 'musl' && failure)) {
      for (const q of searched) {
        if (q === bare && triedAsIs) continue;
        const r = send(q);
        if (done(r)) {
          result = r;
          break;
        }
        if (r.outcome === 'nxdomain') continue;
        failure = r;
        if (libc === 'musl') break;
        if (r.outcome === 'servfail') continue;
        break;
      }
    }
    if (!result && !triedAsIs && !rootOnList && !(libc === 'musl' && failure)) {
      const r = send(bare);
      if (done(r)) result = r;
      else if (r.outcome !== 'nxdomain') failure ??= r;
    }
  }

  const queries = [...new Set(steps.map((s) => s.query))];
  let summary: string;
  if (result && result.outcome === 'answer') {
    const q = steps.filter((s) => s.outcome === 'answer').at(-1)!;
    summary = `${q.query} answers from ${result.server} (${KIND_WORDS[result.kind!]}): ${result.answers.map((a) => `${a.type} ${a.value}`).join(', ')}.`;
  } else if (servers.length === 0) {
    summary = 'The pod has no nameserver, so nothing is asked.';
  } else if (failure && failure.outcome !== 'nxdomain') {
    const how = failure.outcome === 'timeout' ? `no server answered within ${waited} s in all`
      : failure.outcome === 'refused' ? 'every server refused it at once' : 'every server answered SERVFAIL';
    summary = `The lookup fails with a temporary error (EAI_AGAIN / TRY_AGAIN): ${how}; queries asked: ${queries.join(', ')}.`;
  } else {
    summary = `Every query (${queries.join(', ')}) answered NXDOMAIN, so ${written} does not resolve.`;
  }
  const resolved = result?.outcome === 'answer';
  const answers = resolved ? result!.answers : [];
  return { name, libc, queries, steps, resolved, answers, summary, waitedSeconds: waited };
}
