import { describe, expect, it } from 'vitest';
import type { Cluster } from '../model/cluster.js';
import { clusterRecords } from '../sim/dns/records.js';
import { simulations } from '../sim/simulations.js';
import { modelOf } from '../testing/model.js';
import { addressesOf, clusterDnsmasqConfig, clusterDnsPods, dnsRow, planLabDns, safeDnsmasqLine, type DnsObservation, type DnsProbeCase, type LabDnsPlan } from './dns-plan.js';
import { LAB_NS_RE } from './exec.js';
import { planLab, type LabPlan } from './plan.js';

const WEB = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: x, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
`;

const hostNetPod = (name: string, node: string, dnsPolicy?: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: ${node}
  hostNetwork: true
  ${dnsPolicy ? `dnsPolicy: ${dnsPolicy}` : ''}
  containers: [{name: c, image: x}]
`;

/** A kube-dns Service at the clusterDNS address, with CoreDNS-like pods behind it (or none). */
const kubeDns = (replicas: number, targetPort = 53): string => `
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec:
  clusterIP: 10.96.0.10
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: ${targetPort}}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: ${targetPort}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      dnsPolicy: Default
      containers: [{name: coredns, image: x, ports: [{containerPort: ${targetPort}, protocol: UDP}]}]
`;

function build(yaml: string, cluster: Partial<Cluster> = {}): { plan: LabPlan; dns: LabDnsPlan; pods: string[] } {
  const model = modelOf(yaml, cluster);
  const sims = simulations(model);
  const r = planLab('t1', model, sims);
  if (!r.ok) throw new Error(r.problems.join(' '));
  return { plan: r.plan, dns: planLabDns(r.plan, model, sims), pods: clusterDnsPods(r.plan, model, sims) };
}

const where = (d: LabDnsPlan): string[] => d.servers.map((s) => `${s.role} ${s.ns} ${s.listen.join(',')}:${s.port}`);

describe('planLabDns: which dnsmasq runs where', () => {
  const cases: { name: string; yaml: string; cluster?: Partial<Cluster>; mode: LabDnsPlan['clusterDnsMode']; servers: string[]; fabricAddrs: string[]; dnsPods: number }[] = [
    {
      name: 'no kube-dns Service: cluster DNS in the fabric at the clusterDNS address',
      yaml: WEB, mode: 'fabric', dnsPods: 0,
      servers: ['upstream hnlab-t1-fab 192.168.10.2:53', 'cluster hnlab-t1-fab 10.96.0.10:53'],
      fabricAddrs: ['192.168.10.2', '10.96.0.10'],
    },
    {
      name: 'a kube-dns Service with two endpoints: dnsmasq in both endpoint pods',
      yaml: `${WEB}\n---\n${kubeDns(2)}`, mode: 'pods', dnsPods: 2,
      servers: ['upstream hnlab-t1-fab 192.168.10.2:53', 'cluster hnlab-t1-worker-1-p2 10.244.1.3:53', 'cluster hnlab-t1-worker-3-p1 10.244.3.2:53'],
      fabricAddrs: ['192.168.10.2'],
    },
    {
      name: 'the endpoint port is the Service\'s targetPort',
      yaml: kubeDns(1, 1053), mode: 'pods', dnsPods: 1,
      servers: ['upstream hnlab-t1-fab 192.168.10.2:53', 'cluster hnlab-t1-worker-1-p1 10.244.1.2:1053'],
      fabricAddrs: ['192.168.10.2'],
    },
    {
      name: 'a pod naming its own outside resolver (dnsPolicy None): the upstream answers there too',
      yaml: `${WEB}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: custom}\nspec:\n  dnsPolicy: None\n  dnsConfig: {nameservers: [192.0.2.1]}\n  containers: [{name: c, image: x}]\n`,
      mode: 'fabric', dnsPods: 0,
      servers: ['upstream hnlab-t1-fab 192.168.10.2,192.0.2.1:53', 'cluster hnlab-t1-fab 10.96.0.10:53'],
      fabricAddrs: ['192.168.10.2', '192.0.2.1', '10.96.0.10'],
    },
    {
      name: 'a kube-dns Service without endpoints: kube-proxy rejects, no cluster DNS',
      yaml: `${WEB}\n---\n${kubeDns(0)}`, mode: 'rejected', dnsPods: 0,
      servers: ['upstream hnlab-t1-fab 192.168.10.2:53'], fabricAddrs: ['192.168.10.2'],
    },
    {
      name: 'no clusterDNS: no cluster DNS at all',
      yaml: WEB, cluster: { clusterDNS: [] }, mode: 'none', dnsPods: 0,
      servers: ['upstream hnlab-t1-fab 192.168.10.2:53'], fabricAddrs: ['192.168.10.2'],
    },
    {
      name: 'the nodes\' nameserver is the fabric gateway, which already has its address',
      yaml: WEB, cluster: { resolvConf: { path: '/etc/resolv.conf', content: 'nameserver 192.168.10.1\nnameserver 8.8.8.8\n' } }, mode: 'fabric', dnsPods: 0,
      servers: ['upstream hnlab-t1-fab 192.168.10.1,8.8.8.8:53', 'cluster hnlab-t1-fab 10.96.0.10:53'],
      fabricAddrs: ['8.8.8.8', '10.96.0.10'],
    },
    {
      name: 'a loopback stub resolver on the nodes: no upstream',
      yaml: WEB, cluster: { resolvConf: { path: '/etc/resolv.conf', content: 'nameserver 127.0.0.53\n' } }, mode: 'fabric', dnsPods: 0,
      servers: ['cluster hnlab-t1-fab 10.96.0.10:53'], fabricAddrs: ['10.96.0.10'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { dns, pods } = build(c.yaml, c.cluster);
      expect(dns.clusterDnsMode).toBe(c.mode);
      expect(where(dns)).toEqual(c.servers);
      expect(dns.fabricLines.filter((l) => l.startsWith('addr add')).map((l) => l.split(' ')[2]!.replace('/32', ''))).toEqual(c.fabricAddrs);
      expect(pods).toHaveLength(c.dnsPods);
      expect(dns.servers.filter((s) => s.pod !== undefined).map((s) => s.pod).sort()).toEqual(pods.slice().sort());
    });
  }

  it('routes answers from the resolvers\' addresses to the pods, and nothing else', () => {
    const { dns } = build(WEB);
    expect(dns.fabricLines.filter((l) => !l.startsWith('addr add'))).toEqual([
      'rule add from 192.168.10.2 lookup 53 priority 1000',
      'rule add from 10.96.0.10 lookup 53 priority 1001',
      'route add 10.244.0.0/24 via 192.168.10.10 table 53',
      'route add 10.244.1.0/24 via 192.168.10.11 table 53',
      'route add 10.244.2.0/24 via 192.168.10.12 table 53',
      'route add 10.244.3.0/24 via 192.168.10.13 table 53',
    ]);
  });

  it('lifts the ICMP rate limit where a stopped cluster DNS answers, and says why the scenarios fit', () => {
    expect(build(WEB).dns.icmpNamespaces).toEqual(['hnlab-t1-fab']);
    const pods = build(`${WEB}\n---\n${kubeDns(2)}`).dns;
    expect(pods.icmpNamespaces).toEqual(['hnlab-t1-worker-1-p2', 'hnlab-t1-worker-3-p1']);
    expect(pods.scenario).toEqual({ clusterDNS: 'up' });
    expect(pods.outageScenario).toEqual({ clusterDNS: 'down' });
    expect(build(`${WEB}\n---\n${kubeDns(0)}`).dns.scenario).toEqual({ clusterDNS: 'down' });
  });

  it('does not probe from a pod that is itself cluster DNS (the Service would hairpin to it)', () => {
    const { dns } = build(`${WEB}\n---\n${kubeDns(1)}`);
    expect(dns.probes.some((p) => p.pod.includes('coredns'))).toBe(false);
    expect(dns.notes.some((n) => n.includes('runs cluster DNS itself'))).toBe(true);
  });
});

describe('planLabDns: what cluster DNS serves', () => {
  const HEADLESS = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: c, image: x, ports: [{name: pg, containerPort: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: alias}
spec: {type: ExternalName, externalName: web.default.svc.cluster.local}
---
apiVersion: v1
kind: Service
metadata: {name: outside}
spec: {type: ExternalName, externalName: db.example.com}
`;
  const model = modelOf(`${WEB}\n---\n${HEADLESS}`);
  const sims = simulations(model);
  const records = clusterRecords(model.objects, sims.placement(), model.cluster);
  const cfg = clusterDnsmasqConfig(records, ['192.168.10.2']);

  it('writes every A record as a hosts line, one per address of a headless Service', () => {
    const ip = (pod: string): string => sims.running().find((p) => p.name.includes(pod))!.ip;
    const webIp = sims.services().find((v) => v.name === 'web')!.clusterIP!;
    expect(cfg.hosts.slice().sort()).toEqual([
      '10.96.0.1 kubernetes.default.svc.cluster.local',
      '10.96.0.10 kube-dns.kube-system.svc.cluster.local',
      `${ip('db (pod 1 of 2)')} db.default.svc.cluster.local`,
      `${ip('db (pod 1 of 2)')} db-0.db.default.svc.cluster.local`,
      `${ip('db (pod 2 of 2)')} db.default.svc.cluster.local`,
      `${ip('db (pod 2 of 2)')} db-1.db.default.svc.cluster.local`,
      `${webIp} web.default.svc.cluster.local`,
    ].sort());
  });

  it('writes SRV, TXT and in-cluster CNAMEs as dnsmasq options, is authoritative for the zone and forwards the rest', () => {
    expect(cfg.conf.slice().sort()).toEqual([
      'srv-host=_pg._tcp.db.default.svc.cluster.local,db-0.db.default.svc.cluster.local,5432,0,50',
      'srv-host=_pg._tcp.db.default.svc.cluster.local,db-1.db.default.svc.cluster.local,5432,0,50',
      'srv-host=_http._tcp.web.default.svc.cluster.local,web.default.svc.cluster.local,80,0,100',
      'txt-record=dns-version.cluster.local,1.1.0',
      'cname=alias.default.svc.cluster.local,web.default.svc.cluster.local',
      'local=/cluster.local/',
      'server=192.168.10.2',
    ].sort());
    expect(cfg.notes).toEqual([expect.stringContaining('CNAME to db.example.com, which dnsmasq cannot serve')]);
  });

  it('probes the in-cluster alias but not the CNAME it cannot serve', () => {
    const r = planLab('t1', model, sims);
    if (!r.ok) throw new Error(r.problems.join(' '));
    const names = new Set(planLabDns(r.plan, model, sims).probes.map((p) => p.name));
    expect(names.has('alias.default')).toBe(true);
    expect(names.has('outside.default')).toBe(false);
  });
});

describe('planLabDns: resolv.conf per namespace and hostNetwork aliases', () => {
  const yaml = [
    WEB,
    hostNetPod('debug', 'worker-1'),
    hostNetPod('agent', 'worker-1', 'ClusterFirstWithHostNet'),
    hostNetPod('plain', 'worker-2', 'Default'),
    `
apiVersion: v1
kind: Pod
metadata: {name: custom, namespace: shop}
spec:
  nodeName: worker-3
  dnsPolicy: None
  dnsConfig: {nameservers: [192.168.10.2], searches: [shop.example], options: [{name: ndots, value: "2"}]}
  containers: [{name: c, image: x}]
`,
  ].join('\n---\n');
  const { plan, dns } = build(yaml);
  const NODE = 'search corp.example\nnameserver 192.168.10.2\noptions edns0 timeout:2\n';
  const clusterFirst = (ns: string): string => `search ${ns}.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n`;
  const content = (owner: string): string | undefined => dns.resolvConfs.find((f) => f.owner.includes(owner))?.content;

  const table: [owner: string, expected: string][] = [
    ['node worker-1', NODE],
    ['Deployment default/web (pod 1', clusterFirst('default')],
    ['Pod default/debug', NODE], // hostNetwork without dnsPolicy: ClusterFirst means the node's file (KDNS-3)
    ['Pod default/agent', clusterFirst('default')], // ClusterFirstWithHostNet
    ['Pod default/plain', NODE], // Default
    ['Pod shop/custom', 'search shop.example\nnameserver 192.168.10.2\noptions ndots:2\n'], // None + dnsConfig
  ];
  for (const [owner, expected] of table) {
    it(`writes the kubelet's resolv.conf for ${owner}`, () => expect(content(owner)).toBe(expected));
  }

  it('names an alias per hostNetwork pod, valid, unique and apart from the plan\'s namespaces', () => {
    expect(dns.aliases.map((a) => [a.alias, a.pod])).toEqual([
      ['hnlab-t1-worker-1-h1', 'Pod default/debug'],
      ['hnlab-t1-worker-1-h2', 'Pod default/agent'],
      ['hnlab-t1-worker-2-h1', 'Pod default/plain'],
    ]);
    const names = dns.aliases.map((a) => a.alias);
    for (const n of names) expect(LAB_NS_RE.test(n)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => plan.namespaces.includes(n))).toEqual([]);
    for (const a of dns.aliases) expect(dns.resolvConfs.filter((f) => f.ns === a.alias)).toHaveLength(1);
  });

  it('predicts each probe with the pod\'s own resolv.conf', () => {
    const at = (pod: string, name: string): DnsProbeCase => dns.probes.find((p) => p.pod.includes(pod) && p.name === name)!;
    expect(at('Pod default/agent', 'web').predicted.resolved).toBe(true);
    expect(at('Pod default/debug', 'web.default').predicted.resolved).toBe(false);
    expect(at('Pod default/debug', 'api.upstream.test.').predicted.resolved).toBe(true);
    expect(at('Pod default/debug', 'no-such-name').predicted.resolved).toBe(false);
    // dnsPolicy None asks the upstream directly: cluster names never resolve there.
    expect(at('Pod shop/custom', 'web.default.svc.cluster.local').predicted.resolved).toBe(false);
    expect(dns.probes.every((p) => p.dig === (p.kind === 'cluster'))).toBe(true);
  });

  it('plans the seed 001 outage: a namespace pod loses its names, the node debug pod keeps external ones', () => {
    expect(dns.outage.map((c) => [c.pod, c.name, c.predicted.resolved])).toEqual([
      ['Deployment default/web (pod 1 of 2)', 'web.default', false],
      ['Deployment default/web (pod 1 of 2)', 'api.upstream.test.', false],
      ['Pod default/debug', 'api.upstream.test.', true],
      ['Pod default/debug', 'web.default.svc.cluster.local', false],
    ]);
    expect(dns.outage[0]!.predicted.waitedSeconds).toBe(0);
  });
});

describe('dnsRow: prediction against what the resolver saw', () => {
  const { dns } = build([WEB, hostNetPod('debug', 'worker-1')].join('\n---\n'));
  const probe = (name: string, pod = 'web'): DnsProbeCase => dns.probes.find((p) => p.name === name && p.pod.includes(pod))!;
  const webIp = probe('web').predicted.answers[0]!.value;
  const getent = (status: number | null, stdout = '', ms = 5): DnsObservation => ({ tool: 'getent', status, stdout, stderr: '', ms });
  const lines = (ip: string, name: string): string => `${ip}    STREAM ${name}\n${ip}    DGRAM  \n${ip}    RAW    \n`;

  const table: [what: string, c: DnsProbeCase, obs: DnsObservation, agree: boolean, observed: RegExp, outage?: boolean][] = [
    ['the predicted address', probe('web'), getent(0, lines(webIp, 'web.default.svc.cluster.local')), true, new RegExp(`^resolves to ${webIp.replace(/\./g, '\\.')}$`)],
    ['another address', probe('web'), getent(0, lines('10.96.99.99', 'web')), false, /^resolves to 10\.96\.99\.99$/],
    ['not found where it should resolve', probe('web'), getent(2), false, /^does not resolve \(getent exit 2\)$/],
    ['any outside address for an external name', probe('api.upstream.test.'), getent(0, lines('192.0.2.10', 'api.upstream.test')), true, /^resolves \(an address outside the cluster: 192\.0\.2\.10\)$/],
    ['NXDOMAIN as predicted', probe('no-such-name'), getent(2), true, /^does not resolve/],
    ['dig with nothing printed', probe('web.default', 'debug'), { tool: 'dig', status: 0, stdout: '', stderr: '', ms: 4 }, true, /^does not resolve \(dig exit 0\)$/],
    ['a lookup stopped at its time limit', probe('web'), getent(null, '', 15000), false, /^no answer: getent was stopped after 15000 ms$/],
  ];
  for (const [what, c, obs, agree, observed] of table) {
    it(`${agree ? 'agrees' : 'disagrees'}: ${what}`, () => {
      const row = dnsRow(c, obs);
      expect(row.agree).toBe(agree);
      expect(row.observed).toMatch(observed);
      expect(row.group).toBe('DNS');
      expect(row.subject).toBe(`${obs.tool === 'getent' ? 'getent ahostsv4' : 'dig +search +short'} ${c.name}`);
      expect(row.why).toBe(c.predicted.summary);
    });
  }

  it('in the outage, a failure that takes glibc\'s 5 s retry disagrees with "refused at once"', () => {
    const c = dns.outage[0]!;
    expect(dnsRow(c, getent(2, '', 8), { outage: true }).agree).toBe(true);
    const slow = dnsRow(c, getent(2, '', 5013), { outage: true, why: 'mechanism' });
    expect(slow).toMatchObject({ group: 'DNS outage', agree: false, predicted: 'fails (refused at once), in under a second' });
    expect(slow.observed).toBe('does not resolve (getent exit 2, 5013 ms) (hostnet predicts the failure within 1 s)');
    expect(slow.why).toMatch(/mechanism$/);
  });

  it('reads distinct IPv4 addresses from getent and dig output', () => {
    expect(addressesOf(`${lines('10.0.0.2', 'x')}${lines('10.0.0.1', '')}`)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(addressesOf('web.default.svc.cluster.local.\n10.96.0.5\n;; connection refused\n')).toEqual(['10.96.0.5']);
    expect(addressesOf('999.1.1.1 x\n')).toEqual([]);
  });
});

describe('planLabDns: manifests are untrusted', () => {
  it('leaves out a record whose name would add a line to dnsmasq\'s files, and says so', () => {
    const evil = `apiVersion: v1
kind: Service
metadata: {name: evil}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: "http\\ndumpfile=/tmp/pwned\\n#", port: 80}]
`;
    const { dns } = build(`${WEB}\n---\n${evil}`);
    const lines = dns.servers.flatMap((s) => [...s.conf, ...s.hosts]);
    expect(lines.filter((l) => l.includes('dumpfile'))).toEqual([]);
    expect(lines.every(safeDnsmasqLine)).toBe(true);
    expect(dns.notes.some((n) => n.includes('is not a plain DNS name, so the lab\'s cluster DNS leaves it out'))).toBe(true);
  });

  it('the last guard refuses a line break', () => {
    expect(safeDnsmasqLine('srv-host=_http._tcp.web.default.svc.cluster.local,web.default.svc.cluster.local,80,0,100')).toBe(true);
    expect(safeDnsmasqLine('local=/#/')).toBe(true);
    expect(safeDnsmasqLine('txt-record=a,b\ndumpfile=/tmp/x')).toBe(false);
  });
});
