/**
 * The lab for real: builds the embedded default cluster in hnlab-<id>-… network namespaces, checks
 * addresses, rules and cross-node pod traffic, tears it down and checks nothing is left. Runs only
 * as root with the tools present (the describe name says why it skipped otherwise). Clients and
 * servers only ever run inside lab namespaces.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ipBatchIn, ipShowIn, iptablesSave, labNs, sysctl, listLabNetns, rootFingerprint, runInLab, spawnInLab } from '../../src/lab/exec.js';
import { labDoctor, labDown, labUp, readState } from '../../src/lab/lab.js';
import { planLab, type LabPlan } from '../../src/lab/plan.js';
import { simulations } from '../../src/sim/simulations.js';
import { modelOf } from '../../src/testing/model.js';
import { probe } from './lab-test-kit.js';

const skip = probe();
const STATE_DIR = '/run/hnlab';

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 20
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: x, ports: [{containerPort: 80}]}]
`;

function planFor(labId: string): LabPlan {
  const model = modelOf(`${readFileSync(new URL('../../examples/seed-hostip-pod.yaml', import.meta.url), 'utf8')}\n---\n${DEPLOYMENT}`);
  const r = planLab(labId, model, simulations(model));
  if (!r.ok) throw new Error(r.problems.join(' '));
  return r.plan;
}

/** A one-shot TCP server inside a pod namespace; resolves once it listens. */
function startServer(ns: string, port: number): Promise<{ pid: number; stop: () => void }> {
  const script = `const s=require('net').createServer(c=>{c.end('pong '+c.remoteAddress+'\\n')});s.listen(${port},'0.0.0.0',()=>console.log('listening'));setTimeout(()=>process.exit(0),60000);`;
  const child = spawnInLab(labNs(ns), [process.execPath, '-e', script]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server in ${ns} did not listen within 20 s`)), 20_000);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('listening')) {
        clearTimeout(timer);
        resolve({ pid: child.pid!, stop: () => child.kill('SIGKILL') });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server in ${ns} exited early with ${code}`));
    });
  });
}

function connect(ns: string, ip: string, port: number): { ok: boolean; stdout: string; stderr: string } {
  const script = `const c=require('net').connect(${port},'${ip}');let d='';c.setTimeout(10000,()=>{console.error('timeout');process.exit(3)});c.on('data',x=>d+=x);c.on('end',()=>{process.stdout.write(d);process.exit(0)});c.on('error',e=>{console.error(e.message);process.exit(2)});`;
  return runInLab(labNs(ns), [process.execPath, '-e', script], 30_000);
}

describe.skipIf(skip !== undefined)(`lab on the real kernel${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('builds the default cluster with 21 pods, carries cross-node pod traffic, and leaves nothing behind', { timeout: 120_000 }, async () => {
    const labId = `t${process.pid.toString(36)}a`.slice(0, 12);
    const plan = planFor(labId);
    const before = rootFingerprint();
    let server: { pid: number; stop: () => void } | undefined;
    await labDown(labId, { stateDir: STATE_DIR }); // a crashed earlier run with the same PID
    try {
      const up = await labUp(plan, { stateDir: STATE_DIR });
      expect(up.problems).toEqual([]);
      expect(up.ok).toBe(true);
      console.log(`lab up ${labId}: ${plan.nodes.length} nodes, ${plan.pods.length} pods, ${up.namespaces} namespaces in ${up.timings.totalMs} ms ${JSON.stringify(up.timings.steps)}`);
      expect(readState(labId, STATE_DIR)?.phase).toBe('up');

      const live = new Set(listLabNetns());
      for (const ns of plan.namespaces) expect(live.has(ns)).toBe(true);

      const pod = plan.pods[0]!;
      const addr = ipShowIn(labNs(pod.ns), ['addr', 'show', 'dev', 'eth0']);
      expect(addr.stdout).toContain(`inet ${pod.ip}/${pod.prefix}`);

      const hostPortNode = plan.nodes.find((n) => n.node === 'worker-1')!;
      const saved = iptablesSave(labNs(hostPortNode.ns));
      expect(saved.ok).toBe(true);
      expect(saved.stdout).toContain('-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT');

      const a = plan.pods.find((p) => p.node === 'worker-1')!;
      const b = plan.pods.find((p) => p.node === 'worker-2')!;
      server = await startServer(b.ns, 8080);
      const reply = connect(a.ns, b.ip, 8080);
      expect(reply.stderr).toBe('');
      // host-gw keeps the pod source address across nodes (no masquerade between pod CIDRs).
      expect(reply.stdout).toBe(`pong ${a.ip}\n`);
    } finally {
      server?.stop();
      const down = await labDown(labId, { stateDir: STATE_DIR });
      console.log(`lab down ${labId}: ${down.removedNamespaces.length} namespaces in ${down.ms} ms`);
      expect(down.problems).toEqual([]);
    }
    expect(listLabNetns().filter((n) => n.startsWith(`hnlab-${labId}-`))).toEqual([]);
    expect(readState(labId, STATE_DIR)).toBeUndefined();
    expect(labDoctor(STATE_DIR).filter((l) => l.labId === labId)).toEqual([]);
    expect(rootFingerprint().sha256).toBe(before.sha256);
  });

  it('teardown kills a process left inside a lab namespace before deleting it', { timeout: 120_000 }, async () => {
    const labId = `t${process.pid.toString(36)}b`.slice(0, 12);
    const plan = planFor(labId);
    await labDown(labId, { stateDir: STATE_DIR });
    try {
      const up = await labUp(plan, { stateDir: STATE_DIR });
      expect(up.problems).toEqual([]);
      // The guards, on a real lab namespace.
      const node = labNs(plan.nodes[0]!.ns);
      expect(() => ipBatchIn(node, ['netns add hnlab-x-y'])).toThrow('it would leave the namespace');
      expect(() => ipBatchIn(node, ['link add v0 type veth peer name v1 netns hnlab-nosuchlab9-x'])).toThrow('does not exist');
      expect(() => sysctl(node, [['kernel.pid_max', '4194304']])).toThrow('not on the lab\'s whitelist');
      expect(() => spawnInLab(node, ['sh', '-c', 'true'])).toThrow('only node, dnsmasq, ping, getent, dig and iperf3 run in the lab');
      const server = await startServer(plan.pods[0]!.ns, 8081);
      const down = await labDown(labId, { stateDir: STATE_DIR });
      expect(down.problems).toEqual([]);
      expect(down.killedPids).toContain(server.pid);
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(listLabNetns().filter((n) => n.startsWith(`hnlab-${labId}-`))).toEqual([]);
  });
});
