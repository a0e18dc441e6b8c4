import { describe, expect, test } from 'vitest';
import type { Cluster } from '../../model/cluster.js';
import { modelOf } from '../../testing/model.js';
import { yaml } from '../../testing/yaml.js';
import { simulations } from '../simulations.js';
import { kubeletDnsOf, podDnsOf } from './pod-dns.js';
import type { Libc } from './query.js';
import { clusterRecords } from './records.js';
import { resolveName, serverKindOf, type ResolveScenario } from './resolve.js';

/** Deployment <name> in <namespace> with extra pod spec lines. */
const deployment = (name: string, namespace: string, podSpec = ''): string => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:${podSpec}
      containers: [{name: c, image: busybox}]
`;

const REDIS = `---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: cache}
spec:
  selector: {app: redis}
  ports: [{port: 6379}]
`;

/** The seed 001 debug pod (examples/seed-node-debug-pod.yaml): hostNetwork, no dnsPolicy (DBG-1). */
const DEBUG_POD = yaml`
  apiVersion: v1
  kind: Pod
  metadata: {name: node-debugger-worker-1-x7k2p, namespace: default}
  spec:
    nodeName: worker-1
    hostNetwork: true
    tolerations: [{operator: Exists}]
    containers: [{name: debugger, image: busybox}]
`;

const UP: ResolveScenario = { clusterDNS: 'up' };
const DOWN: ResolveScenario = { clusterDNS: 'down' };
const SILENT: ResolveScenario = { clusterDNS: 'unresponsive' };

function setup(source: string, cluster: Partial<Cluster> = {}) {
  const model = modelOf(source, cluster);
  const records = clusterRecords(model.objects, simulations(model).placement(), model.cluster);
  const kubelet = kubeletDnsOf(model.cluster);
  const conf = (pod: string) => podDnsOf(model.podViews.find((v) => v.object.name === pod)!, kubelet)!.conf;
  const walk = (pod: string, name: string, scenario: ResolveScenario = UP, libc: Libc = 'glibc', externalExists?: (q: string) => boolean) =>
    resolveName(name, conf(pod), { cluster: model.cluster, records, scenario, ...(externalExists ? { externalExists } : {}) }, libc);
  return { model, records, conf, walk };
}

const SET = setup(REDIS + deployment('web', 'shop') + deployment('worker', 'cache') + `---\n${DEBUG_POD}`);

describe('a Cluster-type pod (KDNS-4) with cluster DNS up', () => {
  test('resolves `redis` in its own namespace at the first search entry', () => {
    const r = SET.walk('worker', 'redis');
    expect(r.queries[0]).toBe('redis.cache.svc.cluster.local');
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ query: 'redis.cache.svc.cluster.local', server: '10.96.0.10', serverKind: 'cluster-dns', outcome: 'answer' });
    expect(r.resolved).toBe(true);
    expect(r.answers.map((a) => a.from)).toEqual(['Service cache/redis']);
    expect(r.summary).toMatch(/^redis\.cache\.svc\.cluster\.local answers from 10\.96\.0\.10 \(cluster DNS\): A 10\.\d+\.\d+\.\d+\.$/);
    expect(r.waitedSeconds).toBe(0);
  });

  test('resolves `redis.cache` from another namespace at the second search entry', () => {
    const r = SET.walk('web', 'redis.cache');
    expect(r.steps.map((s) => [s.query, s.outcome])).toEqual([
      ['redis.cache.shop.svc.cluster.local', 'nxdomain'],
      ['redis.cache.svc.cluster.local', 'answer'],
    ]);
  });

  test('`redis` alone from another namespace is NXDOMAIN: the search list holds only its own namespace', () => {
    const r = SET.walk('web', 'redis');
    expect(r.resolved).toBe(false);
  });

  test('an unknown name walks the whole list, NXDOMAIN everywhere', () => {
    const r = SET.walk('web', 'nothere');
    expect(r.queries).toEqual(['nothere.shop.svc.cluster.local', 'nothere.svc.cluster.local', 'nothere.cluster.local', 'nothere.corp.example', 'nothere']);
    expect(r.steps.map((s) => s.outcome)).toEqual(['nxdomain', 'nxdomain', 'nxdomain', 'nxdomain', 'nxdomain']);
    expect(r.resolved).toBe(false);
    expect(r.summary).toBe('Every query (nothere.shop.svc.cluster.local, nothere.svc.cluster.local, nothere.cluster.local, nothere.corp.example, nothere) answered NXDOMAIN, so nothere does not resolve.');
  });

  test('an external name: the search expansions first (ndots:5), then cluster DNS forwards the name as written', () => {
    const r = SET.walk('web', 'github.com');
    expect(r.steps.map((s) => s.outcome)).toEqual(['nxdomain', 'nxdomain', 'nxdomain', 'nxdomain', 'answer']);
    expect(r.steps[4]).toMatchObject({ query: 'github.com', server: '10.96.0.10', serverKind: 'cluster-dns' });
    expect(r.steps[3]!.why).toContain('taken not to exist outside it');
  });

  test('an absolute name is asked once, as written', () => {
    const r = SET.walk('web', 'github.com.');
    expect(r.queries).toEqual(['github.com']);
    expect(r.resolved).toBe(true);
  });

  test('`svc.ns` shapes are not taken as internet names', () => {
    expect(SET.walk('node-debugger-worker-1-x7k2p', 'redis.cache').resolved).toBe(false);
  });

  test('the built-in kubernetes.default Service', () => {
    expect(SET.walk('web', 'kubernetes.default').answers.map((a) => a.value)).toEqual(['10.96.0.1']);
  });

  test('names are case-insensitive', () => {
    expect(SET.walk('worker', 'REDIS').resolved).toBe(true);
  });
});

describe('cluster DNS down or unreachable', () => {
  test('down (no ready endpoints): refused at once; glibc ends the search list and still asks the name as written (KP-10)', () => {
    const r = SET.walk('worker', 'redis', DOWN);
    expect(r.steps.map((s) => `${s.query} ${s.outcome}`)).toEqual(['redis.cache.svc.cluster.local refused', 'redis refused']);
    expect(r.resolved).toBe(false);
    expect(r.waitedSeconds).toBe(0);
    expect(r.summary).toBe('The lookup fails with a temporary error (EAI_AGAIN / TRY_AGAIN): every server refused it at once; queries asked: redis.cache.svc.cluster.local, redis.');
  });

  test('unresponsive: each query waits timeout × attempts (5 × 2), the search list ends at the first, the name as written is still asked', () => {
    const r = SET.walk('worker', 'redis', SILENT);
    expect(r.steps.map((s) => `${s.query} ${s.outcome}`)).toEqual(['redis.cache.svc.cluster.local timeout', 'redis timeout']);
    expect(r.waitedSeconds).toBe(20);
    expect(r.summary).toBe('The lookup fails with a temporary error (EAI_AGAIN / TRY_AGAIN): no server answered within 20 s in all; queries asked: redis.cache.svc.cluster.local, redis.');
  });

  test('options timeout and attempts from dnsConfig set the wait', () => {
    const s = setup(deployment('web', 'shop', '\n      dnsConfig: {options: [{name: timeout, value: "1"}, {name: attempts, value: "3"}]}'));
    expect(s.walk('web', 'github.com', SILENT).waitedSeconds).toBe(6);
  });

  test('external names fail too: the search list starts in the cluster zone', () => {
    const r = SET.walk('web', 'github.com', DOWN);
    expect(r.steps.map((s) => s.query)).toEqual(['github.com.shop.svc.cluster.local', 'github.com']);
    expect(r.resolved).toBe(false);
  });

  test('queries dropped by a NetworkPolicy time out with the reason', () => {
    const r = SET.walk('worker', 'redis', { clusterDNS: 'up', blockedToClusterDNS: 'NetworkPolicy cache/deny drops them' });
    expect(r.steps[0]!.outcome).toBe('timeout');
    expect(r.steps[0]!.why).toBe('queries to 10.96.0.10:53 are dropped: NetworkPolicy cache/deny drops them');
  });

  test('seed 001: the debug pod (Host type, KDNS-3) resolves github.com through the node resolver', () => {
    const r = SET.walk('node-debugger-worker-1-x7k2p', 'github.com', DOWN);
    expect(r.queries).toEqual(['github.com']);
    expect(r.steps[0]).toMatchObject({ query: 'github.com', server: '192.168.10.2', serverKind: 'node-resolver', outcome: 'answer' });
    expect(r.resolved).toBe(true);
    expect(r.waitedSeconds).toBe(0);
  });

  test('seed 001: the debug pod does not resolve a Service name, up or down: the node resolver does not know the zone', () => {
    for (const scenario of [UP, DOWN]) {
      const r = SET.walk('node-debugger-worker-1-x7k2p', 'redis.cache.svc.cluster.local', scenario);
      expect(r.resolved).toBe(false);
      expect(r.steps[0]).toMatchObject({ serverKind: 'node-resolver', outcome: 'nxdomain', why: 'the node\'s resolver (192.168.10.2) does not know the cluster zone cluster.local' });
    }
  });
});

describe('several nameservers', () => {
  const S = setup(deployment('mixed', 'shop', '\n      dnsPolicy: None\n      dnsConfig: {nameservers: [10.96.0.10, 1.1.1.1]}'));

  test('the second nameserver is asked after one per-server timeout (round robin per attempt, res_send.c)', () => {
    const down = S.walk('mixed', 'github.com', SILENT);
    expect(down.steps.map((s) => [s.server, s.outcome])).toEqual([['10.96.0.10', 'timeout'], ['1.1.1.1', 'answer']]);
    expect(down.steps[1]!.serverKind).toBe('other');
    expect(down.resolved).toBe(true);
    expect(down.waitedSeconds).toBe(5);
    const refused = S.walk('mixed', 'github.com', DOWN);
    expect([refused.resolved, refused.waitedSeconds]).toEqual([true, 0]);
    const up = S.walk('mixed', 'github.com', UP);
    expect(up.steps.map((s) => s.server)).toEqual(['10.96.0.10']);
    expect(up.waitedSeconds).toBe(0);
  });

  test('an NXDOMAIN from the first server is final for that query: the second is not asked', () => {
    const r = S.walk('mixed', 'nothere.svc.cluster.local.', UP);
    expect(r.steps.map((s) => [s.server, s.outcome])).toEqual([['10.96.0.10', 'nxdomain']]);
  });

  test('no nameserver at all: nothing is asked', () => {
    const none = setup(deployment('none', 'shop', '\n      dnsPolicy: None'));
    const r = none.walk('none', 'github.com');
    expect(r.steps).toEqual([]);
    expect(r.summary).toBe('The pod has no nameserver, so nothing is asked.');
  });
});

describe('glibc and musl', () => {
  // The node's search domain corp.example holds db.internal; the name as written exists nowhere.
  const corp = (q: string): boolean => q === 'db.internal.corp.example';
  test('a dotted name under ndots:1: glibc tries it as written, then the search list', () => {
    const r = SET.walk('node-debugger-worker-1-x7k2p', 'db.internal', UP, 'glibc', corp);
    expect(r.queries).toEqual(['db.internal', 'db.internal.corp.example']);
    expect(r.resolved).toBe(true);
  });
  test('musl asks a name with at least ndots dots only as written', () => {
    const r = SET.walk('node-debugger-worker-1-x7k2p', 'db.internal', UP, 'musl', corp);
    expect(r.queries).toEqual(['db.internal']);
    expect(r.resolved).toBe(false);
    expect(r.libc).toBe('musl');
  });
  test('under ndots:5 both walk the search list first', () => {
    expect(SET.walk('web', 'db.internal', UP, 'musl').queries).toEqual(SET.walk('web', 'db.internal', UP, 'glibc').queries);
  });
});

describe('NodeLocal DNSCache', () => {
  const S = setup(REDIS + deployment('worker', 'cache'), { clusterDNS: ['169.254.20.10'], nodeLocalDNS: '169.254.20.10' });

  test('the cache address is its own kind of server', () => {
    expect(serverKindOf('169.254.20.10', S.model.cluster)).toBe('node-local-dns');
    expect(serverKindOf('192.168.10.2', S.model.cluster)).toBe('node-resolver');
    expect(serverKindOf('8.8.8.8', S.model.cluster)).toBe('other');
  });

  test('with cluster DNS up the cache answers the cluster zone from the records', () => {
    const r = S.walk('worker', 'redis');
    expect(r.steps[0]).toMatchObject({ server: '169.254.20.10', serverKind: 'node-local-dns', outcome: 'answer' });
  });

  test('with cluster DNS down the cache answers SERVFAIL in the zone, and names outside it still resolve through the cache', () => {
    const inZone = S.walk('worker', 'redis', DOWN);
    expect(inZone.steps[0]).toMatchObject({ serverKind: 'node-local-dns', outcome: 'servfail' });
    expect(inZone.steps[0]!.why).toContain('forwards the cluster zone to cluster DNS, which is down');
    const external = S.walk('worker', 'github.com.', DOWN);
    expect(external.resolved).toBe(true);
    expect(external.summary).toContain('(the NodeLocal DNSCache)');
  });
});

/** glibc's search and send loops (resolv/res_query.c#__res_context_search, res_send.c#send_dg). */
describe('glibc details', () => {
  test('glibc asks the second nameserver after one per-server timeout (round robin per attempt), not after timeout × attempts', () => {
    const S = setup(deployment('mixed', 'shop', '\n      dnsPolicy: None\n      dnsConfig: {nameservers: [10.96.0.10, 1.1.1.1]}'));
    expect(S.walk('mixed', 'github.com', SILENT).waitedSeconds).toBe(5);
  });

  test('after a timeout ends the search loop, glibc still asks the name as written ("try the input name below")', () => {
    const r = SET.walk('worker', 'redis', SILENT);
    expect(r.steps.map((s) => s.query)).toEqual(['redis.cache.svc.cluster.local', 'redis']);
  });

  test('a timeout on the as-written query (dots >= ndots) does not end the lookup: glibc goes on to the search list', () => {
    const S = setup(deployment('mixed', 'shop', '\n      dnsPolicy: None\n      dnsConfig: {nameservers: [10.96.0.10], searches: [corp.example], options: [{name: ndots, value: "1"}]}'));
    expect(S.walk('mixed', 'db.internal', SILENT).steps.map((s) => s.query)).toEqual(['db.internal', 'db.internal.corp.example']);
  });

  test('through a NodeLocal DNSCache an unqualified external name survives an outage (the cache answers SERVFAIL in the zone; glibc moves on)', () => {
    const S = setup(deployment('worker', 'cache'), { clusterDNS: ['169.254.20.10'], nodeLocalDNS: '169.254.20.10' });
    expect(S.walk('worker', 'github.com', DOWN).resolved).toBe(true);
  });
});
