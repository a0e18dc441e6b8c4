/**
 * Properties of the kubelet's pod resolv.conf over generated kubelets, node files and pods,
 * checked against an oracle written here from KDNS-3..9 (not from resolv-conf.ts): the effective
 * type, the base lists, the dnsConfig merge, then the limits. What must always hold: at most 3
 * nameservers; at most 32 searches (6 legacy), a search line of at most 2048 characters (256
 * legacy), no entry over 253; the output is the merged list in order, cut as the kubelet cuts it;
 * a DNSConfigForming event exactly when something was cut; the same input renders the same bytes.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { podDns, renderResolvConf, type DnsType, type KubeletDns, type PodDns, type PodDnsInput } from './resolv-conf.js';

const NUM_RUNS = 300;

// ---------------------------------------------------------------------------------------------
// Generators

/** A small pool, so duplicates between clusterDNS, the node file and dnsConfig happen. */
const ipArb = fc.oneof(
  fc.constantFrom('10.96.0.10', '10.0.0.2', '1.1.1.1', '8.8.8.8', '169.254.20.10', 'fd00::a'),
  fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.${a}.${b}.53`),
);

/** A name of exactly `len` characters, labels of 9 letters, never ending in a dot. */
function nameOfLength(c: string, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += i % 10 === 9 && i !== len - 1 ? '.' : c;
  return s;
}

/** Search entries: common short ones (duplicates with the cluster entries) and random lengths up to 300. */
const searchArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('corp.example', 'cluster.local', 'svc.cluster.local', 'web.svc.cluster.local', 'a.example', 'b.example') },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('p', 'q', 'r', 's'), fc.integer({ min: 1, max: 300 })).map(([c, n]) => nameOfLength(c, n)) },
);

const OPTION_POOL = ['edns0', 'timeout:2', 'timeout:3', 'ndots:3', 'attempts:4', 'rotate', 'trust-ad', 'single-request'];

interface NodeFile {
  readonly nameservers: string[];
  readonly searches: string[];
  readonly options: string[];
  /** An earlier search line the last one must replace (KDNS-2). */
  readonly decoy: boolean;
  readonly sep: string;
}

const nodeFileArb: fc.Arbitrary<NodeFile> = fc.record({
  nameservers: fc.array(ipArb, { maxLength: 6 }),
  searches: fc.array(searchArb, { maxLength: 40 }),
  options: fc.array(fc.constantFrom(...OPTION_POOL), { maxLength: 4 }),
  decoy: fc.boolean(),
  sep: fc.constantFrom(' ', '\t', '  '),
});

function renderNodeFile(f: NodeFile): string {
  const lines = ['# generated'];
  if (f.decoy) lines.push(`search${f.sep}decoy.example`);
  for (const ns of f.nameservers) lines.push(`nameserver${f.sep}${ns}`);
  if (f.searches.length > 0 || f.decoy) lines.push(['search', ...f.searches].join(f.sep));
  if (f.options.length > 0) lines.push(['options', ...f.options].join(f.sep));
  return `${lines.join('\n')}\n`;
}

interface Generated {
  readonly kubelet: KubeletDns;
  readonly node: NodeFile;
  readonly pod: PodDnsInput;
  readonly dnsConfig?: { nameservers: string[]; searches: string[]; options: { name: string; value?: string }[] };
}

const dnsConfigArb = fc.record({
  nameservers: fc.array(ipArb, { maxLength: 6 }),
  searches: fc.array(fc.oneof(searchArb, searchArb.map((s) => `${s}.`)), { maxLength: 10 }),
  options: fc.array(fc.record({ name: fc.constantFrom('ndots', 'timeout', 'edns0', 'rotate', 'use-vc'), value: fc.option(fc.constantFrom('1', '2', '5'), { nil: undefined }) }), { maxLength: 4 }),
});

const generatedArb: fc.Arbitrary<Generated> = fc.record({
  clusterDNS: fc.array(ipArb, { maxLength: 4 }),
  clusterDomain: fc.constantFrom('cluster.local', 'k8s.internal', '', nameOfLength('d', 120)),
  noFile: fc.boolean(),
  nodeIPs: fc.array(fc.constantFrom('192.168.10.11', 'fd00:10::11', '10.1.2.3'), { maxLength: 2 }),
  expanded: fc.boolean(),
  node: nodeFileArb,
  namespace: fc.constantFrom('web', 'default', 'kube-system', nameOfLength('n', 63)),
  dnsPolicy: fc.constantFrom('ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None', undefined),
  hostNetwork: fc.boolean(),
  dnsConfig: fc.option(dnsConfigArb, { nil: undefined }),
}, { requiredKeys: ['clusterDNS', 'clusterDomain', 'noFile', 'nodeIPs', 'expanded', 'node', 'namespace', 'dnsPolicy', 'hostNetwork'] }).map((g) => ({
  kubelet: {
    clusterDNS: g.clusterDNS,
    clusterDomain: g.clusterDomain,
    // One case in eight has no node file (KDNS-6); the boolean alone would be one in two.
    resolvConf: g.noFile && g.node.sep === '\t' ? { path: '', content: '' } : { path: '/etc/resolv.conf', content: renderNodeFile(g.node) },
    nodeIPs: g.nodeIPs,
    expandedDNSConfig: g.expanded,
  },
  node: g.node,
  pod: { namespace: g.namespace, dnsPolicy: g.dnsPolicy, hostNetwork: g.hostNetwork, ...(g.dnsConfig ? { dnsConfig: g.dnsConfig } : {}) },
  ...(g.dnsConfig ? { dnsConfig: g.dnsConfig } : {}),
}));

// ---------------------------------------------------------------------------------------------
// Oracle, from the semantics document

const dedupe = (xs: readonly string[]): string[] => [...new Set(xs)];

/** KDNS-3 and KDNS-5. */
function expectedTypes(policy: unknown, hostNetwork: boolean, clusterDNS: readonly string[]): { requested: DnsType; type: DnsType } {
  const requested: DnsType = policy === 'None' ? 'None' : policy === 'Default' ? 'Host' : policy === 'ClusterFirstWithHostNet' ? 'Cluster' : hostNetwork ? 'Host' : 'Cluster';
  return { requested, type: requested === 'Cluster' && clusterDNS.length === 0 ? 'Host' : requested };
}

/** KDNS-4/6/7 then KDNS-8: the lists before the limits. */
function merged(g: Generated): { nameservers: string[]; searches: string[] } {
  const { type } = expectedTypes(g.pod.dnsPolicy, g.pod.hostNetwork, g.kubelet.clusterDNS);
  const noFile = g.kubelet.resolvConf.path === '';
  const nodeNs = noFile ? [] : g.node.nameservers;
  const nodeSearch = noFile ? [] : g.node.searches;
  let nameservers: string[] = [];
  let searches: string[] = [];
  const d = g.kubelet.clusterDomain;
  if (type === 'Cluster') {
    nameservers = [...g.kubelet.clusterDNS];
    searches = d === '' ? [...nodeSearch] : dedupe([`${g.pod.namespace}.svc.${d}`, `svc.${d}`, d, ...nodeSearch]);
  } else if (type === 'Host') {
    if (noFile) {
      nameservers = g.kubelet.nodeIPs.length === 0 ? ['127.0.0.1'] : g.kubelet.nodeIPs.map((ip) => (ip.includes(':') ? '::1' : '127.0.0.1'));
      searches = ['.'];
    } else {
      nameservers = [...nodeNs];
      searches = [...nodeSearch];
    }
  }
  if (g.dnsConfig) {
    nameservers = dedupe([...nameservers, ...g.dnsConfig.nameservers]);
    searches = dedupe([...searches, ...g.dnsConfig.searches]);
  }
  return { nameservers, searches };
}

function isSubsequence(sub: readonly string[], of: readonly string[]): boolean {
  let i = 0;
  for (const x of of) if (i < sub.length && sub[i] === x) i++;
  return i === sub.length;
}

const joinedLength = (xs: readonly string[]): number => xs.join(' ').length;

function run(g: Generated): PodDns {
  const r = podDns(g.pod, g.kubelet);
  if (!r) throw new Error(`no DNS for ${String(g.pod.dnsPolicy)}`);
  return r;
}

// ---------------------------------------------------------------------------------------------

interface Observed {
  readonly got: PodDns;
  readonly types: { requested: DnsType; type: DnsType };
  readonly want: { nameservers: string[]; searches: string[] };
  readonly ns: string[];
  readonly search: string[];
  readonly maxPaths: number;
  readonly maxChars: number;
}

function observe(g: Generated): Observed {
  const got = run(g);
  return {
    got,
    types: expectedTypes(g.pod.dnsPolicy, g.pod.hostNetwork, g.kubelet.clusterDNS),
    want: merged(g),
    ns: got.conf.nameservers.map((e) => e.value),
    search: got.conf.searches.map((e) => e.value),
    maxPaths: g.kubelet.expandedDNSConfig ? 32 : 6,
    maxChars: g.kubelet.expandedDNSConfig ? 2048 : 256,
  };
}

describe('pod resolv.conf properties (KDNS-3..9)', () => {
  test('limits hold and the output is the merged list in order, cut as the kubelet cuts it', () => {
    const seen = { nsCut: 0, searchCut: 0, countCut: 0, longDropped: 0, lineCut: 0, noFile: 0, fellBack: 0 };
    fc.assert(fc.property(generatedArb, (g) => {
      const { got, types, want, ns, search, maxPaths, maxChars } = observe(g);
      // The type (KDNS-3, KDNS-5).
      expect([got.requested, got.type]).toEqual([types.requested, types.type]);

      // Nameservers: never more than 3, and exactly the first 3 of the merged list (KDNS-9).
      expect(ns.length).toBeLessThanOrEqual(3);
      expect(ns).toEqual(want.nameservers.slice(0, 3));

      // Searches: the limits (KDNS-9).
      expect(search.length).toBeLessThanOrEqual(maxPaths);
      expect(joinedLength(search)).toBeLessThanOrEqual(maxChars);
      for (const s of search) expect(s.length).toBeLessThanOrEqual(253);
      // ...the merged list in order (a subsequence), without duplicates once dnsConfig was merged (KDNS-8)...
      expect(isSubsequence(search, want.searches)).toBe(true);
      if (g.dnsConfig) {
        expect(new Set(search).size).toBe(search.length);
        expect(new Set(ns).size).toBe(ns.length);
      }
      // ...cut as the kubelet cuts: count first, then long entries, then from the end, no more than needed.
      const kept = want.searches.slice(0, maxPaths).filter((s) => s.length <= 253);
      expect(search).toEqual(kept.slice(0, search.length));
      if (search.length < kept.length) expect(joinedLength(kept.slice(0, search.length + 1))).toBeGreaterThan(maxChars);

      // Options: one per name, dnsConfig's last value for each of its names (KDNS-8); Cluster alone is ndots:5 (KDNS-4).
      const options = got.conf.options.map((o) => o.value);
      const names = options.map((o) => o.split(':')[0]);
      expect(new Set(names).size).toBe(names.length);
      if (types.type === 'Cluster' && !g.dnsConfig) expect(options).toEqual(['ndots:5']);
      for (const o of g.dnsConfig?.options ?? []) {
        const last = g.dnsConfig!.options.filter((x) => x.name === o.name).at(-1)!;
        expect(options).toContain(last.value ? `${last.name}:${last.value}` : last.name);
      }

      if (want.nameservers.length > 3) seen.nsCut++;
      if (search.length < want.searches.length) seen.searchCut++;
      if (want.searches.length > maxPaths) seen.countCut++;
      if (want.searches.slice(0, maxPaths).some((s) => s.length > 253)) seen.longDropped++;
      if (search.length < kept.length) seen.lineCut++;
      if (g.kubelet.resolvConf.path === '') seen.noFile++;
      if (types.requested !== types.type) seen.fellBack++;
    }), { numRuns: NUM_RUNS });
    // The generators reach every branch the properties speak about.
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });

  test('a DNSConfigForming event exactly when something was cut, with the applied line; MissingClusterDNS exactly on fallback', () => {
    const seen = { cut: 0, uncut: 0, legacyCut: 0 };
    fc.assert(fc.property(generatedArb, (g) => {
      const { got, types, want, ns, search } = observe(g);
      const nsCut = want.nameservers.length > 3;
      const searchCut = search.length < want.searches.length;
      const expected = [
        ...(types.requested === 'Cluster' && types.type === 'Host' ? ['MissingClusterDNS/Node', 'MissingClusterDNS/Pod'] : []),
        ...(nsCut ? [`DNSConfigForming/Pod/Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${ns.join(' ')}`] : []),
        ...(searchCut ? [`DNSConfigForming/Pod/Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${search.join(' ')}`] : []),
      ];
      expect(got.events.map((e) => (e.reason === 'DNSConfigForming' ? `${e.reason}/${e.on}/${e.message}` : `${e.reason}/${e.on}`))).toEqual(expected);
      expect(got.events.every((e) => e.type === 'Warning')).toBe(true);
      if (nsCut || searchCut) seen.cut++;
      else seen.uncut++;
      if (searchCut && !g.kubelet.expandedDNSConfig) seen.legacyCut++;
    }), { numRuns: NUM_RUNS });
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });

  test('rendering is deterministic: the same input gives the same value and bytes, also after another node file was parsed', () => {
    fc.assert(fc.property(generatedArb, (g) => {
      const got = run(g);
      const rendered = renderResolvConf(got.conf);
      podDns(g.pod, { ...g.kubelet, resolvConf: { path: '/etc/resolv.conf', content: 'nameserver 9.9.9.9\nsearch other.example\n' } });
      const again = run(structuredClone(g));
      expect(again).toEqual(got);
      expect(renderResolvConf(again.conf)).toBe(rendered);
      // KDNS-11's shape: one line per nameserver, at most one search and one options line, newline-terminated.
      const lines = rendered === '' ? [] : rendered.slice(0, -1).split('\n');
      expect(lines.filter((l) => l.startsWith('nameserver ')).length).toBe(got.conf.nameservers.length);
      expect(lines.filter((l) => l.startsWith('search ')).length).toBe(got.conf.searches.length > 0 ? 1 : 0);
      expect(lines.filter((l) => l.startsWith('options ')).length).toBe(got.conf.options.length > 0 ? 1 : 0);
      expect(lines).toHaveLength(got.conf.nameservers.length + (got.conf.searches.length > 0 ? 1 : 0) + (got.conf.options.length > 0 ? 1 : 0));
      if (rendered !== '') expect(rendered.endsWith('\n')).toBe(true);
    }), { numRuns: NUM_RUNS });
  });
});
