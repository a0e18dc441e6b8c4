/**
 * The lab's DNS on the real kernel: the upstream and cluster dnsmasq, every namespace's resolv.conf,
 * hostNetwork pods through aliases of their node's namespace, and the seed 001 outage. Every
 * lookup runs through glibc (`getent`) or `dig` inside a lab namespace; the assertions compare
 * them with hostnet's DNS simulation. Runs only as root with the tools present.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dnsProbeRows, planLabDns, startLabDns, type LabDnsPlan } from '../../src/lab/dns.js';
import { listLabNetns, runInLab, labNs } from '../../src/lab/exec.js';
import { labDown, readState } from '../../src/lab/lab.js';
import { planLab } from '../../src/lab/plan.js';
import type { ProbeRow } from '../../src/lab/probe-row.js';
import { withTemporaryLab } from '../../src/lab/session.js';
import { simulations } from '../../src/sim/simulations.js';
import { modelOf } from '../../src/testing/model.js';
import { probe } from './lab-test-kit.js';

const skip = probe(['dnsmasq', 'getent', 'dig']);
const STATE_DIR = '/run/hnlab';

const example = (f: string): string => readFileSync(new URL(`../../examples/${f}`, import.meta.url), 'utf8');

/** A Deployment behind a Service, and a hostNetwork agent that asks cluster DNS (ClusterFirstWithHostNet). */
const EXTRA = `
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
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: agent, namespace: monitoring}
spec:
  replicas: 1
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      dnsPolicy: ClusterFirstWithHostNet
      containers: [{name: c, image: x}]
`;

/** CoreDNS-like pods behind a kube-dns Service at the clusterDNS address. */
const KUBE_DNS = `
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec:
  clusterIP: 10.96.0.10
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  replicas: 2
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      dnsPolicy: Default
      containers: [{name: coredns, image: x, ports: [{containerPort: 53, protocol: UDP}]}]
`;

const show = (r: ProbeRow): string => `${r.agree ? 'ok ' : 'DIFF'} [${r.group}] ${r.from}: ${r.subject} — predicted ${r.predicted}; observed ${r.observed}${r.agree ? '' : `\n      why: ${r.why ?? ''}`}`;

describe.skipIf(skip !== undefined)(`lab DNS on the real kernel${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('resolves as the simulation predicts, with cluster DNS up and stopped, and leaves nothing behind', { timeout: 180_000 }, async () => {
    const labId = `d${process.pid.toString(36)}a`.slice(0, 12);
    const model = modelOf([example('seed-node-debug-pod.yaml'), example('host-network-needs-cluster-dns.yaml'), EXTRA].join('\n---\n'));
    const sims = simulations(model);
    const planned = planLab(labId, model, sims);
    if (!planned.ok) throw new Error(planned.problems.join(' '));
    const plan = planned.plan;
    const dnsPlan: LabDnsPlan = planLabDns(plan, model, sims);
    expect(dnsPlan.clusterDnsMode).toBe('fabric');
    await labDown(labId, { stateDir: STATE_DIR }); // a crashed earlier run with the same PID
    try {
      const result = await withTemporaryLab(plan, model, sims, async (session) => {
        const t0 = performance.now();
        const started = await startLabDns(session.h, plan, dnsPlan);
        const startMs = performance.now() - t0;
        // The node namespace has the node's file, the ClusterFirstWithHostNet alias the pod's.
        const agent = dnsPlan.aliases.find((a) => a.pod.includes('monitoring/agent'))!;
        const inAlias = runInLab(labNs(agent.alias), ['getent', 'ahostsv4', 'web.default']);
        const inNode = runInLab(labNs(agent.nodeNs), ['getent', 'ahostsv4', 'web.default']);
        const t1 = performance.now();
        const rows = await dnsProbeRows(session, dnsPlan);
        const probeMs = performance.now() - t1;
        return { started, startMs, rows, probeMs, inAlias, inNode };
      }, { stateDir: STATE_DIR });
      if (!result.ok) throw new Error(result.problems.join('\n'));
      const { started, startMs, rows, probeMs, inAlias, inNode } = result.value;
      console.log(`DNS start ${startMs.toFixed(0)} ms; ${rows.length} DNS rows in ${probeMs.toFixed(0)} ms\n${started.notes.join('\n')}\n${rows.map(show).join('\n')}`);
      expect(started.problems).toEqual([]);
      expect(inAlias.status).toBe(0);
      expect(inNode.status).toBe(2);

      const normal = rows.filter((r) => r.group === 'DNS');
      const outage = rows.filter((r) => r.group === 'DNS outage');
      expect(normal.length).toBeGreaterThan(20);
      expect(rows.filter((r) => !r.agree).map(show)).toEqual([]);
      // Seed 001: the pod with its own namespace loses its names, the node debug pod keeps external ones.
      const podFails = outage.filter((r) => r.from.startsWith('pod Deployment default/web') && !r.subject.includes('started again'));
      expect(podFails.length).toBe(2);
      for (const r of podFails) expect(r.observed).toMatch(/^does not resolve/);
      const debug = outage.filter((r) => r.from.includes('node-debugger'));
      expect(debug.find((r) => r.subject.endsWith('api.upstream.test.'))?.observed).toMatch(/^resolves \(an address outside the cluster: 192\.0\.2\.10\)/);
      expect(debug.find((r) => r.subject.includes('.svc.cluster.local'))?.observed).toMatch(/^does not resolve/);
      expect(outage.find((r) => r.subject.includes('started again'))?.observed).toMatch(/^resolves to /);
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(listLabNetns().filter((n) => n.startsWith(`hnlab-${labId}-`))).toEqual([]);
    expect(readState(labId, STATE_DIR)).toBeUndefined();
    // The aliases and every /etc/netns file went with the lab.
    expect(existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => n.startsWith(`hnlab-${labId}-`)) : []).toEqual([]);
  });
  it('runs cluster DNS in the pods a kube-dns Service sends it to, through kube-proxy\'s DNAT', { timeout: 180_000 }, async () => {
    const labId = `d${process.pid.toString(36)}b`.slice(0, 12);
    const model = modelOf([example('seed-node-debug-pod.yaml'), KUBE_DNS, EXTRA].join('\n---\n'));
    const sims = simulations(model);
    const planned = planLab(labId, model, sims);
    if (!planned.ok) throw new Error(planned.problems.join(' '));
    const dnsPlan = planLabDns(planned.plan, model, sims);
    expect(dnsPlan.clusterDnsMode).toBe('pods');
    expect(dnsPlan.servers.filter((s) => s.role === 'cluster')).toHaveLength(2);
    await labDown(labId, { stateDir: STATE_DIR });
    try {
      const result = await withTemporaryLab(planned.plan, model, sims, async (session) => {
        const t0 = performance.now();
        const started = await startLabDns(session.h, planned.plan, dnsPlan);
        const startMs = performance.now() - t0;
        const t1 = performance.now();
        const rows = await dnsProbeRows(session, dnsPlan);
        return { started, startMs, rows, probeMs: performance.now() - t1 };
      }, { stateDir: STATE_DIR });
      if (!result.ok) throw new Error(result.problems.join('\n'));
      const { started, startMs, rows, probeMs } = result.value;
      console.log(`DNS start ${startMs.toFixed(0)} ms; ${rows.length} DNS rows in ${probeMs.toFixed(0)} ms\n${started.notes.join('\n')}\n${rows.filter((r) => r.group === 'DNS outage' || !r.agree).map(show).join('\n')}`);
      expect(started.problems).toEqual([]);
      expect(rows.filter((r) => !r.agree).map(show)).toEqual([]);
      // Answers through the DNAT, and external names forwarded from a pod address to the fabric and back.
      expect(rows.find((r) => r.from.startsWith('pod Deployment default/web') && r.subject === 'getent ahostsv4 api.upstream.test.')?.observed).toMatch(/^resolves/);
      expect(rows.filter((r) => r.group === 'DNS outage' && r.from.startsWith('pod ') && !r.subject.includes('started again')).every((r) => r.observed.startsWith('does not resolve'))).toBe(true);
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(listLabNetns().filter((n) => n.startsWith(`hnlab-${labId}-`))).toEqual([]);
  });
});
