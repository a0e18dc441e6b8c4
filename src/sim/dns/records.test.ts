import { describe, expect, test } from 'vitest';
import type { Cluster } from '../../model/cluster.js';
import { modelOf } from '../../testing/model.js';
import { yaml } from '../../testing/yaml.js';
import { simulations } from '../simulations.js';
import { inCIDR } from './addresses.js';
import { clusterRecords, endpointLabel, type DnsRecord } from './records.js';

function recordsOf(source: string, cluster: Partial<Cluster> = {}) {
  const model = modelOf(source, cluster);
  return clusterRecords(model.objects, simulations(model).placement(), model.cluster);
}

const values = (rs: readonly DnsRecord[]): string[] => rs.map((r) => r.value);

const service = (name: string, namespace: string, spec: string): string => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec.split('\n').map((l) => `  ${l}`).join('\n')}
`;

describe('built-in records (CDNS-1, every cluster)', () => {
  const r = recordsOf('');
  test('dns-version TXT 1.1.0', () => {
    expect(r.lookup('dns-version.cluster.local', 'TXT').map((x) => x.value)).toEqual(['1.1.0']);
  });
  test('kubernetes.default answers the first address of the service range', () => {
    expect(values(r.lookup('kubernetes.default.svc.cluster.local', 'A'))).toEqual(['10.96.0.1']);
  });
  test('kube-dns.kube-system answers the kubelet\'s clusterDNS', () => {
    const [rec] = r.lookup('kube-dns.kube-system.svc.cluster.local');
    expect(rec).toMatchObject({ type: 'A', value: '10.96.0.10', standIn: false });
  });
  test('with a NodeLocal DNSCache as the kubelet\'s clusterDNS, kube-dns is not given the link-local address', () => {
    const n = recordsOf('', { clusterDNS: ['169.254.20.10'], nodeLocalDNS: '169.254.20.10' });
    expect(n.lookup('kube-dns.kube-system.svc.cluster.local')).toEqual([]);
  });
  test('a kube-dns or kubernetes Service in the manifests answers once, with its own record', () => {
    const m = recordsOf(`${service('kube-dns', 'kube-system', 'clusterIP: 10.96.0.10\nselector: {k8s-app: kube-dns}\nports: [{name: dns, port: 53, protocol: UDP}]')}${service('kubernetes', 'default', 'clusterIP: 10.96.0.1\nports: [{name: https, port: 443}]')}`);
    expect(m.lookup('kube-dns.kube-system.svc.cluster.local', 'A').map((x) => [x.value, x.from])).toEqual([['10.96.0.10', 'Service kube-system/kube-dns']]);
    expect(m.lookup('kubernetes.default.svc.cluster.local', 'A').map((x) => [x.value, x.from])).toEqual([['10.96.0.1', 'Service default/kubernetes']]);
  });
  test('names are matched case-insensitively, with or without the trailing dot (CDNS-1)', () => {
    expect(values(r.lookup('KUBERNETES.Default.SVC.Cluster.Local.'))).toEqual(['10.96.0.1']);
  });
  test('the zone and what lies in it', () => {
    expect(r.zone).toBe('cluster.local');
    expect(r.inZone('x.y.svc.cluster.local')).toBe(true);
    expect(r.inZone('Cluster.Local.')).toBe(true);
    expect(r.inZone('notcluster.local')).toBe(false);
    expect(r.inZone('github.com')).toBe(false);
  });
  test('default and kube-system always count as Service namespaces', () => {
    expect([...r.serviceNamespaces].sort()).toEqual(['default', 'kube-system']);
  });
  test('an empty cluster domain: no zone, no built-in Service records', () => {
    const e = recordsOf('', { clusterDomain: '' });
    expect(e.inZone('kubernetes.default.svc')).toBe(false);
    expect(e.lookup('kubernetes.default.svc')).toEqual([]);
  });
});

describe('ClusterIP Services (CDNS-2)', () => {
  const r = recordsOf(
    service('web', 'shop', 'selector: {app: web}\nports: [{name: http, port: 80, targetPort: 8080}, {port: 9090}, {name: Metrics, port: 9100, protocol: UDP}]') +
    service('db', 'shop', 'clusterIP: 10.96.100.100\nports: [{port: 5432}]'),
  );
  test('an unwritten clusterIP gets a stand-in inside the service range, flagged as such', () => {
    const [a] = r.lookup('web.shop.svc.cluster.local', 'A');
    expect(a!.standIn).toBe(true);
    expect(inCIDR(a!.value, '10.96.0.0/12')).toBe(true);
    expect(['10.96.0.1', '10.96.0.10']).not.toContain(a!.value);
    expect(a!.from).toBe('Service shop/web');
  });
  test('a written clusterIP is used as written', () => {
    expect(r.lookup('db.shop.svc.cluster.local', 'A')).toEqual([
      { name: 'db.shop.svc.cluster.local', type: 'A', value: '10.96.100.100', from: 'Service shop/db', standIn: false },
    ]);
  });
  test('SRV only for named ports, with the Service port and the protocol, names lower-cased', () => {
    const srv = r.all().filter((x) => x.type === 'SRV');
    expect(srv.map((x) => [x.name, x.value, x.port])).toEqual([
      ['_http._tcp.web.shop.svc.cluster.local', 'web.shop.svc.cluster.local', 80],
      ['_metrics._udp.web.shop.svc.cluster.local', 'web.shop.svc.cluster.local', 9100],
    ]);
  });
  test('stand-in clusterIPs are deterministic', () => {
    const again = recordsOf(service('web', 'shop', 'selector: {app: web}\nports: [{port: 80}]'));
    expect(values(again.lookup('web.shop.svc.cluster.local'))).toEqual(values(r.lookup('web.shop.svc.cluster.local')));
  });
  test('a Service name in another namespace is not this one', () => {
    expect(r.lookup('web.other.svc.cluster.local')).toEqual([]);
  });
});

describe('headless Services (CDNS-3, CDNS-4, CDNS-8, EPS-3)', () => {
  const deployment = yaml`
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: shop}
    spec:
      replicas: 2
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api}}
        spec:
          containers: [{name: api, image: api}]
  `;
  const statefulSet = `---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: pg, image: postgres}]
`;
  const r = recordsOf(
    deployment + statefulSet +
    service('api', 'shop', 'clusterIP: None\nselector: {app: api}\nports: [{port: 80}]') +
    service('db', 'data', 'clusterIP: None\nselector: {app: db}\nports: [{name: pg, port: 5432, targetPort: 5432}]') +
    service('empty', 'shop', 'clusterIP: None\nselector: {app: nothing}\nports: [{port: 80}]'),
  );

  test('one A per running endpoint, pod IPs as stand-ins from the node podCIDRs', () => {
    const as = r.lookup('api.shop.svc.cluster.local', 'A');
    expect(as).toHaveLength(2);
    for (const a of as) {
      expect(a.standIn).toBe(true);
      expect(inCIDR(a.value, '10.244.0.0/16')).toBe(true);
      expect(a.from).toMatch(/^Service shop\/api endpoint Deployment shop\/api \(pod [12] of 2\)$/);
    }
    expect(new Set(values(as)).size).toBe(2);
  });

  test('an endpoint without hostname is named by its dashed IP (CDNS-4)', () => {
    for (const ip of values(r.lookup('api.shop.svc.cluster.local', 'A'))) {
      expect(values(r.lookup(`${endpointLabel(ip)}.api.shop.svc.cluster.local`, 'A'))).toEqual([ip]);
    }
  });

  test('StatefulSet pods are named <name>-<ordinal> under their serviceName (CDNS-8)', () => {
    const db0 = r.lookup('db-0.db.data.svc.cluster.local', 'A');
    const db1 = r.lookup('db-1.db.data.svc.cluster.local', 'A');
    expect(db0).toHaveLength(1);
    expect(db1).toHaveLength(1);
    expect(values(r.lookup('db.data.svc.cluster.local', 'A')).sort()).toEqual([db0[0]!.value, db1[0]!.value].sort());
  });

  test('SRV per endpoint and named port, targeting the endpoint name', () => {
    const srv = r.lookup('_pg._tcp.db.data.svc.cluster.local', 'SRV');
    expect(srv.map((s) => [s.value, s.port])).toEqual([
      ['db-0.db.data.svc.cluster.local', 5432],
      ['db-1.db.data.svc.cluster.local', 5432],
    ]);
  });

  test('no ready endpoint: no record, so NXDOMAIN', () => {
    expect(r.lookup('empty.shop.svc.cluster.local')).toEqual([]);
  });

  test('a pod with hostname and a subdomain naming the headless Service gets hostname.<svc> (EPS-3)', () => {
    const h = recordsOf(yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: shop, labels: {app: p}}
      spec:
        hostname: alpha
        subdomain: group
        containers: [{name: c, image: busybox}]
    ` + service('group', 'shop', 'clusterIP: None\nselector: {app: p}\nports: [{port: 80}]'));
    const [a] = h.lookup('alpha.group.shop.svc.cluster.local', 'A');
    expect(a).toBeDefined();
    expect(values(h.lookup('group.shop.svc.cluster.local'))).toEqual([a!.value]);
  });

  test('hostNetwork pods behind a headless Service answer their node IPs, named by dashed node IP (CDNS-10)', () => {
    const h = recordsOf(yaml`
      apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: agent, namespace: mon}
      spec:
        selector: {matchLabels: {app: agent}}
        template:
          metadata: {labels: {app: agent}}
          spec:
            hostNetwork: true
            containers: [{name: a, image: agent, ports: [{containerPort: 9100}]}]
    ` + service('agent', 'mon', 'clusterIP: None\nselector: {app: agent}\nports: [{name: metrics, port: 9100}]'));
    // The control-plane node is tainted NoSchedule, so the daemon runs on the three workers.
    expect(values(h.lookup('agent.mon.svc.cluster.local', 'A')).sort()).toEqual(['192.168.10.11', '192.168.10.12', '192.168.10.13']);
    expect(values(h.lookup('192-168-10-12.agent.mon.svc.cluster.local', 'A'))).toEqual(['192.168.10.12']);
    expect(h.lookup('_metrics._tcp.agent.mon.svc.cluster.local', 'SRV').map((s) => s.value)).toContain('192-168-10-11.agent.mon.svc.cluster.local');
  });
});

describe('ExternalName (CDNS-5) and pod names (CDNS-6)', () => {
  const r = recordsOf(service('github', 'shop', 'type: ExternalName\nexternalName: GitHub.COM.'));
  test('ExternalName answers a CNAME to the external name, lower-cased without the trailing dot', () => {
    expect(r.lookup('github.shop.svc.cluster.local')).toEqual([
      { name: 'github.shop.svc.cluster.local', type: 'CNAME', value: 'github.com', from: 'Service shop/github', standIn: false },
    ]);
    expect(r.lookup('github.shop.svc.cluster.local', 'A')).toEqual([]);
  });
  test('a-b-c-d.<ns>.pod.<zone> answers its IP (kubeadm Corefile: pods insecure)', () => {
    expect(r.lookup('10-244-1-5.shop.pod.cluster.local', 'A').map((x) => [x.value, x.standIn])).toEqual([['10.244.1.5', false]]);
    expect(values(r.lookup('10-244-1-5.ANY-NS.pod.Cluster.Local.'))).toEqual(['10.244.1.5']);
  });
  test('a malformed pod name answers nothing', () => {
    expect(r.lookup('999-1-1-1.shop.pod.cluster.local')).toEqual([]);
    expect(r.lookup('10-244-1.shop.pod.cluster.local')).toEqual([]);
    expect(r.lookup('10-244-1-5.pod.cluster.local')).toEqual([]);
  });
});

describe('endpointLabel (CDNS-4)', () => {
  test.for([
    ['10.244.1.5', '10-244-1-5'],
    ['fd00::1', 'fd00--1'],
    ['fd00::', 'fd00--0'],
  ] as const)('%s → %s', ([ip, label]) => {
    expect(endpointLabel(ip)).toBe(label);
  });
});

describe('IPv6 clusterIPs', () => {
  test('a written IPv6 clusterIP answers AAAA with that address (CDNS-2), not a stand-in A', () => {
    const r = recordsOf(service('v6', 'shop', 'clusterIP: fd00:10:96::a\nipFamilies: [IPv6]\nports: [{port: 80}]'));
    expect(r.lookup('v6.shop.svc.cluster.local').map((x) => [x.type, x.value, x.standIn])).toEqual([['AAAA', 'fd00:10:96::a', false]]);
  });
});

describe('headless SRV ports', () => {

  test('a headless SRV carries the endpoint port: a named targetPort resolves to the container port (CDNS-3, EndpointSlice ports)', () => {
    const r = recordsOf(yaml`
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: api, namespace: shop}
      spec:
        selector: {matchLabels: {app: api}}
        template:
          metadata: {labels: {app: api}}
          spec:
            containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]
    ` + service('api', 'shop', 'clusterIP: None\nselector: {app: api}\nports: [{name: web, port: 80, targetPort: http}]'));
    expect(r.lookup('_web._tcp.api.shop.svc.cluster.local', 'SRV').map((s) => s.port)).toEqual([8080]);
  });
});
