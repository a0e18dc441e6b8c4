/**
 * A large Service set for the dataplane bench: `services` ClusterIP/NodePort Services with
 * `endpointsPerService` endpoints each, spread over `nodes` nodes, built directly as the values
 * kube-proxy reads (no YAML), so the bench times rule generation and rendering only.
 */
import type { KubeObject } from '../model/types.js';
import type { Endpoint, ServiceEndpoints, ServiceView } from '../sim/services/types.js';

const POSITION = { line: 1, column: 1 };
const object = (name: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Service', namespace: 'bench', name, raw: {},
  source: { file: 'bench', document: 0, basePath: [], locator: { locate: () => POSITION, has: () => false } },
});

const ipOf = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export function benchServices(services: number, endpointsPerService: number, nodes: number): ServiceEndpoints[] {
  const out: ServiceEndpoints[] = [];
  const clusterBase = (10 << 24 | 96 << 16) >>> 0; // 10.96.0.0/12
  const podBase = (10 << 24 | 244 << 16) >>> 0; // 10.244.0.0/16, a /24 per node
  let podSeq = 0;
  for (let s = 0; s < services; s++) {
    const nodePort = s % 4 === 0 ? 30000 + (s / 4) % 2768 : undefined;
    const local = s % 8 === 0;
    const service: ServiceView = {
      object: object(`svc-${s}`), namespace: 'bench', name: `svc-${s}`,
      type: nodePort !== undefined ? 'NodePort' : 'ClusterIP', headless: false,
      clusterIP: ipOf(clusterBase + 1000 + s), clusterIPStandIn: false,
      ports: [{ index: 0, name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePortStandIn: false, ...(nodePort !== undefined ? { nodePort } : {}) }],
      selector: { app: `svc-${s}` },
      externalTrafficPolicy: local ? 'Local' : 'Cluster', internalTrafficPolicy: 'Cluster',
      sessionAffinity: s % 16 === 1 ? 'ClientIP' : 'None', sessionAffinityTimeout: 10800,
      externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], publishNotReadyAddresses: false,
    };
    const endpoints: Endpoint[] = [];
    for (let e = 0; e < endpointsPerService; e++, podSeq++) {
      const node = podSeq % nodes;
      endpoints.push({ ip: ipOf(podBase + node * 256 + 2 + (Math.floor(podSeq / nodes) % 250)), port: 8080, nodeName: `node-${node}`, pods: [], ready: true });
    }
    endpoints.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
    out.push({ service, selected: [], ports: [{ port: service.ports[0]!, endpoints, unresolved: [] }] });
  }
  return out;
}
