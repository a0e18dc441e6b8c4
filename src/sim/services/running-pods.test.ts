import { describe, expect, test } from 'vitest';
import type { Cluster } from '../../model/cluster.js';
import { modelOf, workerNode } from '../../testing/model.js';
import { simulations } from '../simulations.js';
import { runningPods } from './running-pods.js';

function runningOf(source: string, cluster: Partial<Cluster> = {}) {
  const model = modelOf(source, cluster);
  return runningPods(simulations(model).placement(), model.cluster);
}

const deployment = (name: string, replicas: number, extra = ''): string => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:${extra}
      containers: [{name: c, image: busybox}]
`;

describe('pod IPs', () => {
  test('stand-ins: the next address of each node\'s podCIDR from .2, in placement order', () => {
    const pods = runningOf(deployment('api', 3) + deployment('web', 4));
    expect(pods.map((p) => [p.name, p.node, p.ip, p.ipStandIn, p.hostNetwork])).toEqual([
      ['Deployment shop/api (pod 1 of 3)', 'worker-1', '10.244.1.2', true, false],
      ['Deployment shop/api (pod 2 of 3)', 'worker-2', '10.244.2.2', true, false],
      ['Deployment shop/api (pod 3 of 3)', 'worker-3', '10.244.3.2', true, false],
      ['Deployment shop/web (pod 1 of 4)', 'worker-1', '10.244.1.3', true, false],
      ['Deployment shop/web (pod 2 of 4)', 'worker-2', '10.244.2.3', true, false],
      ['Deployment shop/web (pod 3 of 4)', 'worker-3', '10.244.3.3', true, false],
      ['Deployment shop/web (pod 4 of 4)', 'worker-1', '10.244.1.4', true, false],
    ]);
  });

  test('hostNetwork pods get their node\'s InternalIP and take no podCIDR address (RT-6)', () => {
    const pods = runningOf(deployment('agent', 2, '\n      hostNetwork: true') + deployment('api', 1));
    expect(pods.map((p) => [p.node, p.ip, p.ipStandIn, p.hostNetwork])).toEqual([
      ['worker-1', '192.168.10.11', false, true],
      ['worker-2', '192.168.10.12', false, true],
      ['worker-3', '10.244.3.2', true, false],
    ]);
  });

  test('a node without podCIDR gives its pods no address, so they are left out (EPS-1)', () => {
    const pods = runningOf(deployment('api', 2), { nodes: [workerNode('a', { podCIDR: '10.1.0.0/30' }), workerNode('b')] });
    expect(pods.map((p) => [p.node, p.ip])).toEqual([['a', '10.1.0.2']]);
  });

  test('a full podCIDR gives no more addresses: a /30 holds one pod (.2; .3 is the broadcast address)', () => {
    const pods = runningOf(deployment('api', 2), { nodes: [workerNode('a', { podCIDR: '10.1.0.0/30' })] });
    expect(pods.map((p) => p.ip)).toEqual(['10.1.0.2']);
  });

  test('pods that do not run (Pending) are not here', () => {
    const pods = runningOf(deployment('api', 1, '\n      nodeSelector: {disk: ssd}'));
    expect(pods).toEqual([]);
  });
});

describe('hostname and subdomain (EPS-3, CDNS-8)', () => {
  test('StatefulSet pods: <set>-<ordinal> under the set\'s serviceName', () => {
    const pods = runningOf(`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  serviceName: db-headless
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      hostname: ignored
      containers: [{name: pg, image: postgres}]
`);
    expect(pods.map((p) => [p.hostname, p.subdomain])).toEqual([['db-0', 'db-headless'], ['db-1', 'db-headless']]);
  });
  test('other pods: what the spec writes, or nothing', () => {
    const pods = runningOf(deployment('a', 1, '\n      hostname: alpha\n      subdomain: group') + deployment('b', 1));
    expect(pods.map((p) => [p.hostname, p.subdomain])).toEqual([['alpha', 'group'], [undefined, undefined]]);
  });
});
