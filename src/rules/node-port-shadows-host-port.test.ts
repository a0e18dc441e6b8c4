import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './node-port-shadows-host-port.js';

/** The Service's own backend: one pod of app=web in shop, on worker-1. */
const web = yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec:
    replicas: 1
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers: [{name: web, image: example.com/web:1.0, ports: [{containerPort: 8080}]}]
`;

/** A NodePort Service; `ports` as flow YAML; selecting app=agent puts it in the agent's namespace. */
const service = (policy: string, ports = '[{port: 80, targetPort: 8080, nodePort: 30080}]', selector = 'web') => yaml`
  apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: ${selector === 'web' ? 'shop' : 'mon'}}
  spec:
    type: NodePort
    externalTrafficPolicy: ${policy}
    selector: {app: ${selector}}
    ports: ${ports}
`;

/** A DaemonSet (on the three workers) with the given ports. */
const agent = (hostNetwork: boolean, ports: string) => yaml`
  apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: agent, namespace: mon}
  spec:
    selector: {matchLabels: {app: agent}}
    template:
      metadata: {labels: {app: agent}}
      spec:
        hostNetwork: ${hostNetwork}
        containers:
          - {name: agent, image: example.com/agent:1.0, ports: ${ports}}
`;

const join = (...docs: string[]): string => docs.join('---\n');

ruleTester.run(rule, {
  valid: [
    {
      name: 'a host port on another protocol than the nodePort',
      yaml: join(web, service('Cluster'), agent(false, '[{containerPort: 8080, hostPort: 30080, protocol: UDP}]')),
    },
    {
      name: 'the Service writes no nodePort: a stand-in is random in a real cluster, so it is not compared',
      yaml: join(web, service('Cluster', '[{port: 80, targetPort: 8080}]'), agent(false, '[{containerPort: 8080, hostPort: 30080}]')),
    },
    {
      name: 'a host port that is not the nodePort',
      yaml: join(web, service('Cluster'), agent(false, '[{containerPort: 8080, hostPort: 30081}]')),
    },
    {
      name: 'the Service selects this very workload with Local: the trace ends at its own pod on every node',
      yaml: join(service('Local', '[{port: 80, targetPort: 8080, nodePort: 30080}]', 'agent'), agent(false, '[{containerPort: 8080, hostPort: 30080}]')),
    },
    {
      name: 'the Service selects this very workload with Cluster: every branch ends at one of its pods',
      yaml: join(service('Cluster', '[{port: 80, targetPort: 8080, nodePort: 30080}]', 'agent'), agent(false, '[{containerPort: 8080, hostPort: 30080}]')),
    },
    {
      name: 'a hostNetwork DaemonSet the Service selects, at its own port',
      yaml: join(service('Cluster', '[{port: 80, targetPort: 30080, nodePort: 30080}]', 'agent'), agent(true, '[{containerPort: 30080}]')),
    },
    {
      name: 'a pod that runs nowhere is not traced',
      yaml: join(web, service('Cluster'), yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: relay, namespace: mon}
        spec:
          nodeSelector: {disk: nvme}
          containers: [{name: relay, image: example.com/relay:1.0, ports: [{containerPort: 9000, hostPort: 30080}]}]
      `),
    },
    {
      name: 'without portmap a hostPort maps nothing (host-port-without-portmap says so)',
      yaml: join(web, service('Cluster'), agent(false, '[{containerPort: 8080, hostPort: 30080}]')),
      cluster: { cni: { name: 'cilium', portmap: false } },
    },
    {
      name: 'ipvs mode is not modelled',
      yaml: join(web, service('Cluster'), agent(false, '[{containerPort: 8080, hostPort: 30080}]')),
      cluster: { proxyMode: 'ipvs' },
    },
    {
      name: 'a hostIP no node owns: portmap never matches, nothing to shadow',
      yaml: join(web, service('Cluster'), agent(false, '[{containerPort: 8080, hostPort: 30080, hostIP: 10.9.9.9}]')),
    },
  ],
  invalid: [
    {
      name: 'a hostPort pod: the NodePort DNAT wins on every node it runs on',
      yaml: join(web, service('Cluster'), agent(false, '[{containerPort: 8080, hostPort: 30080}]')),
      errors: [{
        messageId: 'hostPort', line: 31, column: 85, path: 'spec.template.spec.containers[0].ports[0].hostPort', severity: 'warning',
        messageIncludes: [
          'Host port 30080/TCP of container "agent" is also nodePort 30080 of Service shop/web, which kube-proxy serves on every node, so on worker-1, worker-2 and worker-3, where this pod runs, the Service takes the connections meant for the pod',
          'PM-11',
          'hostnet\'s trace of a connection from outside to worker-1 at 192.168.10.11:30080/TCP: rule 2 of nat KUBE-NODEPORTS ("shop/web") matches first, and the packet is delivered to pod ',
          'at 10.244.1.2:8080 on worker-1, and portmap\'s CNI-HOSTPORT-DNAT is never reached.',
          'below the NodePort range 30000-32767',
        ],
      }],
    },
    {
      name: 'Local: only where the Service has a local endpoint; elsewhere the packet falls through to portmap',
      yaml: join(web, service('Local'), agent(false, '[{containerPort: 8080, hostPort: 30080}]')),
      errors: [{
        messageId: 'hostPort',
        messageIncludes: [
          'so on worker-1, where this pod runs',
          'On worker-2 and worker-3 the trace still ends at this workload\'s pods, because with externalTrafficPolicy: Local and no endpoint of the Service there kube-proxy\'s KUBE-EXT chain lets the packet through to portmap\'s DNAT: the packet is delivered to pod ',
          'at 10.244.2.2:8080 on worker-2.',
        ],
      }],
    },
    {
      name: 'a hostNetwork pod: the implied host port points at the containerPort',
      yaml: join(web, service('Cluster'), agent(true, '[{containerPort: 30080}]')),
      errors: [{
        messageId: 'hostNetwork', line: 31, column: 64, path: 'spec.template.spec.containers[0].ports[0].containerPort',
        messageIncludes: [
          'This hostNetwork pod listens on port 30080/TCP of the node (container "agent", a host port under hostNetwork, DEF-3), which is also nodePort 30080 of Service shop/web.',
          'so on worker-1, worker-2 and worker-3 this pod gets no connections from other hosts on that port.',
          'rule 2 of nat KUBE-NODEPORTS ("shop/web") matches first, and the packet is delivered to pod ',
        ],
      }],
    },
    {
      name: 'a hostNetwork pod and Local: DNAT where the endpoint is, DROP elsewhere',
      yaml: join(web, service('Local'), agent(true, '[{containerPort: 30080}]')),
      errors: [{ messageId: 'hostNetwork', messageIncludes: ['so on worker-1, worker-2 and worker-3 this pod gets no connections'] }],
    },
    {
      name: 'a hostNetwork pod and a Service without endpoints: REJECT before the socket',
      yaml: join(service('Cluster'), agent(true, '[{containerPort: 30080}]')),
      errors: [{
        messageId: 'hostNetwork',
        messageIncludes: ['at 192.168.10.11:30080/TCP: the packet is rejected by rule 1 of filter KUBE-EXTERNAL-SERVICES ("shop/web has no endpoints").'],
      }],
    },
    {
      name: 'UDP: the nodePort written on the TCP entry of the same port number is the UDP entry\'s too',
      yaml: join(
        web,
        service('Cluster', '[{name: dns-tcp, port: 53, targetPort: 8080, protocol: TCP, nodePort: 30053}, {name: dns-udp, port: 53, targetPort: 8080, protocol: UDP}]'),
        agent(false, '[{containerPort: 5353, hostPort: 30053, protocol: UDP}]'),
      ),
      errors: [{ messageId: 'hostPort', messageIncludes: ['Host port 30053/UDP', 'rule 4 of nat KUBE-NODEPORTS ("shop/web:dns-udp") matches first'] }],
    },
    {
      name: 'a hostIP the node owns is traced at that address',
      yaml: join(web, service('Cluster'), yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: relay, namespace: mon}
        spec:
          nodeName: worker-2
          containers: [{name: relay, image: example.com/relay:1.0, ports: [{containerPort: 9000, hostPort: 30080, hostIP: 192.168.10.12}]}]
      `),
      errors: [{ messageId: 'hostPort', messageIncludes: ['so on worker-2, where this pod runs', 'to worker-2 at 192.168.10.12:30080/TCP'] }],
    },
  ],
});

describe('related location and evidence', () => {
  test('the Service\'s nodePort is a related location; every traced node is evidence', () => {
    const findings = runRule(rule, join(web, service('Local'), agent(false, '[{containerPort: 8080, hostPort: 30080}]')));
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.related).toEqual([{
      message: 'Service shop/web sets nodePort 30080/TCP here.',
      file: 'test.yaml', line: 19, column: 40, path: 'spec.ports[0].nodePort',
    }]);
    const traces = f.evidence!.filter((e) => e.startsWith('trace on '));
    expect(traces).toHaveLength(3);
    expect(traces[0]).toMatch(/^trace on worker-1: 203\.0\.113\.10 → 192\.168\.10\.11:30080\/TCP from outside the cluster: nat PREROUTING → KUBE-SERVICES → KUBE-NODEPORTS → KUBE-EXT-\w+ → KUBE-SVL-\w+ → KUBE-SEP-\w+ rule 2 "shop\/web": DNAT to 10\.244\.1\.2:8080; /);
    expect(traces[1]).toMatch(/^trace on worker-2: .* → KUBE-EXT-\w+ \(no rule there matched\); nat PREROUTING → CNI-HOSTPORT-DNAT → CNI-DN-\w+ rule 3: DNAT to 10\.244\.2\.2:8080; /);
    expect(f.evidence).toContain('Service shop/web: type NodePort, externalTrafficPolicy Local, nodePort 30080/TCP written in spec.ports[0]');
  });
});
