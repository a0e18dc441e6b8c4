/**
 * `hostnet lab up|down|status|doctor|cleanup`: build the modelled cluster in network namespaces
 * (src/lab). main.ts only registers the group; everything else is here.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { check } from '../index.js';
import { labUnavailable, missingTools } from '../lab/exec.js';
import { resolve } from 'node:path';
import type { Model } from '../model/model.js';
import { labCleanup, labDoctor, labDown, labStatus, labUp, readState, type LabDownResult, type LabState } from '../lab/lab.js';
import { LAB_ID_RE, planLab } from '../lab/plan.js';
import { handleOf, updateState } from '../lab/runtime.js';
import { withTemporaryLab, type LabSession } from '../lab/session.js';
import { dnsProbeRows } from '../lab/dns.js';
import { labProcesses, startLabProcesses } from '../lab/start.js';
import type { ProbeRow } from '../lab/probe-row.js';
import { renderVerifyText, summarize, verifyNetwork } from '../lab/verify.js';
import { simulations } from '../sim/simulations.js';
import { EXIT } from './exit-codes.js';
import { defineLabBench } from './lab-bench-command.js';

// A closed stdout (e.g. piped to head) must not crash the lab after it was built.
process.stdout.on('error', () => undefined);
const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What running the pods' DNS and probing it needs beyond building namespaces. */
const DNS_TOOLS = ['dnsmasq', 'getent', 'dig'];

/** Exit 2 with the reason when the lab cannot run here (not root, tools missing). */
function unavailable(extraTools: readonly string[] = []): number | undefined {
  const why = labUnavailable() ?? (missingTools(extraTools).join(' ') || undefined);
  if (why === undefined) return undefined;
  err(`hostnet lab: ${why}\n`);
  return EXIT.usage;
}

function badId(id: string): number | undefined {
  if (LAB_ID_RE.test(id)) return undefined;
  err(`hostnet lab: the lab id ${JSON.stringify(id)} must be 1 to 12 lowercase letters or digits.\n`);
  return EXIT.usage;
}

function reportDown(r: LabDownResult): void {
  if (r.ok) out(`Lab ${r.labId} is down: ${r.removedNamespaces.length} namespaces deleted, ${r.killedPids.length} processes stopped, in ${r.ms} ms.\n`);
  else for (const p of r.problems) err(`hostnet lab: lab ${r.labId}: ${p}\n`);
}

/** Progress for long lab work: on stderr, so stdout stays the result. */
const progress = (s: string): void => err(`hostnet lab: ${s}\n`);

const randomId = (): string => `l${randomBytes(4).toString('hex').slice(0, 5)}`;

/** The model of the manifests, as `hostnet check` reads them; undefined (after printing why) when the cluster file is unusable. */
async function modelFor(paths: string[], cluster: string | undefined): Promise<Model | undefined> {
  const result = await check(paths, { rules: [], readStdin, ...(cluster ? { cluster } : {}) });
  for (const f of result.findings) err(`${f.file}:${f.line}:${f.column}  ${f.severity}  ${f.message}  (${f.ruleId})\n`);
  if (result.findings.some((f) => f.ruleId === 'invalid-cluster-file' && f.severity === 'error')) return undefined;
  // Like check, a file that cannot be read costs only itself: the lab is built from the rest.
  if (result.unreadableInput) err('hostnet lab: the files above could not be read; the lab is built from the rest.\n');
  return result.model;
}

export async function runLabUp(paths: string[], flags: { cluster?: string; id?: string; output: 'text' | 'json' }): Promise<number> {
  const labId = flags.id ?? randomId();
  const bad = badId(labId) ?? unavailable(DNS_TOOLS);
  if (bad !== undefined) return bad;
  const model = await modelFor(paths, flags.cluster);
  if (!model) return EXIT.usage;
  const sims = simulations(model);
  const planned = planLab(labId, model, sims);
  if (!planned.ok) {
    for (const p of planned.problems) err(`hostnet lab: ${p}\n`);
    return EXIT.usage;
  }
  const plan = planned.plan;
  for (const n of plan.notes) err(`note: ${n}\n`);
  const up = await labUp(plan, { detached: true });
  const h = handleOf(labId);
  let processes: Awaited<ReturnType<typeof startLabProcesses>> | undefined;
  if (up.ok) {
    updateState(h, (s) => { s.inputs = { paths: paths.filter((p) => p !== '-').map((p) => resolve(p)), ...(flags.cluster ? { cluster: resolve(flags.cluster) } : {}), ...(paths.includes('-') ? { stdin: true } : {}) }; });
    processes = await startLabProcesses({ h, plan, model, sims });
    for (const n of processes.notes) err(`note: ${n}\n`);
  }
  const problems = [...up.problems, ...(processes?.problems ?? [])];
  const ok = up.ok && problems.length === 0;
  if (flags.output === 'json') {
    out(`${JSON.stringify({ version: 1, ...up, ok, problems, serversMs: processes?.ms, nodes: plan.nodes.map((n) => ({ node: n.node, ns: n.ns, ip: n.ip, podCIDR: n.podCIDR, hostNetworkPods: n.hostNetworkPods })), pods: plan.pods.map((p) => ({ pod: p.pod, node: p.node, ns: p.ns, ip: p.ip })), servers: processes?.servers.map((x) => ({ pod: x.pod, ns: x.ns, listen: x.listen })) ?? [] }, null, 2)}\n`);
  } else if (up.ok) {
    const lines = [`Lab ${labId} is up: cluster ${plan.cluster}, ${plan.nodes.length} nodes, ${plan.pods.length} pods with their own namespace, ${plan.namespaces.length} namespaces, built in ${up.timings.totalMs} ms; ${processes?.servers.length ?? 0} pod servers started in ${processes?.ms ?? 0} ms.`];
    for (const n of plan.nodes) lines.push(`  node ${n.node}  ${n.ns}  ${n.ip}${n.podCIDR ? `  pods ${n.podCIDR}` : ''}${n.hostNetworkPods.length ? `  hostNetwork: ${n.hostNetworkPods.join(', ')}` : ''}`);
    for (const p of plan.pods) lines.push(`  pod  ${p.pod}  ${p.ns}  ${p.ip}`);
    lines.push(`Names resolve inside the pods as the kubelet's resolv.conf says (cluster DNS and the nodes' resolver are dnsmasq). Check hostnet's predictions with "hostnet lab verify --id ${labId}"; run a command in a pod with "ip netns exec ${plan.pods[0]?.ns ?? plan.nodes[0]!.ns} …"; tear the lab down with "hostnet lab down ${labId}".`);
    out(`${lines.join('\n')}\n`);
  }
  for (const p of problems) err(`hostnet lab: ${p}\n`);
  return ok ? EXIT.ok : EXIT.findings;
}

/** The lab `verify` should use: the one named, or the only one up when the inputs match; undefined: build a temporary one. */
function existingLab(paths: string[], flags: { cluster?: string; id?: string }): { labId: string; paths: string[]; cluster?: string } | { problem: string } | undefined {
  const wanted = paths.map((p) => resolve(p)).sort().join('\n');
  const cluster = flags.cluster ? resolve(flags.cluster) : undefined;
  const matches = (s: LabState): boolean => (paths.length === 0 || [...s.inputs!.paths].sort().join('\n') === wanted) && (flags.cluster === undefined || s.inputs!.cluster === cluster);
  if (flags.id !== undefined) {
    const s = readState(flags.id);
    if (!s || s.phase !== 'up') return { problem: `There is no lab ${flags.id} that is up; "hostnet lab status" lists the labs.` };
    if (!s.inputs) return { problem: `Lab ${flags.id} does not record what it was built from; tear it down and build it again with "hostnet lab up".` };
    if (s.inputs.stdin) return { problem: `Lab ${flags.id} was built from standard input, which hostnet cannot read again; build it from files to verify it later, or verify a temporary lab with "hostnet lab verify -".` };
    if (!matches(s)) return { problem: `Lab ${flags.id} was built from ${[...s.inputs.paths, ...(s.inputs.cluster ? [`--cluster ${s.inputs.cluster}`] : [])].join(', ') || 'the embedded cluster alone'}, not from what this command names; leave out the paths to verify it as built.` };
    return { labId: s.labId, paths: s.inputs.paths, ...(s.inputs.cluster ? { cluster: s.inputs.cluster } : {}) };
  }
  if (paths.includes('-')) return undefined;
  const up = labStatus().filter((l) => l.phase === 'up').map((l) => readState(l.labId)).filter((s): s is LabState => s?.inputs !== undefined && !s.inputs.stdin);
  const same = up.filter(matches);
  if (same.length !== 1) return undefined;
  const s = same[0]!;
  return { labId: s.labId, paths: s.inputs!.paths, ...(s.inputs!.cluster ? { cluster: s.inputs!.cluster } : {}) };
}

export async function runLabVerify(paths: string[], flags: { cluster?: string; id?: string; output: 'text' | 'json' }): Promise<number> {
  const bad = (flags.id !== undefined ? badId(flags.id) : undefined) ?? unavailable(DNS_TOOLS);
  if (bad !== undefined) return bad;
  const existing = existingLab(paths, flags);
  if (existing && 'problem' in existing) {
    err(`hostnet lab: ${existing.problem}\n`);
    return EXIT.usage;
  }
  const model = await modelFor(existing ? existing.paths : paths, existing ? existing.cluster : flags.cluster);
  if (!model) return EXIT.usage;
  const sims = simulations(model);
  const labId = existing?.labId ?? randomId();
  const planned = planLab(labId, model, sims);
  if (!planned.ok) {
    for (const p of planned.problems) err(`hostnet lab: ${p}\n`);
    return EXIT.usage;
  }
  if (existing) {
    // The manifests may have changed since `lab up`: then pods would be numbered differently and
    // the probes would run in the wrong namespaces.
    const built = new Set(readState(labId)?.namespaces.map((n) => n.name) ?? []);
    const missing = planned.plan.namespaces.filter((ns) => !built.has(ns));
    if (missing.length > 0) {
      err(`hostnet lab: the manifests lab ${labId} was built from have changed since "hostnet lab up" (it has no namespace ${missing[0]}); tear it down and build it again.\n`);
      return EXIT.usage;
    }
  }
  const verify = async (session: LabSession, start: boolean): Promise<{ rows: ProbeRow[]; notes: string[]; problems: readonly string[] }> => {
    let problems: readonly string[] = [];
    const notes: string[] = [];
    if (start) {
      progress('starting the pods\' servers');
      const started = await startLabProcesses(session);
      problems = started.problems;
      notes.push(...started.notes);
    }
    progress('probing every prediction');
    const { servers, dns } = labProcesses(session);
    const network = await verifyNetwork(session, servers);
    // DNS last: its outage probes stop cluster DNS for a moment (and start it again).
    progress('resolving names in the pods, then again with cluster DNS stopped');
    const dnsRows = await dnsProbeRows(session, dns);
    return { rows: [...network.rows, ...dnsRows], notes: [...notes, ...network.notes], problems };
  };
  let result: Awaited<ReturnType<typeof verify>>;
  if (existing) {
    progress(`verifying lab ${labId}`);
    result = await verify({ h: handleOf(labId), plan: planned.plan, model, sims }, false);
  } else {
    progress(`building temporary lab ${labId} (${planned.plan.namespaces.length} namespaces); it is torn down at the end`);
    const r = await withTemporaryLab(planned.plan, model, sims, (s) => verify(s, true));
    if (!r.ok) {
      for (const p of r.problems) err(`hostnet lab: ${p}\n`);
      return EXIT.findings;
    }
    result = r.value;
  }
  for (const n of [...planned.plan.notes, ...result.notes]) err(`note: ${n}\n`);
  for (const p of result.problems) err(`hostnet lab: ${p}\n`);
  const summary = summarize(result.rows);
  if (flags.output === 'json') out(`${JSON.stringify({ version: 1, labId, temporary: !existing, summary, rows: result.rows, problems: result.problems }, null, 2)}\n`);
  else out(renderVerifyText(result.rows));
  return summary.disagree === 0 && result.problems.length === 0 ? EXIT.ok : EXIT.findings;
}

/** The lab `lab down` means without an id: the only one on the machine. */
export function onlyLab(ids: readonly string[]): string | { problem: string } {
  if (ids.length === 1) return ids[0]!;
  return { problem: `name the lab to tear down: hostnet lab down ID (${ids.length === 0 ? 'no lab is on this machine' : `there are ${ids.length}: ${ids.join(', ')}`}).` };
}

export async function runLabDown(ids: string[]): Promise<number> {
  if (ids.length === 0) {
    // With one lab on the machine, `hostnet lab up && hostnet lab verify && hostnet lab down` needs no id.
    const u = unavailable();
    if (u !== undefined) return u;
    const only = onlyLab(labStatus().map((l) => l.labId));
    if (typeof only !== 'string') {
      err(`hostnet lab: ${only.problem}\n`);
      return EXIT.usage;
    }
    ids = [only];
  }
  for (const id of ids) {
    const bad = badId(id);
    if (bad !== undefined) return bad;
  }
  const u = unavailable();
  if (u !== undefined) return u;
  let ok = true;
  for (const id of ids) {
    if (!labStatus().some((l) => l.labId === id)) {
      // Like a second `lab down`: nothing to do, which is not an error.
      out(`There is no lab ${id} on this machine; nothing to tear down.\n`);
      continue;
    }
    const r = await labDown(id);
    reportDown(r);
    ok &&= r.ok;
  }
  return ok ? EXIT.ok : EXIT.findings;
}

export function runLabStatus(flags: { output: 'text' | 'json' }): number {
  const u = unavailable();
  if (u !== undefined) return u;
  const labs = labStatus();
  if (flags.output === 'json') out(`${JSON.stringify({ version: 1, labs }, null, 2)}\n`);
  else if (labs.length === 0) out('No lab is running on this machine.\n');
  else for (const l of labs) out(`${l.labId}  ${l.phase ?? 'no state file'}  cluster ${l.cluster ?? '?'}  ${l.liveNamespaces}/${l.recordedNamespaces} namespaces live  owner ${l.ownerPid ?? '?'}${l.ownerAlive ? ' (running)' : ''}${l.createdAt ? `  since ${l.createdAt}` : ''}\n`);
  return EXIT.ok;
}

export function runLabDoctor(flags: { output: 'text' | 'json' }): number {
  const u = unavailable();
  if (u !== undefined) return u;
  const left = labDoctor();
  if (flags.output === 'json') out(`${JSON.stringify({ version: 1, leftovers: left }, null, 2)}\n`);
  else if (left.length === 0) out('No lab leftovers: no stray hnlab-* namespace, /etc/netns entry or state file.\n');
  else {
    for (const l of left) out(`${l.kind}  ${l.what}  ${l.why}\n`);
    out(`Remove them with "hostnet lab cleanup --lab ID" or "hostnet lab cleanup --all".\n`);
  }
  return left.length === 0 ? EXIT.ok : EXIT.findings;
}

export async function runLabCleanup(flags: { lab?: string; all?: boolean }): Promise<number> {
  if (!flags.lab && !flags.all) {
    err('hostnet lab: say what to clean up: --lab ID for one lab, or --all for every hnlab-* leftover.\n');
    return EXIT.usage;
  }
  if (flags.lab) {
    const bad = badId(flags.lab);
    if (bad !== undefined) return bad;
  }
  const u = unavailable();
  if (u !== undefined) return u;
  const results = await labCleanup({ ...(flags.lab ? { lab: flags.lab } : {}), ...(flags.all ? { all: true } : {}) });
  if (results.length === 0) out('Nothing to clean up.\n');
  for (const r of results) reportDown(r);
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.findings;
}

/** The subcommands of `hostnet lab`. */
export function defineLabCommands(lab: Command, setExit: (code: number) => void): void {
  lab.summary('build the modelled cluster in Linux network namespaces (root only)')
    .description('Build the modelled cluster in Linux network namespaces named hnlab-<id>-…: a namespace per node on a shared fabric, host-gw routes, a cni0 bridge and a namespace per pod, and each node\'s modelled iptables rules. Needs root and the programs ip, iptables-restore, iptables-save, sysctl and nfacct (Debian: iproute2 iptables procps nfacct), and for up and verify dnsmasq, getent and dig (dnsmasq-base, libc-bin, dnsutils), for bench iperf3; the host\'s own namespace is only read.');
  lab.command('up')
    .summary('build a lab from manifests and start its pods\' servers and DNS; it stays up until "lab down" (default: the embedded cluster with no workloads)')
    .argument('[paths...]', 'manifest files or directories, or - for stdin')
    .option('--cluster <file>', 'the cluster to build (a hostnet.dev/v1 ClusterProfile); default: the embedded cluster')
    .option('--id <id>', 'the lab id: 1 to 12 lowercase letters or digits (default: random)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (paths: string[], flags: { cluster?: string; id?: string; output: string }) => {
      setExit(await runLabUp(paths, { ...flags, output: flags.output === 'json' ? 'json' : 'text' }));
    });
  lab.command('verify')
    .summary('probe every prediction hostnet makes in a real lab and show where the kernel agrees (exit 1 when any disagrees)')
    .argument('[paths...]', 'manifest files or directories, or - for stdin')
    .option('--cluster <file>', 'the cluster (a hostnet.dev/v1 ClusterProfile); default: the embedded cluster')
    .option('--id <id>', 'verify the lab that "hostnet lab up" built with this id (default: the only lab that is up, when no paths are given or they are the ones it was built from; else a temporary lab)')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', `
For every workload the lab runs, hostnet traces packets through the modelled nodes' iptables rules
and predicts what a client sees: an answer from a named pod, "refused" or no answer. The lab then
sends the same packets from the namespace that owns each source address (outside the cluster,
another node, a pod on another node, the pod itself, the node, 127.0.0.1) and compares. It also
binds a second listener next to each hostNetwork port (the conflict the scheduler prevents) and
next to each host port (portmap holds no socket).

Examples:
  hostnet lab verify examples/seed-hostip-pod.yaml        build, verify and tear down a temporary lab
  hostnet lab up examples --id demo && hostnet lab verify --id demo && hostnet lab down demo

A file that cannot be read is reported and left out; the lab is built from the rest.

Exit codes: 0 every prediction agrees, 1 some disagree or a probe failed, 2 usage, an unusable
cluster file, a lab that no longer matches its manifests, or no lab possible here (not root,
tools missing).`)
    .action(async (paths: string[], flags: { cluster?: string; id?: string; output: string }) => {
      setExit(await runLabVerify(paths, { ...flags, output: flags.output === 'json' ? 'json' : 'text' }));
    });
  defineLabBench(lab, setExit);
  lab.command('down')
    .summary('tear a lab down: stop its processes, delete its namespaces and state')
    .argument('[ids...]', 'lab ids, as "hostnet lab status" lists them (default: the only lab on this machine)')
    .action(async (ids: string[]) => setExit(await runLabDown(ids)));
  lab.command('status')
    .summary('list the labs on this machine')
    .option('-o, --output <format>', 'text or json', 'text')
    .action((flags: { output: string }) => setExit(runLabStatus({ output: flags.output === 'json' ? 'json' : 'text' })));
  lab.command('doctor')
    .summary('list leftovers: hnlab-* namespaces, /etc/netns entries and state files of no healthy lab (exit 1 when there are some)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action((flags: { output: string }) => setExit(runLabDoctor({ output: flags.output === 'json' ? 'json' : 'text' })));
  lab.command('cleanup')
    .summary('remove one lab (--lab ID, even one that is up) or every leftover "lab doctor" lists (--all)')
    .option('--lab <id>', 'the lab to remove')
    .option('--all', 'remove every leftover "lab doctor" lists (labs left up on purpose stay; remove those with "lab down ID")')
    .action(async (flags: { lab?: string; all?: boolean }) => setExit(await runLabCleanup(flags)));
}
