import { describe, expect, it } from 'vitest';
import { simulations } from '../sim/simulations.js';
import { modelOf } from '../testing/model.js';
import { planLab, type LabPlan } from './plan.js';
import { describeExpected, expectPacket, Listeners, reachProbes, type Expected } from './predict.js';
import { agrees, bindProbes, observationOf, renderVerifyText, type Observation } from './verify.js';
import { labServers } from './workloads.js';

const YAML = `
apiVersion: v1
kind: Pod
metadata: {name: hp}
spec:
  nodeName: worker-1
  containers: [{name: c, image: x, ports: [{containerPort: 8080, hostPort: 8080}, {containerPort: 53, protocol: UDP}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: hn, labels: {app: hn}}
spec:
  nodeName: worker-2
  hostNetwork: true
  containers: [{name: c, image: x, ports: [{containerPort: 9100}]}]
---
apiVersion: v1
kind: Service
metadata: {name: hn}
spec:
  selector: {app: hn}
  ports: [{port: 80, targetPort: 9100}]
`;

function setup(): { plan: LabPlan; sims: ReturnType<typeof simulations>; model: ReturnType<typeof modelOf> } {
  const model = modelOf(YAML);
  const sims = simulations(model);
  const r = planLab('u1', model, sims);
  if (!r.ok) throw new Error(r.problems.join(' '));
  return { plan: r.plan, sims, model };
}

describe('labServers', () => {
  it('listens on declared container ports and on the ports Services send, hostNetwork pods in their node namespace', () => {
    const { plan, sims } = setup();
    expect(labServers(plan, sims).map((s) => [s.pod, s.ns, s.hostNetwork, s.listen.map((l) => `${l.port}/${l.protocol}`)])).toEqual([
      ['Pod default/hp', 'hnlab-u1-worker-1-p1', false, ['53/UDP', '8080/TCP']],
      ['Pod default/hn', 'hnlab-u1-worker-2', true, ['9100/TCP']],
    ]);
    // The cluster DNS pods serve port 53 with dnsmasq instead.
    expect(labServers(plan, sims, new Set(['Pod default/hp']))[0]!.listen.map((l) => l.port)).toEqual([8080]);
  });
});

describe('predictions', () => {
  it('follow the model: a host port answers on its node and is refused elsewhere; a hostNetwork port answers from the node', () => {
    const { plan, sims, model } = setup();
    const { probes } = reachProbes(plan, sims, model.cluster, labServers(plan, sims));
    const find = (subject: string, from: string): Expected => probes.find((p) => p.subject.startsWith(subject) && p.from === from)!.expected;
    expect(find('host port 8080/TCP on worker-1', 'from outside the cluster')).toEqual({ replies: ['Pod default/hp'], refused: false, silent: false, clientSeen: '203.0.113.10' });
    expect(find('host port 8080/TCP on control-plane-1', 'from outside the cluster')).toEqual({ replies: [], refused: true, silent: false });
    expect(find('port 9100/TCP on worker-2', 'from the node itself to 127.0.0.1').replies).toEqual(['Pod default/hn']);
    // Each probe runs where its source address lives.
    expect(probes.find((p) => p.from === 'from outside the cluster')!.ns).toBe('hnlab-u1-fab');
    expect(probes.find((p) => p.from === 'from the pod itself (hairpin)')!.ns).toBe('hnlab-u1-worker-1-p1');
  });

  it('crosses nodes: a ClusterIP whose endpoint is a hostNetwork pod on another node is answered by it', () => {
    const { plan, sims, model } = setup();
    const svc = sims.services().find((s) => s.name === 'hn')!;
    const listeners = new Listeners(labServers(plan, sims));
    const { expected, why } = expectPacket(sims, model.cluster, listeners, 'worker-1', { src: '10.244.1.254', dst: svc.clusterIP!, protocol: 'tcp', dport: 80 }, { kind: 'pod', podIP: '10.244.1.254' });
    expect(expected.replies).toEqual(['Pod default/hn']);
    expect(why).toContain('worker-1: forwarded');
    expect(why).toContain('worker-2:');
  });
});

describe('observations and agreement', () => {
  it.each<[string, { kind: string; text?: string }, Observation]>([
    ['an answer', { kind: 'reply', text: 'served-by=Deployment a/b (pod 1 of 2) client=10.0.0.1\n' }, { kind: 'reply', from: 'Deployment a/b (pod 1 of 2)', client: '10.0.0.1' }],
    ['refused', { kind: 'refused' }, { kind: 'refused' }],
    ['a timeout', { kind: 'timeout' }, { kind: 'silent', detail: 'timeout' }],
    ['unreachable', { kind: 'unreachable' }, { kind: 'silent', detail: 'unreachable' }],
    ['a stranger answer', { kind: 'reply', text: 'hello' }, { kind: 'other', detail: 'an unexpected answer "hello"' }],
  ])('%s', (_, raw, want) => {
    expect(observationOf(raw)).toEqual(want);
  });

  const e: Expected = { replies: ['A', 'B'], refused: false, silent: false, clientSeen: '1.1.1.1' };
  it.each<[string, Expected, Observation, boolean]>([
    ['one of the endpoints, the client kept', e, { kind: 'reply', from: 'B', client: '1.1.1.1' }, true],
    ['another pod', e, { kind: 'reply', from: 'C', client: '1.1.1.1' }, false],
    ['the client masqueraded where it should not be', e, { kind: 'reply', from: 'A', client: '10.0.0.1' }, false],
    ['refused where an answer was due', e, { kind: 'refused' }, false],
    ['masqueraded as predicted', { replies: ['A'], refused: false, silent: false, clientHidden: '1.1.1.1' }, { kind: 'reply', from: 'A', client: '10.244.1.1' }, true],
    ['not masqueraded though predicted', { replies: ['A'], refused: false, silent: false, clientHidden: '1.1.1.1' }, { kind: 'reply', from: 'A', client: '1.1.1.1' }, false],
    ['silence predicted', { replies: [], refused: false, silent: true }, { kind: 'silent', detail: 'timeout' }, true],
  ])('%s', (_, expected, observed, want) => {
    expect(agrees(expected, observed)).toBe(want);
  });

  it('describes predictions in words', () => {
    expect(describeExpected(e)).toBe('answered by one of A, B (sees client 1.1.1.1)');
    expect(describeExpected({ replies: [], refused: true, silent: true })).toBe('refused or no answer');
  });

  it('prints both sides and the reason of a disagreement', () => {
    const text = renderVerifyText([
      { group: 'host ports', subject: 'host port 80/TCP on w1', from: 'from outside the cluster', predicted: 'refused', observed: 'answered by X (sees client 1.1.1.1)', agree: false, why: 'w1: unhandled to the node itself' },
      { group: 'host ports', subject: 'host port 81/TCP on w1', from: 'from outside the cluster', predicted: 'refused', observed: 'refused', agree: true },
    ]);
    expect(text).toBe([
      'host ports (1/2 agree)',
      '  DIFF  host port 80/TCP on w1, from outside the cluster',
      '          predicted: refused',
      '          observed:  answered by X (sees client 1.1.1.1)',
      '          why hostnet predicted it: w1: unhandled to the node itself',
      '  ok    host port 81/TCP on w1, from outside the cluster: refused',
      '',
      '1 of 2 predictions disagree with the kernel (marked DIFF above).',
      '',
    ].join('\n'));
  });
});

describe('bindProbes', () => {
  it('expects EADDRINUSE next to a hostNetwork listener and a clean bind next to a portmap host port', () => {
    const { plan, sims } = setup();
    const probes = bindProbes(plan, labServers(plan, sims), [{ node: 'worker-1', port: 8080, protocol: 'tcp', pod: 'Pod default/hp' }]);
    expect(probes.map((p) => [p.ns, p.port, p.protocol, p.expected])).toEqual([
      ['hnlab-u1-worker-2', 9100, 'TCP', 'EADDRINUSE'],
      ['hnlab-u1-worker-1', 8080, 'TCP', 'ok'],
    ]);
  });
});
