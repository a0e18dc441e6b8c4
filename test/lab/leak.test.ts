/**
 * The lab's safety properties on the real kernel (root only): after a successful run, a failing
 * run, a half-built lab and a killed run nothing is left — no hnlab-<id>-* namespace, no
 * /etc/netns entry, no process in one of the lab's namespaces, no state file or log directory —
 * and the root namespace's fingerprint (links, addresses, routes, iptables) is unchanged. Killed
 * runs are child processes built from dist/ (the test's own process must survive); what a SIGKILL
 * leaves, `labDoctor` lists and `labCleanup` removes. Last, exec.ts's guards on a real lab.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ipBatchIn, ipBatchRoot, ipShowIn, killLabPid, labNs, labNsProblem, listLabNetns, netnsInode, ownNetnsInode, rootFingerprint, runInLab, spawnInLab, sysctl,
} from '../../src/lab/exec.js';
import { labCleanup, labDoctor, labDown, labUp, readState, writeState, type LabState } from '../../src/lab/lab.js';
import { planLab, type LabPlan } from '../../src/lab/plan.js';
import { attachAlias, handleOf, startDaemon, writeNetnsFile, type LabHandle } from '../../src/lab/runtime.js';
import { withTemporaryLab } from '../../src/lab/session.js';
import { simulations, type Simulations } from '../../src/sim/simulations.js';
import type { Model } from '../../src/model/model.js';
import { modelOf } from '../../src/testing/model.js';
import { buildDist, descendants, fingerprintChange, labIdFor, labInodes, leftovers, probe, ROOT, STATE_DIR, waitGone } from './lab-test-kit.js';

const skip = probe();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

function planFor(labId: string, replicas = 3): { plan: LabPlan; model: Model; sims: Simulations } {
  const model = modelOf(deployment(replicas));
  const sims = simulations(model);
  const r = planLab(labId, model, sims);
  if (!r.ok) throw new Error(r.problems.join(' '));
  return { plan: r.plan, model, sims };
}

/** A hostNetwork-like daemon: a TCP listener in a node namespace that lives until killed. */
const DAEMON = "require('net').createServer((c)=>c.end('x')).listen(0,'0.0.0.0',()=>console.log('listening'));";
const aliasOf = (labId: string): string => `hnlab-${labId}-leakalias`;

/** What a real lab run makes besides namespaces: a daemon in a node, /etc/netns files, a second name for the node. */
async function populate(h: LabHandle, plan: LabPlan): Promise<{ daemon: number; node: string; alias: string }> {
  const node = plan.nodes[0]!;
  const d = await startDaemon(h, node.ns, 'leak-daemon', [process.execPath, '-e', DAEMON], /listening/);
  if ('problem' in d) throw new Error(d.problem);
  const alias = aliasOf(h.labId);
  for (const p of [
    writeNetnsFile(h, plan.pods[0]!.ns, 'resolv.conf', 'nameserver 10.96.0.10\noptions ndots:5\n'),
    attachAlias(h, alias, d.pid, node.ns),
    writeNetnsFile(h, alias, 'resolv.conf', 'nameserver 10.96.0.10\n'),
  ]) if (p !== undefined) throw new Error(p);
  return { daemon: d.pid, node: node.ns, alias };
}

/** Checks that the things `populate` made exist, so the leak check afterwards is not vacuous. */
function expectPopulated(labId: string, plan: LabPlan, made: { daemon: number; node: string; alias: string }, inodes: ReadonlySet<number>): void {
  expect(listLabNetns()).toContain(made.alias);
  expect(existsSync(`/etc/netns/${plan.pods[0]!.ns}/resolv.conf`)).toBe(true);
  expect(existsSync(`/etc/netns/${made.alias}/resolv.conf`)).toBe(true);
  const ino = netnsInode(`/proc/${made.daemon}/ns/net`);
  expect(ino).toBe(netnsInode(`/run/netns/${made.node}`));
  expect(inodes.has(ino!)).toBe(true);
  expect(existsSync(join(STATE_DIR, labId, 'leak-daemon.log'))).toBe(true);
  expect(readState(labId, STATE_DIR)?.pids).toContain(made.daemon);
}

// A child process that builds a lab from dist/ (so this test process survives its death).
const CHILD_DIR = mkdtempSync(join(tmpdir(), 'hostnet-leak-'));
const CHILD = join(CHILD_DIR, 'lab-child.mjs');
const dist = (p: string): string => pathToFileURL(join(ROOT, 'dist', p)).href;
writeFileSync(CHILD, `
import { check } from '${dist('index.js')}';
import { simulations } from '${dist('sim/simulations.js')}';
import { planLab } from '${dist('lab/plan.js')}';
import { labUp } from '${dist('lab/lab.js')}';
import { attachAlias, handleOf, startDaemon, writeNetnsFile } from '${dist('lab/runtime.js')}';
import { withTemporaryLab } from '${dist('lab/session.js')}';
const [mode, labId, replicas] = process.argv.slice(2);
const yaml = ${JSON.stringify(deployment(0))}.replace('replicas: 0', 'replicas: ' + replicas);
const { model } = await check(['-'], { rules: [], readStdin: async () => Buffer.from(yaml) });
const sims = simulations(model);
const planned = planLab(labId, model, sims);
if (!planned.ok) { console.error(planned.problems.join(' ')); process.exit(9); }
const plan = planned.plan;
const keepAlive = () => setInterval(() => {}, 1000);
async function populate(h) {
  const node = plan.nodes[0];
  const d = await startDaemon(h, node.ns, 'leak-daemon', [process.execPath, '-e', ${JSON.stringify(DAEMON)}], /listening/);
  if ('problem' in d) throw new Error(d.problem);
  for (const p of [
    writeNetnsFile(h, plan.pods[0].ns, 'resolv.conf', 'nameserver 10.96.0.10\\n'),
    attachAlias(h, 'hnlab-' + labId + '-leakalias', d.pid, node.ns),
    writeNetnsFile(h, 'hnlab-' + labId + '-leakalias', 'resolv.conf', 'nameserver 10.96.0.10\\n'),
  ]) if (p !== undefined) throw new Error(p);
  return d.pid;
}
if (mode === 'build') {
  const up = await labUp(plan, { stateDir: ${JSON.stringify(STATE_DIR)} });
  console.log(JSON.stringify({ ready: up.ok, problems: up.problems }));
  keepAlive();
} else if (mode === 'kill') {
  const up = await labUp(plan, { stateDir: ${JSON.stringify(STATE_DIR)} });
  if (!up.ok) { console.error(up.problems.join(' ')); process.exit(9); }
  const daemon = await populate(handleOf(labId, ${JSON.stringify(STATE_DIR)}));
  console.log(JSON.stringify({ ready: true, daemon }));
  keepAlive();
} else if (mode === 'session') {
  const r = await withTemporaryLab(plan, model, sims, async (s) => {
    const daemon = await populate(s.h);
    console.log(JSON.stringify({ ready: true, daemon }));
    keepAlive();
    await new Promise(() => {});
  }, { stateDir: ${JSON.stringify(STATE_DIR)} });
  console.error('the session ended without a signal: ' + JSON.stringify(r));
  process.exit(8);
}
`);

afterAll(() => rmSync(CHILD_DIR, { recursive: true, force: true }));

function startChild(mode: 'build' | 'kill' | 'session', labId: string, replicas: number): { child: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>; line: () => Promise<Record<string, unknown>> } {
  const child = spawn(process.execPath, [CHILD, mode, labId, String(replicas)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  const line = async (): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('\n')) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the child exited (${child.exitCode ?? child.signalCode}) before it was ready: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`the child was not ready within 30 s: ${stderr}`);
      await sleep(10);
    }
    return JSON.parse(stdout.slice(0, stdout.indexOf('\n'))) as Record<string, unknown>;
  };
  return { child, exit, line };
}

describe.skipIf(skip !== undefined)(`nothing is left after a lab run${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(buildDist, 180_000);

  it('after success: daemon, /etc/netns files and an alias are all gone, the root namespace is unchanged', { timeout: 60_000 }, async () => {
    const labId = labIdFor('k', 's');
    const { plan, model, sims } = planFor(labId);
    await labDown(labId, { stateDir: STATE_DIR }); // a crashed earlier run with the same PID
    const before = rootFingerprint();
    let inodes = new Set<number>();
    let left: string[] = [];
    try {
      const r = await withTemporaryLab(plan, model, sims, async (s) => {
        const made = await populate(s.h, plan);
        inodes = labInodes(labId);
        expectPopulated(labId, plan, made, inodes);
        return made;
      }, { stateDir: STATE_DIR });
      expect(r.ok ? [] : r.problems).toEqual([]);
      if (r.ok) console.log(`leak/success ${labId}: lab up ${r.up.timings.totalMs} ms (${r.up.namespaces} namespaces), lab down ${r.down.ms} ms, killed ${r.down.killedPids.length}`);
      expect(r.ok && r.down.killedPids).toContain(r.ok ? r.value.daemon : -1);
      left = leftovers(labId, inodes);
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(inodes.size).toBeGreaterThan(plan.namespaces.length - 1);
    expect(left).toEqual([]);
    expect(fingerprintChange(before, rootFingerprint())).toEqual([]);
  });

  it('servers started while teardown runs (an interrupt during start-up) are refused or swept, never left', { timeout: 60_000 }, async () => {
    const labId = labIdFor('k', 'r');
    const { plan } = planFor(labId);
    await labDown(labId, { stateDir: STATE_DIR });
    const h = { labId, stateDir: STATE_DIR };
    let inodes = new Set<number>();
    let left: string[] = [];
    try {
      const up = await labUp(plan, { stateDir: STATE_DIR });
      expect(up.problems).toEqual([]);
      inodes = labInodes(labId);
      // Keep starting daemons in every pod while the lab is torn down, as startServers' workers do.
      let stop = false;
      const starters = plan.pods.map(async (p, i) => {
        const refused: string[] = [];
        for (let k = 0; !stop && k < 20; k++) {
          const d = await startDaemon(h, p.ns, `race-${i}-${k}`, [process.execPath, '-e', DAEMON], /listening/, 3000).catch((e: Error) => ({ problem: e.message }));
          if ('problem' in d) refused.push(d.problem);
        }
        return refused;
      });
      await sleep(150);
      const down = await labDown(labId, { stateDir: STATE_DIR });
      stop = true;
      const refused = (await Promise.all(starters)).flat();
      expect(down.problems).toEqual([]);
      // Some start was cut off by the teardown (refused, or its namespace was gone).
      expect(refused.length).toBeGreaterThan(0);
      await sleep(200);
      left = leftovers(labId, inodes);
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(left).toEqual([]);
  });

  it('after a failure in the run: the same, and the error is reported', { timeout: 60_000 }, async () => {
    const labId = labIdFor('k', 'f');
    const { plan, model, sims } = planFor(labId);
    await labDown(labId, { stateDir: STATE_DIR });
    const before = rootFingerprint();
    let inodes = new Set<number>();
    let left: string[] = [];
    try {
      const r = await withTemporaryLab(plan, model, sims, async (s) => {
        const made = await populate(s.h, plan);
        inodes = labInodes(labId);
        expectPopulated(labId, plan, made, inodes);
        throw new Error('a failure planted by the leak test');
      }, { stateDir: STATE_DIR });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.problems[0]).toContain('a failure planted by the leak test');
        expect(r.problems).toHaveLength(1);
        expect(r.down?.ok).toBe(true);
        console.log(`leak/failure ${labId}: lab up ${r.up?.timings.totalMs} ms, lab down ${r.down?.ms} ms`);
      }
      left = leftovers(labId, inodes);
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(inodes.size).toBeGreaterThan(0);
    expect(left).toEqual([]);
    expect(fingerprintChange(before, rootFingerprint())).toEqual([]);
  });

  // labUp fails half way and must tear down what it made; each breaks a later step than the last.
  const breakers: [string, string, (p: LabPlan) => LabPlan, RegExp][] = [
    ['a bad ip batch line in a node', 'n', (p) => ({ ...p, nodes: p.nodes.map((n, i) => (i === 1 ? { ...n, lines: [...n.lines, 'link set nosuchdev0 up'] } : n)) }), /^Building node \S+ in hnlab-/],
    ['a bad ip batch line in a pod', 'p', (p) => ({ ...p, pods: p.pods.map((x, i) => (i === p.pods.length - 1 ? { ...x, lines: [...x.lines, 'route add 10.250.0.0/16 dev nosuchdev0'] } : x)) }), /^Configuring pod .* in hnlab-/],
    ['a rule iptables-restore rejects', 'i', (p) => ({ ...p, nodes: p.nodes.map((n, i) => (i === p.nodes.length - 1 ? { ...n, iptables: `${n.iptables}*filter\n-A NO-SUCH-CHAIN -j ACCEPT\nCOMMIT\n` } : n)) }), /iptables-restore/],
  ];
  it.each(breakers)('after labUp fails half way (%s): it tears down what it made', { timeout: 60_000 }, async (what, tag, breakPlan, problem) => {
    const labId = labIdFor('k', `b${tag}`);
    const plan = breakPlan(planFor(labId).plan);
    await labDown(labId, { stateDir: STATE_DIR });
    const before = rootFingerprint();
    let left: string[] = [];
    try {
      const up = await labUp(plan, { stateDir: STATE_DIR });
      console.log(`leak/half-built ${labId} (${what}): labUp failed after ${up.timings.totalMs} ms ${JSON.stringify(up.timings.steps)}`);
      expect(up.ok).toBe(false);
      // Exactly the build failure: the teardown itself reported nothing.
      expect(up.problems).toHaveLength(1);
      expect(up.problems[0]).toMatch(problem);
      // labUp ran no process, so there are no inodes to look for.
      left = leftovers(labId, new Set());
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(left).toEqual([]);
    expect(fingerprintChange(before, rootFingerprint())).toEqual([]);
  });

  it('after a SIGKILLed run: labDoctor lists what is left, labCleanup removes all of it', { timeout: 60_000 }, async () => {
    const labId = labIdFor('k', 'x');
    await labDown(labId, { stateDir: STATE_DIR });
    const before = rootFingerprint();
    const run = startChild('kill', labId, 3);
    let left: string[] = [];
    let inodes = new Set<number>();
    try {
      const { daemon } = (await run.line()) as { daemon: number };
      inodes = labInodes(labId);
      const state = readState(labId, STATE_DIR)!;
      expect(state.detached).toBe(false);
      const orphans = descendants(run.child.pid!).filter((p) => p !== daemon);
      run.child.kill('SIGKILL');
      expect((await run.exit).signal).toBe('SIGKILL');
      expect(await waitGone(orphans)).toEqual([]);

      // The daemon outlived its owner: the state file is what finds it.
      expect(inodes.has(netnsInode(`/proc/${daemon}/ns/net`) ?? -1)).toBe(true);
      const doctor = labDoctor(STATE_DIR).filter((l) => l.labId === labId);
      const kinds = (k: string): string[] => doctor.filter((l) => l.kind === k).map((l) => l.what).sort();
      expect(kinds('state-file')).toEqual([join(STATE_DIR, `${labId}.json`)]);
      expect(doctor.find((l) => l.kind === 'state-file')?.why).toMatch(/owner \(PID \d+\) is gone and the lab was not meant to outlive it/);
      expect(kinds('netns')).toEqual(state.namespaces.map((n) => n.name).sort());
      expect(kinds('netns')).toContain(aliasOf(labId));
      expect(kinds('etc-netns')).toHaveLength(2);
      expect(kinds('process').join(' ')).toContain(`PID ${daemon} `);

      const results = await labCleanup({ lab: labId, stateDir: STATE_DIR });
      expect(results.map((r) => r.problems)).toEqual([[]]);
      expect(results[0]!.killedPids).toContain(daemon);
      console.log(`leak/killed ${labId}: labCleanup ${results[0]!.ms} ms, ${results[0]!.removedNamespaces.length} namespaces, killed ${results[0]!.killedPids.join(',')}`);
      left = leftovers(labId, inodes);
    } finally {
      run.child.kill('SIGKILL');
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(left).toEqual([]);
    expect(fingerprintChange(before, rootFingerprint())).toEqual([]);
  });

  it('after a run SIGKILLed while it builds: doctor finds the half-built lab, cleanup removes it', { timeout: 60_000 }, async () => {
    const labId = labIdFor('k', 'm');
    await labDown(labId, { stateDir: STATE_DIR });
    const before = rootFingerprint();
    const run = startChild('build', labId, 40);
    let left: string[] = [];
    let inodes = new Set<number>();
    let phase: LabState['phase'] | undefined;
    try {
      // Kill as soon as the state file says "creating" and some namespace exists.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const s = readState(labId, STATE_DIR);
        const made = existsSync('/run/netns') && readdirSync('/run/netns').some((n) => n.startsWith(`hnlab-${labId}-`));
        if (s && made) {
          phase = s.phase;
          break;
        }
        if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(`the child never started building: ${(await run.exit).stderr}`);
        await sleep(1);
      }
      const orphans = descendants(run.child.pid!);
      run.child.kill('SIGKILL');
      await run.exit;
      expect(await waitGone(orphans)).toEqual([]);
      inodes = labInodes(labId);
      const state = readState(labId, STATE_DIR)!;
      console.log(`leak/killed-while-building ${labId}: killed in phase ${phase}, ${listLabNetns().filter((n) => n.startsWith(`hnlab-${labId}-`)).length} of ${state.namespaces.length} namespaces existed`);
      expect(phase).toBe('creating');
      const doctor = labDoctor(STATE_DIR).filter((l) => l.labId === labId);
      expect(doctor.find((l) => l.kind === 'state-file')?.why).toMatch(/left in phase "creating"/);
      expect(doctor.filter((l) => l.kind === 'netns').length).toBeGreaterThan(0);

      const results = await labCleanup({ lab: labId, stateDir: STATE_DIR });
      expect(results.map((r) => r.problems)).toEqual([[]]);
      left = leftovers(labId, inodes);
    } finally {
      run.child.kill('SIGKILL');
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(left).toEqual([]);
    expect(fingerprintChange(before, rootFingerprint())).toEqual([]);
  });

  it('a process that keeps a deleted lab namespace alive: doctor finds it by inode, cleanup kills it', { timeout: 60_000 }, async () => {
    const labId = labIdFor('k', 'd');
    await labDown(labId, { stateDir: STATE_DIR });
    const before = rootFingerprint();
    const run = startChild('build', labId, 3);
    let left: string[] = [];
    let inodes = new Set<number>();
    let stray: ChildProcess | undefined;
    try {
      expect(await run.line()).toMatchObject({ ready: true });
      run.child.kill('SIGKILL'); // the owner is gone: the lab is a leftover
      await run.exit;
      inodes = labInodes(labId);
      const pod = readState(labId, STATE_DIR)!.namespaces.find((n) => /-p\d+$/.test(n.name))!;
      // A process the state file does not know, in a namespace then deleted behind the lab's back:
      // invisible to `ip netns list`, it keeps the namespace with its links alive (README §12).
      stray = spawnInLab(labNs(pod.name), [process.execPath, '-e', 'setInterval(() => {}, 1000)']);
      await sleep(50);
      expect(ipBatchRoot([`netns del ${pod.name}`]).ok).toBe(true);
      expect(listLabNetns()).not.toContain(pod.name);
      expect(netnsInode(`/proc/${stray.pid}/ns/net`)).toBe(pod.inode);
      expect(leftovers(labId, inodes).join('\n')).toContain(`process ${stray.pid} `);

      const doctor = labDoctor(STATE_DIR).filter((l) => l.labId === labId && l.kind === 'process');
      expect(doctor.map((l) => l.what)).toEqual([`PID ${stray.pid} (node)`]);
      const results = await labCleanup({ lab: labId, stateDir: STATE_DIR });
      expect(results.map((r) => r.problems)).toEqual([[]]);
      expect(results[0]!.killedPids).toContain(stray.pid);
      left = leftovers(labId, inodes);
    } finally {
      run.child.kill('SIGKILL');
      stray?.kill('SIGKILL');
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(left).toEqual([]);
    expect(fingerprintChange(before, rootFingerprint())).toEqual([]);
  });

  it('a recorded inode alone does not make a process the lab\'s: not another program, not one older than the lab', { timeout: 60_000 }, async () => {
    // The kernel reuses a freed namespace's inode number, so a stale state file may "record" the
    // namespace of, say, a container. Simulated without touching anything foreign: a namespace of
    // a healthy lab, unnamed behind its back, that a fake stale state file claims by inode.
    const labId = labIdFor('k', 'r');
    const fake = labIdFor('k', 'q');
    const { plan } = planFor(labId, 1);
    await labDown(labId, { stateDir: STATE_DIR });
    await labDown(fake, { stateDir: STATE_DIR });
    const keepAlive = (title: string): string => `process.title = ${JSON.stringify(title)}; setInterval(() => {}, 1000); console.log('up');`;
    const procs: ChildProcess[] = [];
    try {
      expect((await labUp(plan, { stateDir: STATE_DIR })).problems).toEqual([]);
      const pod = plan.pods[0]!.ns;
      const ino = netnsInode(`/run/netns/${pod}`)!;
      const foreign = spawnInLab(labNs(pod), [process.execPath, '-e', keepAlive('containerd-shim')]);
      const ours = spawnInLab(labNs(pod), [process.execPath, '-e', keepAlive('node')]);
      procs.push(foreign, ours);
      for (const c of procs) await new Promise((r) => c.stdout!.once('data', r));
      expect(ipBatchRoot([`netns del ${pod}`]).ok).toBe(true);
      const dead = spawn('true');
      await new Promise((r) => dead.on('exit', r));
      const claim = (createdAt: Date): void => writeState(STATE_DIR, {
        version: 1, labId: fake, cluster: 'x', ownerPid: dead.pid!, ownerStart: 'gone', createdAt: createdAt.toISOString(), phase: 'up',
        detached: false, namespaces: [{ name: `hnlab-${fake}-gone`, inode: ino }], pids: [], etcNetns: [],
      });
      const strays = (): string[] => labDoctor(STATE_DIR).filter((l) => l.labId === fake && l.kind === 'process').map((l) => l.what);

      claim(new Date(Date.now() + 60_000)); // a lab made after both processes started
      expect(strays()).toEqual([]);
      claim(new Date(Date.now() - 60_000));
      expect(strays()).toEqual([`PID ${ours.pid} (node)`]);
      const results = await labCleanup({ lab: fake, stateDir: STATE_DIR });
      expect(results[0]!.killedPids).toEqual([ours.pid]);
      expect(netnsInode(`/proc/${foreign.pid}/ns/net`)).toBe(ino); // untouched
      expect(readState(fake, STATE_DIR)).toBeUndefined();
    } finally {
      for (const c of procs) c.kill('SIGKILL');
      await labDown(fake, { stateDir: STATE_DIR });
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(await waitGone(procs.map((c) => c.pid!))).toEqual([]);
    expect(leftovers(labId, new Set())).toEqual([]);
    expect(leftovers(fake, new Set())).toEqual([]);
  });

  it.each([['SIGINT', 130, 'i'], ['SIGTERM', 143, 't']] as const)('a run that gets %s during withTemporaryLab tears down by itself and exits %i', { timeout: 60_000 }, async (signal, exitCode, tag) => {
    const labId = labIdFor('k', `s${tag}`);
    await labDown(labId, { stateDir: STATE_DIR });
    const before = rootFingerprint();
    const run = startChild('session', labId, 3);
    let left: string[] = [];
    let inodes = new Set<number>();
    try {
      const { daemon } = (await run.line()) as { daemon: number };
      inodes = labInodes(labId);
      expect(inodes.has(netnsInode(`/proc/${daemon}/ns/net`) ?? -1)).toBe(true);
      const t0 = performance.now();
      run.child.kill(signal);
      const exit = await run.exit;
      console.log(`leak/${signal} ${labId}: the child tore down and exited in ${Math.round(performance.now() - t0)} ms`);
      expect(exit.stderr).toContain(`${signal} received; tearing lab ${labId} down before exiting`);
      expect(exit.code).toBe(exitCode);
      left = leftovers(labId, inodes);
    } finally {
      run.child.kill('SIGKILL');
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(left).toEqual([]);
    expect(fingerprintChange(before, rootFingerprint())).toEqual([]);
  });
});

describe.skipIf(skip !== undefined)(`exec.ts guards on a real lab${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(buildDist, 180_000);

  it('refuses other programs, other sysctls, root-namespace changes, its own namespace and processes outside the lab', { timeout: 60_000 }, async () => {
    const labId = labIdFor('k', 'g');
    const { plan } = planFor(labId, 1);
    await labDown(labId, { stateDir: STATE_DIR });
    const before = rootFingerprint();
    const pidMax = readFileSync('/proc/sys/kernel/pid_max', 'utf8');
    const outsider = spawn('sleep', ['60'], { stdio: 'ignore' }); // in the root namespace
    let left: string[] = [];
    let inodes = new Set<number>();
    try {
      const up = await labUp(plan, { stateDir: STATE_DIR });
      expect(up.problems).toEqual([]);
      const h = handleOf(labId, STATE_DIR);
      const node = labNs(plan.nodes[0]!.ns);
      const other = labNs(plan.fabric.ns);
      const d = await startDaemon(h, node, 'guard-daemon', [process.execPath, '-e', DAEMON], /listening/);
      if ('problem' in d) throw new Error(d.problem);
      inodes = labInodes(labId);

      // Programs: only node (this very binary), dnsmasq, ping, getent, dig, iperf3.
      for (const argv of [['sh', '-c', 'true'], ['/bin/sh'], ['bash'], ['ip', 'link'], ['iptables', '-F'], ['sysctl', '-w', 'kernel.pid_max=32768'], ['nsenter', '-t', '1', '-n'], ['node', '-e', '1'], ['/usr/sbin/dnsmasq'], []]) {
        expect(() => spawnInLab(node, argv), argv.join(' ')).toThrow(/only node, dnsmasq, ping, getent, dig and iperf3 run in the lab/);
        expect(() => runInLab(node, argv), argv.join(' ')).toThrow(/only node, dnsmasq, ping, getent, dig and iperf3 run in the lab/);
      }
      // Sysctls: an exact whitelist; kernel.*, vm.*, fs.* are the host's even inside a netns.
      for (const key of ['kernel.pid_max', 'vm.swappiness', 'fs.file-max', 'net.core.rmem_max', 'net.ipv4.conf.eth0.rp_filter', 'net.ipv4.conf.a/b.forwarding', 'net.ipv4.ip_forward.x']) {
        expect(() => sysctl(node, [['net.ipv4.ip_forward', '1'], [key, '1']]), key).toThrow(/not on the lab's whitelist/);
      }
      expect(() => sysctl(node, [['net.ipv4.ip_forward', '1 kernel.pid_max=32768']])).toThrow(/not a number/);
      expect(sysctl(node, [['net.ipv4.ip_forward', '1']]).ok).toBe(true); // the whitelist is not empty
      expect(readFileSync('/proc/sys/kernel/pid_max', 'utf8')).toBe(pidMax);
      // The root namespace only gets netns add|del|attach of lab names.
      for (const line of ['link add hnlab0 type dummy', 'route add 10.250.0.0/16 dev lo', 'netns add web', 'netns del default', 'netns exec hnlab-x-y sh', `netns attach ${labId}x 1`, 'addr flush dev eth0']) {
        expect(() => ipBatchRoot([line]), line).toThrow(/refusing root-namespace ip command/);
      }
      // Inside a lab namespace: no line may reach another namespace that is not the lab's.
      expect(() => ipBatchIn(node, ['link add v0 type veth peer name v1 netns 1'])).toThrow(/is not a lab namespace name/);
      expect(() => ipBatchIn(node, [`link set eth0 netns ${labId}`])).toThrow(/is not a lab namespace name/);
      expect(() => ipBatchIn(node, ['-n hnlab-x-y link'])).toThrow(/would leave the namespace/);
      expect(() => ipShowIn(node, ['link', 'set', 'eth0', 'down'])).toThrow(/only read-only show commands/);
      // Namespaces: not a lab name, a lab name that does not exist.
      expect(labNsProblem('default')).toMatch(/is not a lab namespace name/);
      expect(labNsProblem(`hnlab-${labId}-nosuchnode`)).toMatch(/does not exist in \/run\/netns/);
      expect(labNsProblem(node)).toBeUndefined();

      // Seen from a process inside the node namespace, that namespace is "its own" and refused,
      // while another lab namespace is fine; the same guard stops killLabPid there.
      const inside = runInLab(node, [process.execPath, '--input-type=module', '-e', `
        import { labNsProblem, killLabPid, ownNetnsInode, ipBatchIn } from '${pathToFileURL(join(ROOT, 'dist', 'lab', 'exec.js')).href}';
        let thrown = '';
        try { ipBatchIn(${JSON.stringify(node)}, ['link set lo up']); } catch (e) { thrown = e.message; }
        console.log(JSON.stringify({ own: labNsProblem(${JSON.stringify(node)}), other: labNsProblem(${JSON.stringify(other)}), thrown,
          killSibling: killLabPid(${d.pid}, new Set([ownNetnsInode()]), 'SIGKILL') }));
      `]);
      expect(inside.stderr).toBe('');
      const seen = JSON.parse(inside.stdout) as { own?: string; other?: string; thrown: string; killSibling: boolean };
      expect(seen.own).toBe(`The network namespace ${node} is hostnet's own namespace (the host), so the lab refuses to touch it.`);
      expect(seen.other).toBeUndefined();
      expect(seen.thrown).toBe(seen.own);
      expect(seen.killSibling).toBe(false);
      expect(netnsInode(`/proc/${d.pid}/ns/net`)).toBe(netnsInode(`/run/netns/${node}`)); // still alive

      // killLabPid: nothing outside the lab's namespaces, whatever set it is given.
      const labSet = labInodes(labId);
      expect(killLabPid(process.pid, labSet)).toBe(false);
      expect(killLabPid(outsider.pid!, labSet)).toBe(false);
      expect(killLabPid(outsider.pid!, new Set([...labSet, ownNetnsInode()]))).toBe(false);
      for (const pid of [1, 0, -1, 1.5, Number.NaN]) expect(killLabPid(pid, new Set([ownNetnsInode()])), String(pid)).toBe(false);
      expect(outsider.exitCode).toBeNull();
      expect(existsSync(`/proc/${outsider.pid}`)).toBe(true);
      // …and it does kill a lab process (so the refusals above mean something).
      expect(killLabPid(d.pid, labSet, 'SIGKILL')).toBe(true);
      expect(await waitGone([d.pid])).toEqual([]);

      const down = await labDown(labId, { stateDir: STATE_DIR });
      expect(down.problems).toEqual([]);
      left = leftovers(labId, inodes);
    } finally {
      outsider.kill('SIGKILL');
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(left).toEqual([]);
    expect(fingerprintChange(before, rootFingerprint())).toEqual([]);
  });
});
