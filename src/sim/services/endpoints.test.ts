import { describe, expect, test } from 'vitest';
import type { Cluster } from '../../model/cluster.js';
import { modelOf, workerNode } from '../../testing/model.js';
import { clusterRecords } from '../dns/records.js';
import { simulations } from '../simulations.js';
import { endpointString, serviceEndpoints } from './endpoints.js';
import { runningPods } from './running-pods.js';
import { serviceViewsOf } from './service-view.js';
import type { ServiceEndpoints } from './types.js';

function endpointsOf(source: string, cluster: Partial<Cluster> = {}): ServiceEndpoints[] {
  const model = modelOf(source, cluster);
  return serviceEndpoints(serviceViewsOf(model.objects, model.cluster), runningPods(simulations(model).placement(), model.cluster));
}

const service = (name: string, spec: string, namespace = 'shop'): string => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec.split('\n').map((l) => `  ${l}`).join('\n')}
`;

/** A Deployment whose pod spec is the given lines (indented under `spec:`). */
const deployment = (name: string, replicas: number, podSpec: string, labels = `app: ${name}`, namespace = 'shop'): string => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {${labels}}}
  template:
    metadata: {labels: {${labels}}}
    spec:
${podSpec.split('\n').map((l) => `      ${l}`).join('\n')}
`;

/** `ip:port` per service port, in order. */
const table = (e: ServiceEndpoints): string[][] => e.ports.map((p) => p.endpoints.map((x) => endpointString(x.ip, x.port)));

describe('selection (EPS-1, endpointslice_controller.go#syncService)', () => {
  const pods = deployment('web', 2, 'containers: [{name: c, image: web}]');
  test('same namespace and matching labels; every placed pod is a ready endpoint', () => {
    const [e] = endpointsOf(pods + service('web', 'selector: {app: web}\nports: [{port: 80, targetPort: 8080}]'));
    expect(e!.selected.map((p) => p.name)).toEqual(['Deployment shop/web (pod 1 of 2)', 'Deployment shop/web (pod 2 of 2)']);
    expect(table(e!)).toEqual([['10.244.1.2:8080', '10.244.2.2:8080']]);
    expect(e!.ports[0]!.endpoints.map((x) => [x.nodeName, x.ready, x.pods.length])).toEqual([['worker-1', true, 1], ['worker-2', true, 1]]);
  });
  test('a Service in another namespace, a selector that does not match, none, an empty one, ExternalName: nothing', () => {
    const es = endpointsOf(pods
      + service('web', 'selector: {app: web}\nports: [{port: 80}]', 'other')
      + service('b', 'selector: {app: web, tier: front}\nports: [{port: 80}]')
      + service('c', 'ports: [{port: 80}]')
      + service('d', 'selector: {}\nports: [{port: 80}]')
      + service('e', 'type: ExternalName\nexternalName: example.com\nselector: {app: web}\nports: [{port: 80}]'));
    expect(es.map((e) => [e.service.name, e.selected.length, e.ports[0]!.endpoints.length])).toEqual([
      ['web', 0, 0], ['b', 0, 0], ['c', 0, 0], ['d', 0, 0], ['e', 0, 0],
    ]);
  });
  test('a headless Service without ports still selects its pods', () => {
    const [e] = endpointsOf(pods + service('web', 'clusterIP: None\nselector: {app: web}'));
    expect([e!.selected.length, e!.ports]).toEqual([2, []]);
  });
});

describe('ports (FindPort, KP-14)', () => {
  test('a numeric targetPort is used as is, declared or not', () => {
    const [e] = endpointsOf(deployment('web', 1, 'containers: [{name: c, image: web, ports: [{containerPort: 8080}]}]')
      + service('web', 'selector: {app: web}\nports: [{port: 80, targetPort: 9999}]'));
    expect(table(e!)).toEqual([['10.244.1.2:9999']]);
  });
  test('a named targetPort resolves per pod; pods without it go to unresolved', () => {
    const [e] = endpointsOf(
      deployment('a', 1, 'containers: [{name: c, image: web, ports: [{name: http, containerPort: 8080}]}]', 'app: web, v: a')
      + deployment('b', 1, 'containers: [{name: c, image: web, ports: [{name: http, containerPort: 9090}]}]', 'app: web, v: b')
      + deployment('c', 1, 'containers: [{name: c, image: web, ports: [{name: web, containerPort: 8080}]}]', 'app: web, v: c')
      + service('web', 'selector: {app: web}\nports: [{port: 80, targetPort: http}]'));
    expect(table(e!)).toEqual([['10.244.1.2:8080', '10.244.2.2:9090']]);
    expect(e!.ports[0]!.unresolved.map((p) => p.name)).toEqual(['Deployment shop/c (pod 1 of 1)']);
  });
  test('the protocol must match: a UDP "dns" port does not serve a TCP Service port', () => {
    const [e] = endpointsOf(deployment('dns', 1, 'containers: [{name: c, image: dns, ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53}]}]')
      + service('dns', 'selector: {app: dns}\nports: [{name: a, port: 53, protocol: UDP, targetPort: dns}, {name: b, port: 53, targetPort: dns}, {name: c, port: 54, targetPort: dns-tcp}]'));
    expect(table(e!)).toEqual([['10.244.1.2:53'], [], ['10.244.1.2:53']]);
  });
  test('containers first, then sidecar init containers; plain init containers and ephemeral containers never', () => {
    const [e] = endpointsOf(deployment('web', 1, [
      'initContainers:',
      '  - {name: setup, image: x, ports: [{name: init, containerPort: 7000}]}',
      '  - {name: proxy, image: x, restartPolicy: Always, ports: [{name: http, containerPort: 7001}, {name: side, containerPort: 7002}]}',
      'containers: [{name: c, image: web, ports: [{name: http, containerPort: 8080}]}]',
    ].join('\n')) + service('web', 'selector: {app: web}\nports: [{name: a, port: 80, targetPort: http}, {name: b, port: 81, targetPort: side}, {name: c, port: 82, targetPort: init}]'));
    expect(table(e!)).toEqual([['10.244.1.2:8080'], ['10.244.1.2:7002'], []]);
  });
});

describe('hostNetwork pods (KP-14, RT-6)', () => {
  const oneNode = { nodes: [workerNode('n1', { addresses: [{ type: 'InternalIP', address: '192.168.0.7' }], podCIDR: '10.1.1.0/24' })] };
  test('two hostNetwork pods on one node collapse into one ip:port endpoint that keeps both pods', () => {
    const [e] = endpointsOf(deployment('agent', 2, 'hostNetwork: true\ncontainers: [{name: c, image: agent}]')
      + service('agent', 'selector: {app: agent}\nports: [{port: 9100}]'), oneNode);
    expect(table(e!)).toEqual([['192.168.0.7:9100']]);
    expect(e!.selected).toHaveLength(2);
    expect(e!.ports[0]!.endpoints[0]!.pods.map((p) => p.name)).toEqual(['Deployment shop/agent (pod 1 of 2)', 'Deployment shop/agent (pod 2 of 2)']);
  });
});

describe('order (endpointslicecache.go: sorted by the ip:port string)', () => {
  test('string order, not numeric: .10 and .11 come before .2', () => {
    const oneNode = { nodes: [workerNode('n1', { podCIDR: '10.1.1.0/24' })] };
    const [e] = endpointsOf(deployment('web', 11, 'containers: [{name: c, image: web}]') + service('web', 'selector: {app: web}\nports: [{port: 80}]'), oneNode);
    expect(table(e!)).toEqual([[
      '10.1.1.10:80', '10.1.1.11:80', '10.1.1.12:80', '10.1.1.2:80', '10.1.1.3:80', '10.1.1.4:80', '10.1.1.5:80', '10.1.1.6:80', '10.1.1.7:80', '10.1.1.8:80', '10.1.1.9:80',
    ]]);
  });
  test('endpointString brackets IPv6 like net.JoinHostPort', () => {
    expect([endpointString('10.0.0.1', 80), endpointString('fd00::1', 80)]).toEqual(['10.0.0.1:80', '[fd00::1]:80']);
  });
});

describe('cluster DNS reads the same endpoints', () => {
  test('a headless Service answers the selected pods\' IPs and SRV ports the dataplane uses', () => {
    const source = deployment('web', 3, 'containers: [{name: c, image: web, ports: [{name: http, containerPort: 8080}]}]')
      + deployment('agent', 1, 'hostNetwork: true\ncontainers: [{name: c, image: agent, ports: [{name: http, containerPort: 9100}]}]', 'app: web, v: agent')
      + service('web', 'clusterIP: None\nselector: {app: web}\nports: [{name: web, port: 80, targetPort: http}]');
    const model = modelOf(source);
    const sims = simulations(model);
    const [e] = sims.endpoints();
    const records = clusterRecords(model.objects, sims.placement(), model.cluster);
    expect(records.lookup('web.shop.svc.cluster.local', 'A').map((r) => r.value)).toEqual(e!.selected.map((p) => p.ip));
    expect(records.lookup('_web._tcp.web.shop.svc.cluster.local', 'SRV').map((r) => r.port).sort()).toEqual(e!.ports[0]!.endpoints.map((x) => x.port).sort());
    expect(table(e!)).toEqual([['10.244.1.2:8080', '10.244.2.2:8080', '10.244.3.2:8080', '192.168.10.11:9100']]);
  });
});
