import { describe, expect, it } from 'vitest';
import { modelOf } from '../testing/model.js';
import { simulations } from '../sim/simulations.js';
import { LAB_NS_RE } from './exec.js';
import { MAX_LINK_NAME, planLab, slug, vethName, type LabPlan } from './plan.js';

const SMALL = `
apiVersion: v1
kind: Pod
metadata: {name: hostip-pod}
spec:
  nodeName: worker-1
  containers:
  - name: nginx
    image: nginx
    ports: [{hostIP: 192.168.10.11, hostPort: 30123, containerPort: 8888}]
---
apiVersion: v1
kind: Pod
metadata: {name: hn}
spec:
  nodeName: worker-2
  hostNetwork: true
  containers: [{name: c, image: x}]
`;

function planOf(yaml: string, labId = 't1'): LabPlan {
  const model = modelOf(yaml);
  const r = planLab(labId, model, simulations(model));
  if (!r.ok) throw new Error(r.problems.join(' '));
  return r.plan;
}

const deployment = (replicas: number): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: x, ports: [{containerPort: 80}]}]
`;

describe('planLab', () => {
  it('names every namespace hnlab-<id>-… and every link within IFNAMSIZ', () => {
    const plan = planOf(`${SMALL}---${deployment(20)}`);
    // fabric, 4 nodes, 21 pods, a probe client per node
    expect(plan.namespaces.length).toBe(1 + 4 + 21 + 4);
    for (const ns of plan.namespaces) {
      expect(ns).toMatch(LAB_NS_RE);
      expect(ns.startsWith('hnlab-t1-')).toBe(true);
    }
    expect(new Set(plan.namespaces).size).toBe(plan.namespaces.length);
    const links = [...plan.fabric.lines, ...plan.nodes.flatMap((n) => n.lines), ...plan.pods.flatMap((p) => p.lines), ...plan.probePods.flatMap((p) => p.lines)]
      .flatMap((l) => [...l.matchAll(/(?:link add|peer name|dev) (\S+)/g)].map((m) => m[1]!));
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(l.length).toBeLessThanOrEqual(MAX_LINK_NAME);
    expect(plan.rootLines).toEqual(plan.namespaces.map((ns) => `netns add ${ns}`));
  });

  it('gives every pod but hostNetwork ones a namespace', () => {
    const plan = planOf(SMALL);
    expect(plan.pods.map((p) => [p.pod, p.ns, p.ip])).toEqual([['Pod default/hostip-pod', 'hnlab-t1-worker-1-p1', '10.244.1.2']]);
    expect(plan.nodes.find((n) => n.node === 'worker-2')!.hostNetworkPods).toEqual(['Pod default/hn']);
    expect(plan.namespaces).toEqual([
      'hnlab-t1-fab', 'hnlab-t1-control-plane-1', 'hnlab-t1-worker-1', 'hnlab-t1-worker-2', 'hnlab-t1-worker-3', 'hnlab-t1-worker-1-p1',
      'hnlab-t1-control-plane-1-c', 'hnlab-t1-worker-1-c', 'hnlab-t1-worker-2-c', 'hnlab-t1-worker-3-c',
    ]);
    // The probe clients sit where reachability.ts traces "a pod on <node>" from: the podCIDR's last usable address.
    expect(plan.probePods.map((p) => [p.node, p.ip])).toEqual([['control-plane-1', '10.244.0.254'], ['worker-1', '10.244.1.254'], ['worker-2', '10.244.2.254'], ['worker-3', '10.244.3.254']]);
  });

  it('writes exact batch lines for a small model', () => {
    const plan = planOf(SMALL);
    const veth = vethName('Pod default/hostip-pod');
    expect(veth).toMatch(/^veth[0-9a-f]{8}$/);
    const probe = vethName('probe worker-1');
    expect(plan.fabric).toEqual({
      ns: 'hnlab-t1-fab', gateway: '192.168.10.1', prefix: 24,
      lines: [
        'link set lo up', 'link add br0 type bridge', 'addr add 192.168.10.1/24 dev br0', 'addr add 203.0.113.10/32 dev br0', 'link set br0 up',
        'link add n0 type veth peer name eth0 netns hnlab-t1-control-plane-1', 'link set n0 master br0', 'link set n0 up',
        'link add n1 type veth peer name eth0 netns hnlab-t1-worker-1', 'link set n1 master br0', 'link set n1 up',
        'link add n2 type veth peer name eth0 netns hnlab-t1-worker-2', 'link set n2 master br0', 'link set n2 up',
        'link add n3 type veth peer name eth0 netns hnlab-t1-worker-3', 'link set n3 master br0', 'link set n3 up',
      ],
    });
    const w1 = plan.nodes.find((n) => n.node === 'worker-1')!;
    expect(w1.lines).toEqual([
      'link set lo up', 'addr add 192.168.10.11/24 dev eth0', 'link set eth0 up',
      'link add cni0 type bridge', 'addr add 10.244.1.1/24 dev cni0', 'link set cni0 up',
      `link add ${veth} type veth peer name eth0 netns hnlab-t1-worker-1-p1`, `link set ${veth} master cni0`, `link set ${veth} type bridge_slave hairpin on`, `link set ${veth} up`,
      `link add ${probe} type veth peer name eth0 netns hnlab-t1-worker-1-c`, `link set ${probe} master cni0`, `link set ${probe} type bridge_slave hairpin on`, `link set ${probe} up`,
      'route add 10.244.0.0/24 via 192.168.10.10', 'route add 10.244.2.0/24 via 192.168.10.12', 'route add 10.244.3.0/24 via 192.168.10.13',
      'route add default via 192.168.10.1',
    ]);
    expect(plan.pods[0]!.lines).toEqual(['link set lo up', 'addr add 10.244.1.2/24 dev eth0', 'link set eth0 up', 'route add default via 10.244.1.1']);
    // PM-7: route_localnet only where portmap maps a port.
    expect(w1.sysctls).toEqual([['net.ipv4.ip_forward', '1'], ['net.ipv4.conf.cni0.route_localnet', '1']]);
    expect(plan.nodes.find((n) => n.node === 'worker-2')!.sysctls).toEqual([['net.ipv4.ip_forward', '1']]);
    expect(w1.iptables).toContain('-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT');
    expect(w1.iptables).toContain('--to-destination 10.244.1.2:8888');
    expect(w1.nfacct).toEqual(['ct_state_invalid_dropped_pkts']);
  });

  it('uses the podCIDR as a network (host bits masked) and refuses text that is not exactly a.b.c.d/n', () => {
    const nodes = modelOf('').cluster.nodes.map((n) => (n.name === 'worker-1' ? { ...n, podCIDR: '10.244.1.5/24' } : n.name === 'worker-2' ? { ...n, podCIDR: '10.244.2.0/24\nroute add 0.0.0.0/0 via 1.1.1.1' } : n));
    const m = modelOf('', { nodes });
    const r = planLab('t3', m, simulations(m));
    if (!r.ok) throw new Error(r.problems.join(' '));
    expect(r.plan.nodes.find((n) => n.node === 'worker-1')!.podCIDR).toBe('10.244.1.0/24');
    expect(r.plan.nodes.find((n) => n.node === 'worker-2')!.podCIDR).toBeUndefined();
    expect(r.plan.nodes.flatMap((n) => n.lines).filter((l) => l.includes('1.1.1.1'))).toEqual([]);
    expect(r.plan.notes).toContain('Node worker-2 has podCIDR "10.244.2.0/24\\nroute add 0.0.0.0/0 via 1.1.1.1", which is not an IPv4 range the lab can use, so it gets no pod bridge.');
  });

  it('refuses a bad lab id and falls back to n<i> for colliding node words', () => {
    const model = modelOf(SMALL);
    const bad = planLab('Bad_Id', model, simulations(model));
    expect(bad).toEqual({ ok: false, problems: ['The lab id "Bad_Id" must be 1 to 12 lowercase letters or digits.'] });
    expect(slug('ip-10-0-0-1.ec2.Internal')).toBe('ip-10-0-0-1-ec2-internal');
    const nodes = modelOf('').cluster.nodes.map((n, i) => ({ ...n, name: i === 0 ? 'fab' : n.name }));
    const m2 = modelOf('', { nodes });
    const r = planLab('t2', m2, simulations(m2));
    expect(r.ok && r.plan.nodes.map((n) => n.ns)).toEqual(['hnlab-t2-n0', 'hnlab-t2-n1', 'hnlab-t2-n2', 'hnlab-t2-n3']);
  });
});
