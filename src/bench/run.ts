/**
 * `npm run bench`: ratios measured in one run on this machine (DESIGN.md "Performance").
 *  - check on 10k generated objects: objects/s end to end (≥ 10,000), its time over a bare js-yaml
 *    parse of the same bytes (≤ 2×), peak RSS of a fresh process doing it (≤ 300 MB);
 *  - the same on ../shared/corpus, reported (no budget: it is 7.5 MB of mostly CRDs);
 *  - scheduling 10k pods on 5k nodes with host ports, affinity and taints (≥ 5,000 pods/s), and a
 *    hostNetwork DaemonSet with maxSurge on 5k nodes whose rollout is found stuck (< 1 s);
 *  - the kubelet's resolv.conf for 150k pods, rendered (< 1 s);
 *  - kube-proxy's iptables rules for 10k Services with 50k endpoints on one node, rendered as
 *    iptables-save (< 1 s, identical every time; generating them is timed and printed beside it),
 *    and one packet traced through them (< 10 ms);
 *  - the lab: the embedded 4-node cluster with 20 pods built in network namespaces (< 2 s), as
 *    root with the tools (skipped with the reason otherwise).
 * "parse" is js-yaml 5 loadAll of the same bytes, timed in this process and, for RSS, in its own.
 * Exits 1 when a budget is missed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { readInputs } from '../load/read-inputs.js';
import { checkTexts } from '../engine/check.js';
import { generateCorpus } from './generate.js';
import { benchCluster, benchWorkloads, SURGE_DAEMONSET } from './schedule.js';
import { loadText } from '../load/objects.js';
import { buildModel } from '../model/model.js';
import { placeAll } from '../sim/schedule/place.js';
import { playRollout } from '../sim/schedule/rollout.js';
import { kubeletDnsOf } from '../sim/dns/pod-dns.js';
import { podDns, renderResolvConf, type PodDnsInput } from '../sim/dns/resolv-conf.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { benchServices } from './dataplane.js';
import { DEFAULT_KUBE_PROXY_CONFIG, writeKubeProxyRules } from '../sim/dataplane/kube-proxy.js';
import { renderIptablesSave } from '../sim/dataplane/iptables-save.js';
import { RulesetBuilder, ruleCount } from '../sim/dataplane/ruleset.js';
import { trace } from '../sim/dataplane/trace.js';
import { measureLabBuild } from './lab.js';

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, '.bench-out');
const CORPUS = join(ROOT, '..', 'shared', 'corpus');
const ROUNDS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void): number {
  (globalThis as { gc?: () => void }).gc?.();
  const t = performance.now();
  fn();
  return performance.now() - t;
}

function progress(msg: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\u001b[2K${msg}`);
}

interface Measured { objects: number; parseMs: number; checkMs: number; rssMB: number; parseRssMB: number; findings: number }

function child(script: string, paths: string[]): { maxRssMB: number } {
  return JSON.parse(execFileSync(process.execPath, [join(ROOT, 'dist', 'bench', script), ...paths], { encoding: 'utf8' })) as { maxRssMB: number };
}

async function measure(label: string, paths: string[]): Promise<Measured> {
  const { inputs } = await readInputs(paths);
  const parse: number[] = [];
  const full: number[] = [];
  let objects = 0;
  let findings = 0;
  for (let r = 0; r < ROUNDS; r++) {
    progress(`${label}: round ${r + 1}/${ROUNDS}`);
    // Interleave the two so machine noise hits both alike.
    // The baseline is js-yaml on the same bytes; a file it rejects (js-yaml is stricter than
    // kubectl's go-yaml on flow indentation) still costs what was parsed before the error.
    parse.push(time(() => {
      for (const i of inputs) {
        try { loadAll(i.text); } catch { /* counted as parsed up to the error */ }
      }
    }));
    full.push(time(() => {
      const res = checkTexts(inputs);
      objects = res.summary.objects;
      findings = res.findings.length;
    }));
  }
  progress('');
  const rssMB = child('check-once.js', paths).maxRssMB;
  const parseRssMB = child('parse-once.js', paths).maxRssMB;
  return { objects, parseMs: median(parse), checkMs: median(full), rssMB, parseRssMB, findings };
}

mkdirSync(OUT, { recursive: true });
const generated = join(OUT, 'generated-10k.yaml');
writeFileSync(generated, generateCorpus(10_000));

const rows: Array<[string, Measured]> = [['generated 10k', await measure('generated 10k', [generated])]];
if (existsSync(CORPUS)) rows.push(['shared corpus', await measure('shared corpus', [CORPUS])]);

/** Scheduling: placement of 10k pods on 5k nodes, and a stuck DaemonSet surge on 5k nodes. */
function measureScheduling(): { pods: number; pending: number; placeMs: number; dsMs: number; dsOutcome: string; dsMessage: string } {
  const cluster = benchCluster(5000);
  const model = buildModel(loadText('bench-schedule.yaml', benchWorkloads(10_000)).objects, cluster);
  const place: number[] = [];
  let pods = 0;
  let pending = 0;
  for (let r = 0; r < ROUNDS; r++) {
    progress(`scheduling 10k pods on 5k nodes: round ${r + 1}/${ROUNDS}`);
    place.push(time(() => {
      const p = placeAll(model.podViews, cluster);
      pods = p.workloads.reduce((a, w) => a + w.pods.length, 0);
      pending = p.workloads.reduce((a, w) => a + w.pods.filter((x) => x.phase !== 'Scheduled').length, 0);
    }));
  }
  const dsModel = buildModel(loadText('bench-daemonset.yaml', SURGE_DAEMONSET).objects, cluster);
  const ds: number[] = [];
  let dsOutcome = '';
  let dsMessage = '';
  for (let r = 0; r < ROUNDS; r++) {
    progress(`DaemonSet surge rollout on 5k nodes: round ${r + 1}/${ROUNDS}`);
    ds.push(time(() => {
      const p = placeAll(dsModel.podViews, cluster);
      const result = playRollout(p, p.workloads[0]!);
      dsOutcome = result.outcome;
      dsMessage = result.waiting[0]?.fitError?.message ?? '';
    }));
  }
  progress('');
  return { pods, pending, placeMs: median(place), dsMs: median(ds), dsOutcome, dsMessage };
}

const sched = measureScheduling();

/** resolv.conf for 150k pods: every policy × hostNetwork, a third with dnsConfig, rendered. */
function measureResolvConf(): { pods: number; ms: number; bytes: number } {
  const kubelet = kubeletDnsOf(DEFAULT_CLUSTER);
  const policies = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
  const pods: PodDnsInput[] = [];
  for (let i = 0; i < 150_000; i++) {
    const dnsPolicy = policies[i % 4]!;
    pods.push({
      namespace: `ns-${i % 500}`, dnsPolicy, hostNetwork: i % 3 === 0,
      ...(dnsPolicy === 'None' || i % 3 === 1
        ? { dnsConfig: { nameservers: ['10.96.0.10', `10.1.${i % 200}.53`], searches: [`team-${i % 50}.corp.example`], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }
        : {}),
    });
  }
  const runs: number[] = [];
  let bytes = 0;
  for (let r = 0; r < ROUNDS; r++) {
    progress(`resolv.conf for 150k pods: round ${r + 1}/${ROUNDS}`);
    runs.push(time(() => {
      bytes = 0;
      for (const p of pods) bytes += renderResolvConf(podDns(p, kubelet)!.conf).length;
    }));
  }
  progress('');
  return { pods: pods.length, ms: median(runs), bytes };
}

const resolv = measureResolvConf();

/** kube-proxy's rules for 10k Services with 50k endpoints on one node, rendered twice, and one packet traced through them. */
function measureDataplane(): { services: number; endpoints: number; rules: number; ms: number; generateMs: number; bytes: number; stable: boolean; traceMs: number; verdict: string } {
  const services = benchServices(10_000, 5, 100);
  const node = { name: 'node-0', ips: ['192.168.0.10'] };
  // Generation (kube-proxy's rules as data) and rendering (the iptables-save text) are timed apart:
  // the budget is on rendering; both are printed.
  const runs: number[] = [];
  const generateRuns: number[] = [];
  let first = '';
  let stable = true;
  for (let r = 0; r < ROUNDS; r++) {
    progress(`iptables for 10k Services: round ${r + 1}/${ROUNDS}`);
    let built: ReturnType<RulesetBuilder['build']> | undefined;
    generateRuns.push(time(() => {
      const b = new RulesetBuilder('ipv4');
      writeKubeProxyRules(b, node, services, { ...DEFAULT_KUBE_PROXY_CONFIG, clusterCIDRs: ['10.244.0.0/16'] });
      built = b.build();
    }));
    let text = '';
    runs.push(time(() => { text = renderIptablesSave(built!); }));
    if (r === 0) first = text;
    else stable &&= text === first;
  }
  const b = new RulesetBuilder('ipv4');
  writeKubeProxyRules(b, node, services, { ...DEFAULT_KUBE_PROXY_CONFIG, clusterCIDRs: ['10.244.0.0/16'] });
  const ruleset = b.build();
  const env = { isLocal: (ip: string) => ip === '192.168.0.10' || ip.startsWith('127.'), locate: () => ({ kind: 'unknown' as const }), routeLocalnet: true, node: 'node-0' };
  // The last Service: its rule is at the end of KUBE-SERVICES, the worst case for a linear walk.
  const last = services[services.length - 1]!.service;
  const packet = { src: '10.244.0.9', dst: last.clusterIP!, protocol: 'tcp' as const, dport: 80 };
  trace(ruleset, packet, { kind: 'pod', podIP: '10.244.0.9' }, env);
  const traces: number[] = [];
  let verdict = '';
  for (let r = 0; r < 50; r++) {
    const t = performance.now();
    const result = trace(ruleset, packet, { kind: 'pod', podIP: '10.244.0.9' }, env);
    traces.push(performance.now() - t);
    verdict = `${result.branches.length} branches, first ${result.branches[0]?.verdict.kind}`;
  }
  progress('');
  return {
    services: services.length, endpoints: services.reduce((n, s) => n + s.ports[0]!.endpoints.length, 0), rules: ruleCount(ruleset),
    ms: median(runs), generateMs: median(generateRuns), bytes: first.length, stable, traceMs: median(traces), verdict,
  };
}

const dataplane = measureDataplane();
progress('lab: building the 4-node cluster with 20 pods');
const labBuild = await measureLabBuild(3);
progress('');

let failed = false;
const line = (s: string): void => { process.stdout.write(`${s}\n`); };
line('workload        objects  findings  parse ms  check ms  objects/s  check/parse  RSS MB check  RSS MB parse');
for (const [name, m] of rows) {
  line(`${name.padEnd(14)}  ${String(m.objects).padStart(7)}  ${String(m.findings).padStart(8)}  ${m.parseMs.toFixed(0).padStart(8)}  ${m.checkMs.toFixed(0).padStart(8)}  ${Math.round(m.objects / (m.checkMs / 1000)).toString().padStart(9)}  ${(m.checkMs / m.parseMs).toFixed(2).padStart(11)}  ${m.rssMB.toFixed(0).padStart(12)}  ${m.parseRssMB.toFixed(0).padStart(12)}`);
}
const g = rows[0]![1];
const budgets: Array<[string, boolean, string]> = [
  ['objects/s ≥ 10,000', g.objects / (g.checkMs / 1000) >= 10_000, `${Math.round(g.objects / (g.checkMs / 1000))}`],
  ['check ≤ 2× bare parse', g.checkMs / g.parseMs <= 2, `${(g.checkMs / g.parseMs).toFixed(2)}×`],
  ['peak RSS ≤ 300 MB', g.rssMB <= 300, `${g.rssMB.toFixed(0)} MB`],
  ['scheduling 10k pods on 5k nodes ≥ 5,000 pods/s', sched.pods / (sched.placeMs / 1000) >= 5000,
    `${Math.round(sched.pods / (sched.placeMs / 1000))} pods/s (${sched.pods} pods, ${sched.pending} pending, ${sched.placeMs.toFixed(0)} ms)`],
  ['resolv.conf for 150k pods < 1 s', resolv.ms < 1000, `${resolv.ms.toFixed(0)} ms for ${resolv.pods} pods (${(resolv.bytes / 1e6).toFixed(1)} MB of resolv.conf)`],
  ['render iptables-save for 10k Services / 50k endpoints < 1 s, byte-stable', dataplane.ms < 1000 && dataplane.stable,
    `${dataplane.ms.toFixed(0)} ms for ${dataplane.rules} rules (${(dataplane.bytes / 1e6).toFixed(1)} MB), ${dataplane.stable ? 'identical' : 'DIFFERENT'} over ${ROUNDS} renders; generating the rules first takes ${dataplane.generateMs.toFixed(0)} ms more (${(dataplane.generateMs + dataplane.ms).toFixed(0)} ms end to end)`],
  ['trace one packet through that ruleset < 10 ms', dataplane.traceMs < 10, `${dataplane.traceMs.toFixed(2)} ms median of 50 (${dataplane.verdict})`],
  ['5k-node DaemonSet surge rollout found stuck < 1 s', sched.dsOutcome === 'stalled' && sched.dsMs < 1000,
    `${sched.dsOutcome} in ${sched.dsMs.toFixed(0)} ms (placement included): ${sched.dsMessage}`],
];
const LAB_BUDGET = 'lab: 4 nodes with 20 pods built in network namespaces < 2 s';
if (labBuild.skipped === undefined) {
  const up = labBuild.upMs.length > 0 ? median(labBuild.upMs) : Infinity;
  budgets.push([LAB_BUDGET, labBuild.problems.length === 0 && up < 2000, labBuild.problems.length > 0
    ? labBuild.problems.join(' ')
    : `${up.toFixed(0)} ms median of ${labBuild.upMs.length} (${labBuild.nodes} nodes, ${labBuild.pods} pods; torn down in ${median(labBuild.downMs).toFixed(0)} ms)`]);
}
line('');
for (const [name, ok, got] of budgets) {
  line(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${got}`);
  failed ||= !ok;
}
if (labBuild.skipped !== undefined) line(`SKIP  ${LAB_BUDGET}: ${labBuild.skipped}`);
process.exitCode = failed ? 1 : 0;
