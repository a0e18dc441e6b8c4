/**
 * `hostnet lab bench`: TCP throughput (iperf3) and request/response latency (a Node ping-pong, one
 * outstanding 64-byte message, setNoDelay, warm-up first; lab README §8) over five paths in a lab
 * built for the run and torn down after it. The lab is two workers of the embedded default cluster
 * with a client pod on worker-1 and a server pod on worker-2 that has hostPorts and is the only
 * endpoint of a ClusterIP Service; hostNetwork is a process in each node's namespace; the
 * host → host baseline is two more namespaces joined by one veth. Servers and clients only run
 * inside lab namespaces, every kernel change goes through exec.ts, and the two extra namespaces are
 * recorded in the state file before they are made, so teardown removes them with the rest.
 */
import { availableParallelism, loadavg } from 'node:os';
import { loadText } from '../load/objects.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { buildModel, type Model } from '../model/model.js';
import { simulations, type Simulations } from '../sim/simulations.js';
import { benchReport, latencyOf, parseIperf3, PATHS, pathInfo, type BenchReport, type BenchSettings, type Latency, type PathId, type PathMeasurement, type Throughput } from './bench-report.js';
import { ipBatchIn, ipBatchRoot, labNs, labNsProblem, netnsInode, spawnInLab, type LabNs, type RunResult } from './exec.js';
import { planLab, type LabPlan } from './plan.js';
import { startDaemon, updateState, type LabHandle } from './runtime.js';
import { withTemporaryLab } from './session.js';

const IPERF_PORT = 5201;
const PINGPONG_PORT = 7000;
const HOST_PORT_IPERF = 15201;
const HOST_PORT_PINGPONG = 17000;
const MESSAGE_BYTES = 64;
/** TEST-NET-1 (RFC 5737): never routed anywhere, and only ever inside the two baseline namespaces. */
const HOST_A_IP = '192.0.2.1';
const HOST_B_IP = '192.0.2.2';
const NODES = ['worker-1', 'worker-2'] as const;

/** What the bench lab runs: nodeName pins the client to worker-1 and the server to worker-2. */
export const BENCH_MANIFESTS = `
apiVersion: v1
kind: Pod
metadata: {name: bench-client}
spec:
  nodeName: worker-1
  containers: [{name: client, image: hostnet.dev/bench}]
---
apiVersion: v1
kind: Pod
metadata: {name: bench-server, labels: {app: bench-server}}
spec:
  nodeName: worker-2
  containers:
  - name: server
    image: hostnet.dev/bench
    ports:
    - {name: iperf3, containerPort: ${IPERF_PORT}, hostPort: ${HOST_PORT_IPERF}}
    - {name: pingpong, containerPort: ${PINGPONG_PORT}, hostPort: ${HOST_PORT_PINGPONG}}
---
apiVersion: v1
kind: Service
metadata: {name: bench-server}
spec:
  selector: {app: bench-server}
  ports:
  - {name: iperf3, port: ${IPERF_PORT}}
  - {name: pingpong, port: ${PINGPONG_PORT}}
`;

/** Echoes every byte back at once; prints `listening` when bound. argv[1]: the port. */
const PINGPONG_SERVER = `
const net = require('node:net');
const srv = net.createServer((s) => { s.setNoDelay(true); s.on('data', (b) => s.write(b)); s.on('error', () => {}); });
srv.on('error', (e) => { console.error('pingpong server: ' + e.message); process.exit(1); });
srv.listen(Number(process.argv[1]), '0.0.0.0', () => console.log('listening'));
`;

/**
 * One connection, one outstanding message at a time: `warm` round trips first, then `n` timed
 * ones. Prints a JSON array of round-trip times in µs. argv[1..5]: host port n warm size.
 */
const PINGPONG_CLIENT = `
const net = require('node:net');
const [host, port, n, warm, size] = [process.argv[1], ...process.argv.slice(2, 6).map(Number)];
const msg = Buffer.alloc(size, 0x61);
const rtts = new Array(n);
let i = -warm, got = 0, t0 = 0n;
const s = net.connect({ host, port }, () => { s.setNoDelay(true); t0 = process.hrtime.bigint(); s.write(msg); });
s.setTimeout(10000, () => { console.error('no answer from ' + host + ':' + port + ' within 10 s'); process.exit(3); });
s.on('data', (buf) => {
  got += buf.length;
  if (got < size) return;
  got -= size;
  const t1 = process.hrtime.bigint();
  if (i >= 0) rtts[i] = Math.round(Number(t1 - t0) / 10) / 100;
  if (++i >= n) { s.destroy(); process.stdout.write(JSON.stringify(rtts)); return; }
  t0 = process.hrtime.bigint();
  s.write(msg);
});
s.on('error', (e) => { console.error('connecting to ' + host + ':' + port + ': ' + (e.code || e.message)); process.exit(2); });
`;

export interface BenchProgress {
  readonly kind: 'start' | 'done';
  readonly step: number;
  readonly total: number;
  readonly text: string;
  /** With `done`: what the step found, e.g. `14.2 Gbit/s`. */
  readonly result?: string;
}

export interface BenchOptions {
  readonly labId: string;
  /** iperf3 seconds per path, after one omitted second. */
  readonly seconds: number;
  readonly roundTrips: number;
  readonly stateDir?: string;
  readonly onProgress?: (p: BenchProgress) => void;
}

export type BenchRun =
  | { readonly ok: true; readonly report: BenchReport }
  /** `report` is there when the lab ran but some path was not measured. */
  | { readonly ok: false; readonly problems: readonly string[]; readonly report?: BenchReport };

/** The bench's cluster: two workers of the embedded default cluster, and the manifests above. */
export function benchModel(): Model {
  const loaded = loadText('hostnet lab bench (embedded manifests)', BENCH_MANIFESTS);
  if (loaded.issues.length > 0) throw new Error(`the bench's embedded manifests do not load: ${loaded.issues.map((i) => i.message).join('; ')}`);
  const nodes = DEFAULT_CLUSTER.nodes.filter((n) => (NODES as readonly string[]).includes(n.name));
  return buildModel(loaded.objects, { ...DEFAULT_CLUSTER, nodes });
}

export const warmUpFor = (roundTrips: number): number => Math.min(2000, Math.max(50, Math.round(roundTrips / 10)));

/** Where each path's client runs and what it dials, found in the plan and the simulation. */
interface Endpoints {
  readonly clientPod: { ns: string; ip: string };
  readonly serverPod: { ns: string; ip: string };
  readonly node1: { ns: string; ip: string };
  readonly node2: { ns: string; ip: string };
  readonly clusterIP: string;
  readonly hostA: string;
  readonly hostB: string;
}

function endpointsOf(plan: LabPlan, sims: Simulations): Endpoints | { problem: string } {
  const podOf = (name: string): { ns: string; ip: string } | undefined => {
    const running = sims.running().find((r) => r.view.object.name === name);
    const p = running && plan.pods.find((x) => x.pod === running.name);
    return p && { ns: p.ns, ip: p.ip };
  };
  const nodeOf = (name: string): { ns: string; ip: string } | undefined => {
    const n = plan.nodes.find((x) => x.node === name);
    return n && { ns: n.ns, ip: n.ip };
  };
  const clientPod = podOf('bench-client');
  const serverPod = podOf('bench-server');
  const node1 = nodeOf(NODES[0]);
  const node2 = nodeOf(NODES[1]);
  if (!clientPod || !serverPod || !node1 || !node2) return { problem: 'The bench lab plan lacks the client pod, the server pod or one of the two nodes (a bug in hostnet).' };
  const eps = sims.endpoints().find((e) => e.service.name === 'bench-server');
  const clusterIP = eps?.service.clusterIP;
  // The ClusterIP path must end in the pod on the other node and nowhere else.
  const onlyServer = eps?.ports.every((p) => p.endpoints.length === 1 && p.endpoints[0]!.ip === serverPod.ip) ?? false;
  if (!clusterIP || !onlyServer) return { problem: 'The Service bench-server does not have the server pod as its only endpoint (a bug in hostnet).' };
  const prefix = `hnlab-${plan.labId}-`;
  const hostA = `${prefix}hosta`;
  const hostB = `${prefix}hostb`;
  if (plan.namespaces.includes(hostA) || plan.namespaces.includes(hostB)) return { problem: `The lab plan already has a namespace named ${hostA} or ${hostB}.` };
  return { clientPod, serverPod, node1, node2, clusterIP, hostA, hostB };
}

/** The host → host baseline: two namespaces and one veth between them, recorded before they are made. */
function buildHostPair(h: LabHandle, a: string, b: string): string | undefined {
  if (!updateState(h, (s) => { for (const name of [a, b]) if (!s.namespaces.some((n) => n.name === name)) s.namespaces.push({ name }); })) {
    return `Lab ${h.labId} has no state file, so the host → host namespaces were not made.`;
  }
  const added = ipBatchRoot([`netns add ${a}`, `netns add ${b}`]);
  updateState(h, (s) => {
    for (const n of s.namespaces) {
      const ino = n.name === a || n.name === b ? netnsInode(`/run/netns/${n.name}`) : undefined;
      if (ino !== undefined) n.inode = ino;
    }
  });
  if (!added.ok) return `Creating the host → host namespaces failed: ${added.stderr.trim()}.`;
  const bad = labNsProblem(a) ?? labNsProblem(b);
  if (bad) return bad;
  // The veth is made already split: one end in each namespace, never in the root one.
  const ra = ipBatchIn(labNs(a), ['link set lo up', `link add eth0 type veth peer name eth0 netns ${b}`, `addr add ${HOST_A_IP}/30 dev eth0`, 'link set eth0 up']);
  if (!ra.ok) return `Building ${a} failed: ${ra.stderr.trim()}.`;
  const rb = ipBatchIn(labNs(b), ['link set lo up', `addr add ${HOST_B_IP}/30 dev eth0`, 'link set eth0 up']);
  return rb.ok ? undefined : `Building ${b} failed: ${rb.stderr.trim()}.`;
}

/** iperf3 and the ping-pong server in one namespace; a problem sentence when either did not start. */
async function startServers(h: LabHandle, ns: string, tag: string): Promise<string | undefined> {
  const iperf = await startDaemon(h, ns, `bench-iperf3-${tag}`, ['iperf3', '-s', '-p', String(IPERF_PORT), '--forceflush'], /Server listening/);
  if ('problem' in iperf) return iperf.problem;
  const pp = await startDaemon(h, ns, `bench-pingpong-${tag}`, [process.execPath, '-e', PINGPONG_SERVER, String(PINGPONG_PORT)], /listening/);
  return 'problem' in pp ? pp.problem : undefined;
}

/** A client inside a lab namespace, waited for without blocking (so progress keeps ticking). */
function runClient(ns: LabNs, argv: readonly string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawnInLab(ns, argv);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, status: null, stdout, stderr: stderr + String(e) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0 && !timedOut, status: code, stdout, stderr: timedOut ? `${stderr}no result within ${Math.round(timeoutMs / 1000)} s` : stderr });
    });
  });
}

async function measureThroughput(ns: string, ip: string, port: number, seconds: number): Promise<Throughput | { problem: string }> {
  const r = await runClient(labNs(ns), ['iperf3', '-c', ip, '-p', String(port), '-t', String(seconds), '-O', '1', '-J'], (seconds + 1) * 1000 + 20_000);
  const parsed = parseIperf3(r.stdout);
  if ('problem' in parsed && r.stderr.trim()) return { problem: `${parsed.problem} ${r.stderr.trim()}` };
  return parsed;
}

async function measureLatency(ns: string, ip: string, port: number, roundTrips: number, warmUp: number): Promise<Latency | { problem: string }> {
  const argv = [process.execPath, '-e', PINGPONG_CLIENT, ip, String(port), String(roundTrips), String(warmUp), String(MESSAGE_BYTES)];
  const r = await runClient(labNs(ns), argv, 30_000 + (roundTrips + warmUp) * 2);
  if (!r.ok) return { problem: `The latency client failed: ${r.stderr.trim() || `exit status ${r.status}`}.` };
  let samples: unknown;
  try {
    samples = JSON.parse(r.stdout);
  } catch {
    return { problem: 'The latency client printed no JSON.' };
  }
  const l = Array.isArray(samples) && samples.every((x) => typeof x === 'number') ? latencyOf(samples as number[]) : undefined;
  return l ?? { problem: `The latency client printed no usable round-trip times (${roundTrips} expected).` };
}

interface PathTarget {
  readonly id: PathId;
  readonly clientNs: string;
  readonly clientIp: string;
  readonly ip: string;
  readonly iperfPort: number;
  readonly pingpongPort: number;
  /** Why this path cannot be measured (its server did not start), when it cannot. */
  readonly blocked?: string;
}

/** Build the lab, measure every path, tear it down. Never throws for expected problems. */
export async function runBench(o: BenchOptions): Promise<BenchRun> {
  const t0 = performance.now();
  const model = benchModel();
  const sims = simulations(model);
  const planned = planLab(o.labId, model, sims);
  if (!planned.ok) return { ok: false, problems: planned.problems };
  const plan = planned.plan;
  const ep = endpointsOf(plan, sims);
  if ('problem' in ep) return { ok: false, problems: [ep.problem] };
  const warmUp = warmUpFor(o.roundTrips);
  const settings: BenchSettings = { seconds: o.seconds, roundTrips: o.roundTrips, warmUp, messageBytes: MESSAGE_BYTES, cpus: availableParallelism(), loadAverage: Math.round(loadavg()[0]! * 100) / 100 };
  const total = 3 + PATHS.length * 2;
  let step = 0;
  const start = (text: string): void => o.onProgress?.({ kind: 'start', step: ++step, total, text });
  const done = (text: string, result: string): void => o.onProgress?.({ kind: 'done', step, total, text, result });

  start(`building the lab (${plan.namespaces.length + 2} network namespaces)`);
  const session = await withTemporaryLab(plan, model, sims, async ({ h }) => {
    done('building the lab', 'up');
    start('starting iperf3 and ping-pong servers');
    const pairProblem = buildHostPair(h, ep.hostA, ep.hostB);
    const hostServer = pairProblem ?? (await startServers(h, ep.hostB, 'hostb'));
    const nodeServer = await startServers(h, ep.node2.ns, 'node');
    const podServer = await startServers(h, ep.serverPod.ns, 'pod');
    done('starting servers', [hostServer, nodeServer, podServer].every((p) => p === undefined) ? '3 pairs listening' : 'some failed');

    const fromPod = { clientNs: ep.clientPod.ns, clientIp: ep.clientPod.ip };
    const targets: PathTarget[] = [
      { id: 'host', clientNs: ep.hostA, clientIp: HOST_A_IP, ip: HOST_B_IP, iperfPort: IPERF_PORT, pingpongPort: PINGPONG_PORT, ...(hostServer ? { blocked: hostServer } : {}) },
      { id: 'hostNetwork', clientNs: ep.node1.ns, clientIp: ep.node1.ip, ip: ep.node2.ip, iperfPort: IPERF_PORT, pingpongPort: PINGPONG_PORT, ...(nodeServer ? { blocked: nodeServer } : {}) },
      { id: 'podToPod', ...fromPod, ip: ep.serverPod.ip, iperfPort: IPERF_PORT, pingpongPort: PINGPONG_PORT, ...(podServer ? { blocked: podServer } : {}) },
      { id: 'hostPort', ...fromPod, ip: ep.node2.ip, iperfPort: HOST_PORT_IPERF, pingpongPort: HOST_PORT_PINGPONG, ...(podServer ? { blocked: podServer } : {}) },
      { id: 'clusterIP', ...fromPod, ip: ep.clusterIP, iperfPort: IPERF_PORT, pingpongPort: PINGPONG_PORT, ...(podServer ? { blocked: podServer } : {}) },
    ];
    const measured: PathMeasurement[] = [];
    for (const t of targets) {
      const label = pathInfo(t.id).label;
      const problems: string[] = [];
      let throughput: Throughput | undefined;
      let latency: Latency | undefined;
      start(`${label}: throughput, iperf3 for 1 + ${o.seconds} s`);
      if (t.blocked) {
        problems.push(`Its server did not start: ${t.blocked}`);
        done(label, 'not measured');
        start(`${label}: latency`);
        done(label, 'not measured');
      } else {
        const tp = await measureThroughput(t.clientNs, t.ip, t.iperfPort, o.seconds);
        if ('problem' in tp) problems.push(`Throughput: ${tp.problem}`);
        else throughput = tp;
        done(label, throughput ? `${throughput.gbps} Gbit/s` : 'failed');
        start(`${label}: latency, ${o.roundTrips} round trips`);
        const lt = await measureLatency(t.clientNs, t.ip, t.pingpongPort, o.roundTrips, warmUp);
        if ('problem' in lt) problems.push(`Latency: ${lt.problem}`);
        else latency = lt;
        done(label, latency ? `p50 ${latency.p50} µs, p99 ${latency.p99} µs` : 'failed');
      }
      measured.push({
        id: t.id, from: `${t.clientNs} (${t.clientIp})`, to: `${t.ip}:${t.iperfPort}`, latencyTo: `${t.ip}:${t.pingpongPort}`,
        ...(throughput ? { throughput } : {}), ...(latency ? { latency } : {}), problems,
      });
    }
    start('tearing the lab down');
    return measured;
  }, o.stateDir ? { stateDir: o.stateDir } : {});
  if (!session.ok) return { ok: false, problems: session.problems };
  done('tearing the lab down', `${session.down.removedNamespaces.length} namespaces deleted`);
  const report = benchReport(session.value, settings, {
    durationMs: performance.now() - t0,
    lab: { id: o.labId, namespaces: session.down.removedNamespaces.length, upMs: session.up.timings.totalMs, downMs: session.down.ms },
  });
  if (!report.ok) {
    const problems = report.paths.flatMap((p) => p.problems.map((why) => `${p.label}: ${why}`));
    return { ok: false, problems, report };
  }
  return { ok: true, report };
}
