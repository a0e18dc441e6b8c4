import { describe, expect, test } from 'vitest';
import type { Cluster } from '../../model/cluster.js';
import { modelOf } from '../../testing/model.js';
import { clusterRecords } from '../dns/records.js';
import { simulations } from '../simulations.js';
import { serviceViewsOf } from './service-view.js';
import type { ServiceView } from './types.js';

const service = (name: string, spec: string, namespace = 'shop'): string => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec.split('\n').map((l) => `  ${l}`).join('\n')}
`;

function viewsOf(source: string, cluster: Partial<Cluster> = {}): ServiceView[] {
  const model = modelOf(source, cluster);
  return serviceViewsOf(model.objects, model.cluster, model.duplicates);
}

const one = (spec: string, cluster: Partial<Cluster> = {}): ServiceView => viewsOf(service('web', spec), cluster)[0]!;
const inRange = (n: number | undefined): boolean => n !== undefined && n >= 30000 && n <= 32767;

describe('defaulting (DEF-6, SetDefaults_Service)', () => {
  const v = one('selector: {app: web}\nports: [{port: 80}]');
  test('type ClusterIP, traffic policies Cluster, no session affinity with the 10800 s timeout', () => {
    expect([v.type, v.headless, v.externalTrafficPolicy, v.internalTrafficPolicy, v.sessionAffinity, v.sessionAffinityTimeout])
      .toEqual(['ClusterIP', false, 'Cluster', 'Cluster', 'None', 10800]);
  });
  test('a port: protocol TCP, targetPort the port, no nodePort on a ClusterIP Service', () => {
    expect(v.ports).toEqual([{
      index: 0, name: '', protocol: 'TCP', port: 80, targetPort: 80, nodePortStandIn: false, nodePortWritten: undefined, targetPortWritten: false,
      raw: { port: 80 },
    }]);
  });
  test('the selector as a string map; a stand-in clusterIP in the service range', () => {
    expect(v.selector).toEqual({ app: 'web' });
    expect(v.clusterIPStandIn).toBe(true);
    expect(v.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(['10.96.0.1', '10.96.0.10']).not.toContain(v.clusterIP);
  });
  test('targetPort 0 and "" default to the port; a number or a name is kept as written', () => {
    const ports = one('ports: [{name: a, port: 80, targetPort: 0}, {name: b, port: 81, targetPort: ""}, {name: c, port: 82, targetPort: 8082}, {name: d, port: 83, targetPort: http}]').ports;
    expect(ports.map((p) => [p.targetPort, p.targetPortWritten])).toEqual([[80, false], [81, false], [8082, true], ['http', true]]);
  });
  test('ClientIP affinity keeps a written timeout', () => {
    const c = one('sessionAffinity: ClientIP\nsessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\nports: [{port: 80}]');
    expect([c.sessionAffinity, c.sessionAffinityTimeout]).toEqual(['ClientIP', 60]);
  });
  test('Local traffic policies as written; a misspelt value reads as Cluster and stays in spec', () => {
    const l = one('type: NodePort\nexternalTrafficPolicy: Local\ninternalTrafficPolicy: Local\nports: [{port: 80}]');
    expect([l.externalTrafficPolicy, l.internalTrafficPolicy]).toEqual(['Local', 'Local']);
    const bad = one('type: NodePort\nexternalTrafficPolicy: local\nports: [{port: 80}]');
    expect(bad.externalTrafficPolicy).toBe('Cluster');
    expect(bad.spec?.externalTrafficPolicy).toBe('local');
  });
  test('an unknown type is read as ClusterIP', () => {
    expect(one('type: Nodeport\nports: [{port: 80}]').type).toBe('ClusterIP');
  });
});

describe('ports the API server rejects do not crash and are left out', () => {
  test('a port that is not a number in 1-65535, an unknown protocol, a targetPort of the wrong kind', () => {
    const v = one('ports: [{port: http}, {port: 80.5}, {port: 0}, {port: 70000}, {port: 81, protocol: tcp}, {port: 82, targetPort: 8.5}, {port: 83, targetPort: [1]}, {port: 84, protocol: UDP}]');
    expect(v.ports.map((p) => [p.index, p.port, p.protocol])).toEqual([[7, 84, 'UDP']]);
  });
  test('no spec at all', () => {
    const v = viewsOf('apiVersion: v1\nkind: Service\nmetadata: {name: bare}\n')[0]!;
    expect([v.namespace, v.type, v.ports, v.selector]).toEqual(['default', 'ClusterIP', [], undefined]);
  });
});

describe('clusterIPs agree with cluster DNS', () => {
  const source = service('web', 'selector: {app: web}\nports: [{port: 80}]') + service('db', 'clusterIP: 10.96.100.100\nports: [{port: 5432}]')
    + service('api', 'ports: [{port: 80}]', 'Other');
  test('written as written, stand-ins equal to the A records', () => {
    const model = modelOf(source);
    const views = serviceViewsOf(model.objects, model.cluster);
    const records = clusterRecords(model.objects, simulations(model).placement(), model.cluster);
    expect(views.map((v) => [v.name, v.clusterIPStandIn])).toEqual([['web', true], ['db', false], ['api', true]]);
    expect(views[1]!.clusterIP).toBe('10.96.100.100');
    for (const v of views) {
      expect(records.lookup(`${v.name}.${v.namespace}.svc.cluster.local`, 'A').map((r) => r.value)).toEqual([v.clusterIP]);
    }
  });
  test('headless and ExternalName Services have no clusterIP', () => {
    const [h, x] = viewsOf(service('h', 'clusterIP: None\nports: [{port: 80}]') + service('x', 'type: ExternalName\nexternalName: example.com'));
    expect([h!.headless, h!.clusterIP, x!.type, x!.headless, x!.clusterIP]).toEqual([true, undefined, 'ExternalName', false, undefined]);
  });
  test('no usable service CIDR: no clusterIP', () => {
    expect(one('ports: [{port: 80}]', { serviceCIDRs: [] }).clusterIP).toBeUndefined();
  });
});

describe('stand-in nodePorts and healthCheckNodePort', () => {
  const nodePort = (extra = ''): string => service('web', `type: NodePort\nports: [{port: 80}]${extra}`);
  test('a NodePort Service gets a deterministic stand-in inside the range', () => {
    const a = viewsOf(nodePort())[0]!.ports[0]!;
    const b = viewsOf(nodePort())[0]!.ports[0]!;
    expect(a.nodePortStandIn).toBe(true);
    expect(inRange(a.nodePort)).toBe(true);
    expect(b.nodePort).toBe(a.nodePort);
  });
  test('the cluster\'s range is used', () => {
    const p = viewsOf(nodePort(), { nodePortRange: { min: 20000, max: 20009 } })[0]!.ports[0]!;
    expect(p.nodePort).toBeGreaterThanOrEqual(20000);
    expect(p.nodePort).toBeLessThanOrEqual(20009);
  });
  test('never the number another Service writes, even a later one: the next free number instead', () => {
    const alone = viewsOf(nodePort())[0]!.ports[0]!.nodePort!;
    const taken = service('other', `type: NodePort\nports: [{port: 90, nodePort: ${alone}}]`);
    const views = viewsOf(nodePort() + taken);
    expect(views[1]!.ports[0]!.nodePort).toBe(alone);
    expect(views[0]!.ports[0]!.nodePort).toBe(alone === 32767 ? 30000 : alone + 1);
  });
  test('two stand-ins never collide: a one-port range gives the second Service none', () => {
    const views = viewsOf(nodePort() + service('b', 'type: NodePort\nports: [{port: 80}]'), { nodePortRange: { min: 30000, max: 30000 } });
    expect(views.map((v) => v.ports[0]!.nodePort)).toEqual([30000, undefined]);
  });
  test('53/TCP and 53/UDP share one nodePort (initNodePorts keys by port number); a written one is shared', () => {
    const v = one('type: NodePort\nports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53}]');
    expect(v.ports[0]!.nodePort).toBe(v.ports[1]!.nodePort);
    expect(v.ports.map((p) => p.nodePortStandIn)).toEqual([true, true]);
    const w = one('type: NodePort\nports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, nodePort: 30053}]');
    expect(w.ports.map((p) => [p.nodePort, p.nodePortStandIn])).toEqual([[30053, false], [30053, false]]);
  });
  test('LoadBalancer: nodePorts unless allocateLoadBalancerNodePorts is false, where only written ones count', () => {
    expect(inRange(one('type: LoadBalancer\nports: [{port: 80}]').ports[0]!.nodePort)).toBe(true);
    const off = one('type: LoadBalancer\nallocateLoadBalancerNodePorts: false\nports: [{port: 80}, {name: b, port: 81, nodePort: 30081}]');
    expect(off.ports.map((p) => p.nodePort)).toEqual([undefined, 30081]);
  });
  test('a written nodePort stays visible as written, also when it is not a number', () => {
    const v = one('type: NodePort\nports: [{port: 80, nodePort: "30080"}, {name: b, port: 81, nodePort: 8081}]');
    expect(v.ports.map((p) => [p.nodePort, p.nodePortWritten])).toEqual([[undefined, '30080'], [8081, 8081]]);
  });
  test('LoadBalancer with Local gets a healthCheckNodePort stand-in apart from its nodePorts (KP-11)', () => {
    const v = one('type: LoadBalancer\nexternalTrafficPolicy: Local\nports: [{port: 80}]');
    expect(v.healthCheckNodePortStandIn).toBe(true);
    expect(inRange(v.healthCheckNodePort)).toBe(true);
    expect(v.healthCheckNodePort).not.toBe(v.ports[0]!.nodePort);
    const w = one('type: LoadBalancer\nexternalTrafficPolicy: Local\nhealthCheckNodePort: 30999\nports: [{port: 80}]');
    expect([w.healthCheckNodePort, w.healthCheckNodePortStandIn]).toEqual([30999, false]);
    expect(one('type: NodePort\nexternalTrafficPolicy: Local\nports: [{port: 80}]').healthCheckNodePort).toBeUndefined();
  });
});

describe('which objects', () => {
  test('only core v1 Services, duplicates left out when given', () => {
    const source = service('web', 'ports: [{port: 80}]') + service('web', 'ports: [{port: 81}]')
      + '---\napiVersion: example.com/v1\nkind: Service\nmetadata: {name: custom}\n';
    const model = modelOf(source);
    expect(serviceViewsOf(model.objects, model.cluster, model.duplicates).map((v) => v.ports[0]!.port)).toEqual([80]);
    expect(serviceViewsOf(model.objects, model.cluster).map((v) => v.ports[0]!.port)).toEqual([80, 81]);
  });
  test('LoadBalancer addresses: status ingress IPs, then spec.loadBalancerIP', () => {
    const v = viewsOf(`${service('lb', 'type: LoadBalancer\nloadBalancerIP: 203.0.113.9\nexternalIPs: [198.51.100.1]\nloadBalancerSourceRanges: [" 10.0.0.0/8 "]\nports: [{port: 80}]')}status: {loadBalancer: {ingress: [{ip: 203.0.113.5}, {hostname: lb.example.com}]}}\n`)[0]!;
    expect([v.loadBalancerIPs, v.externalIPs, v.loadBalancerSourceRanges]).toEqual([['203.0.113.5', '203.0.113.9'], ['198.51.100.1'], ['10.0.0.0/8']]);
  });
});
