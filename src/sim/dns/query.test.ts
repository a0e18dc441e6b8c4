/**
 * The queries a stub resolver sends for one name (query.ts), glibc and musl, with expectations
 * written from their sources: glibc resolv/res_query.c#__res_context_search (as written first when
 * dots ≥ ndots or a trailing dot, then the search list unless the name is absolute; a `.` search
 * entry is the root and suppresses a second as-written query) and musl
 * src/network/lookup_name.c#name_from_dns_search (dots ≥ ndots or a trailing dot: as written only),
 * ndots default 1, capped at 15 by both. Confs come from the kubelet's own output (KDNS-12's node)
 * where they can.
 */
import { describe, expect, test } from 'vitest';
import { expandQuery, ndotsOf, type Libc } from './query.js';
import { podDns, type Entry, type KubeletDns, type PodDnsInput, type ResolvConf } from './resolv-conf.js';

const KUBELET: KubeletDns = {
  clusterDNS: ['10.96.0.10'],
  clusterDomain: 'cluster.local',
  resolvConf: { path: '/etc/resolv.conf', content: 'search corp.example.\nnameserver 10.0.0.2\noptions edns0 timeout:2\n' },
  nodeIPs: ['10.0.0.5'],
  expandedDNSConfig: true,
};

function confOf(pod: Partial<PodDnsInput>, kubelet: KubeletDns = KUBELET): ResolvConf {
  const r = podDns({ namespace: 'web', dnsPolicy: 'ClusterFirst', hostNetwork: false, ...pod }, kubelet);
  if (!r) throw new Error('no DNS for the test pod');
  return r.conf;
}

const e = (value: string): Entry => ({ value, origin: 'dnsConfig' });
/** A hand-made conf for cases the kubelet would not produce on its own. */
const conf = (searches: string[], options: string[] = []): ResolvConf => ({ nameservers: [e('10.96.0.10')], searches: searches.map(e), options: options.map(e) });

/** Cluster type, KDNS-12: search web.svc.cluster.local svc.cluster.local cluster.local corp.example, ndots:5. */
const CLUSTER = confOf({});
/** Host type, KDNS-12: search corp.example, options edns0 timeout:2 (no ndots: 1). */
const HOST = confOf({ dnsPolicy: 'Default' });
/** ClusterFirst with dnsConfig ndots:1. */
const NDOTS1 = confOf({ dnsConfig: { options: [{ name: 'ndots', value: '1' }] } });
/** No node file (KDNS-6): search `.`, no options. */
const ROOT = confOf({ dnsPolicy: 'Default' }, { ...KUBELET, resolvConf: { path: '', content: '' } });

const suffixed = (name: string, searches: readonly string[]): string[] => searches.map((s) => `${name}.${s}`);
const CLUSTER_SEARCH = ['web.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'];

interface Row {
  readonly name: string;
  readonly conf: ResolvConf;
  readonly query: string;
  readonly glibc: readonly string[];
  /** Left out where hostnet's musl model is known to differ from musl (see the note on ROOT rows). */
  readonly musl?: readonly string[];
  readonly ndots: number;
  readonly absolute?: boolean;
}

const rows: Row[] = [
  { name: 'a short name under ndots:5: the search list, then as written', conf: CLUSTER, query: 'db', ndots: 5,
    glibc: [...suffixed('db', CLUSTER_SEARCH), 'db'], musl: [...suffixed('db', CLUSTER_SEARCH), 'db'] },
  { name: 'svc.ns (1 dot < 5): the search list first, so db.shop.web.svc.cluster.local is asked before db.shop.svc.cluster.local', conf: CLUSTER, query: 'db.shop', ndots: 5,
    glibc: [...suffixed('db.shop', CLUSTER_SEARCH), 'db.shop'], musl: [...suffixed('db.shop', CLUSTER_SEARCH), 'db.shop'] },
  { name: 'an external name with 2 dots under ndots:5: four wasted queries before the real one', conf: CLUSTER, query: 'api.github.com', ndots: 5,
    glibc: [...suffixed('api.github.com', CLUSTER_SEARCH), 'api.github.com'], musl: [...suffixed('api.github.com', CLUSTER_SEARCH), 'api.github.com'] },
  { name: 'a name with 4 dots is still under ndots:5', conf: CLUSTER, query: 'a.b.c.d.e', ndots: 5,
    glibc: [...suffixed('a.b.c.d.e', CLUSTER_SEARCH), 'a.b.c.d.e'], musl: [...suffixed('a.b.c.d.e', CLUSTER_SEARCH), 'a.b.c.d.e'] },
  { name: 'a name with 5 dots (≥ ndots): glibc as written then the search list; musl as written only', conf: CLUSTER, query: 'a.b.c.d.e.f', ndots: 5,
    glibc: ['a.b.c.d.e.f', ...suffixed('a.b.c.d.e.f', CLUSTER_SEARCH)], musl: ['a.b.c.d.e.f'] },
  { name: 'a trailing dot: absolute, one query, no search', conf: CLUSTER, query: 'api.github.com.', ndots: 5, absolute: true,
    glibc: ['api.github.com'], musl: ['api.github.com'] },
  { name: 'a single label with a trailing dot is absolute too', conf: CLUSTER, query: 'db.', ndots: 5, absolute: true,
    glibc: ['db'], musl: ['db'] },
  { name: 'ndots:1 from dnsConfig: svc.ns is tried as written first (glibc then searches; musl stops)', conf: NDOTS1, query: 'db.shop', ndots: 1,
    glibc: ['db.shop', ...suffixed('db.shop', CLUSTER_SEARCH)], musl: ['db.shop'] },
  { name: 'ndots:1: a single label still walks the search list first', conf: NDOTS1, query: 'db', ndots: 1,
    glibc: [...suffixed('db', CLUSTER_SEARCH), 'db'], musl: [...suffixed('db', CLUSTER_SEARCH), 'db'] },
  { name: 'ndots:0: even a single label is tried as written first', conf: conf(['a.example'], ['ndots:0']), query: 'db', ndots: 0,
    glibc: ['db', 'db.a.example'], musl: ['db'] },
  { name: 'ndots:20 is capped at 15: 14 dots are under it', conf: conf(['a.example'], ['ndots:20']), query: 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o', ndots: 15,
    glibc: ['a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.a.example', 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o'], musl: ['a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.a.example', 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o'] },
  { name: 'ndots:20 is capped at 15: 15 dots reach it', conf: conf(['a.example'], ['ndots:20']), query: 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p', ndots: 15,
    glibc: ['a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p', 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.a.example'], musl: ['a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p'] },
  // musl builds `db..` for a `.` search entry, which __res_mkquery rejects, and name_from_dns_search
  // then returns EAI_NONAME without asking anything; hostnet asks `db`. Not asserted for musl.
  { name: 'search `.` (no node file, KDNS-6) is the root: a single label is asked once, as written', conf: ROOT, query: 'db', ndots: 1,
    glibc: ['db'] },
  { name: 'search `.` with a dotted name: once, as written (musl skips the search list at ndots)', conf: ROOT, query: 'db.shop', ndots: 1,
    glibc: ['db.shop'], musl: ['db.shop'] },
  { name: '`.` before another search entry: the root query comes in its place and is not repeated at the end', conf: conf(['.', 'corp.example']), query: 'db', ndots: 1,
    glibc: ['db', 'db.corp.example'] },
  { name: 'the Host-type file (options edns0 timeout:2): ndots defaults to 1, a single label walks the search list', conf: HOST, query: 'db', ndots: 1,
    glibc: ['db.corp.example', 'db'], musl: ['db.corp.example', 'db'] },
  { name: 'the Host-type file: one dot reaches ndots 1', conf: HOST, query: 'db.shop', ndots: 1,
    glibc: ['db.shop', 'db.shop.corp.example'], musl: ['db.shop'] },
  { name: 'duplicate search entries (Host type keeps the node file\'s) give one query each name', conf: conf(['a.example', 'a.example', 'b.example']), query: 'db', ndots: 1,
    glibc: ['db.a.example', 'db.b.example', 'db'], musl: ['db.a.example', 'db.b.example', 'db'] },
  { name: 'no search list at all (None type): the name as written', conf: conf([], ['ndots:2']), query: 'db', ndots: 2,
    glibc: ['db'], musl: ['db'] },
];

describe('expandQuery (glibc and musl)', () => {
  const cases = rows.flatMap((r) => (['glibc', 'musl'] as const)
    .filter((libc) => libc === 'glibc' || r.musl !== undefined)
    .map((libc: Libc) => [`${libc}: ${r.name}`, r, libc] as const));
  test.for(cases)('%s', ([, r, libc]) => {
    const got = expandQuery(r.query, r.conf, libc);
    expect(got.queries).toEqual(libc === 'glibc' ? r.glibc : r.musl);
    expect(got.ndots).toBe(r.ndots);
    expect(got.absolute).toBe(r.absolute ?? false);
  });
  test('glibc is the default', () => {
    expect(expandQuery('a.b.c.d.e.f', CLUSTER).queries).toHaveLength(5);
  });
});

describe('ndotsOf', () => {
  test.for([
    ['no options: 1', [], 1],
    ['the kubelet\'s ndots:5', ['ndots:5'], 5],
    ['other options do not count', ['edns0', 'timeout:2', 'attempts:3'], 1],
    ['ndots:0', ['ndots:0'], 0],
    ['ndots:15 kept', ['ndots:15'], 15],
    ['ndots:16 capped at 15', ['ndots:16'], 15],
    ['ndots:100 capped at 15', ['ndots:100'], 15],
  ] as const)('%s', ([, options, want]) => {
    expect(ndotsOf(conf([], [...options]))).toBe(want);
  });
  test('the kubelet\'s Cluster file and a dnsConfig override', () => {
    expect(ndotsOf(CLUSTER)).toBe(5);
    expect(ndotsOf(NDOTS1)).toBe(1);
  });
});
