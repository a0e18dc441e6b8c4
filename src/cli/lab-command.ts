/**
 * `hostnet lab up|down|status|doctor|cleanup`: build the modelled cluster in network namespaces
 * (src/lab). main.ts only registers the group; everything else is here.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { check } from '../index.js';
import { labUnavailable } from '../lab/exec.js';
import { labCleanup, labDoctor, labDown, labStatus, labUp, type LabDownResult } from '../lab/lab.js';
import { LAB_ID_RE, planLab } from '../lab/plan.js';
import { simulations } from '../sim/simulations.js';
import { EXIT } from './exit-codes.js';

// A closed stdout (e.g. piped to head) must not crash the lab after it was built.
process.stdout.on('error', () => undefined);
const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Exit 2 with the reason when the lab cannot run here (not root, tools missing). */
function unavailable(): number | undefined {
  const why = labUnavailable();
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

export async function runLabUp(paths: string[], flags: { cluster?: string; id?: string; output: 'text' | 'json' }): Promise<number> {
  const labId = flags.id ?? `l${randomBytes(4).toString('hex').slice(0, 5)}`;
  const bad = badId(labId) ?? unavailable();
  if (bad !== undefined) return bad;
  const result = await check(paths, { rules: [], readStdin, ...(flags.cluster ? { cluster: flags.cluster } : {}) });
  for (const f of result.findings) err(`${f.file}:${f.line}:${f.column}  ${f.severity}  ${f.message}  (${f.ruleId})\n`);
  if (result.unreadableInput || result.findings.some((f) => f.ruleId === 'invalid-cluster-file' && f.severity === 'error')) return EXIT.usage;
  const planned = planLab(labId, result.model, simulations(result.model));
  if (!planned.ok) {
    for (const p of planned.problems) err(`hostnet lab: ${p}\n`);
    return EXIT.usage;
  }
  const plan = planned.plan;
  for (const n of plan.notes) err(`note: ${n}\n`);
  const up = await labUp(plan, { detached: true });
  if (flags.output === 'json') {
    out(`${JSON.stringify({ version: 1, ...up, nodes: plan.nodes.map((n) => ({ node: n.node, ns: n.ns, ip: n.ip, podCIDR: n.podCIDR, hostNetworkPods: n.hostNetworkPods })), pods: plan.pods.map((p) => ({ pod: p.pod, node: p.node, ns: p.ns, ip: p.ip })) }, null, 2)}\n`);
  } else if (up.ok) {
    const lines = [`Lab ${labId} is up: cluster ${plan.cluster}, ${plan.nodes.length} nodes, ${plan.pods.length} pods with their own namespace, ${plan.namespaces.length} namespaces, in ${up.timings.totalMs} ms.`];
    for (const n of plan.nodes) lines.push(`  node ${n.node}  ${n.ns}  ${n.ip}${n.podCIDR ? `  pods ${n.podCIDR}` : ''}${n.hostNetworkPods.length ? `  hostNetwork: ${n.hostNetworkPods.join(', ')}` : ''}`);
    for (const p of plan.pods) lines.push(`  pod  ${p.pod}  ${p.ns}  ${p.ip}`);
    lines.push(`Run a command in a pod with "ip netns exec ${plan.pods[0]?.ns ?? plan.nodes[0]!.ns} …"; tear the lab down with "hostnet lab down ${labId}".`);
    out(`${lines.join('\n')}\n`);
  }
  if (!up.ok) for (const p of up.problems) err(`hostnet lab: ${p}\n`);
  return up.ok ? EXIT.ok : EXIT.findings;
}

export async function runLabDown(ids: string[]): Promise<number> {
  if (ids.length === 0) {
    err('hostnet lab: name the lab to tear down: hostnet lab down ID ("hostnet lab status" lists them).\n');
    return EXIT.usage;
  }
  for (const id of ids) {
    const bad = badId(id);
    if (bad !== undefined) return bad;
  }
  const u = unavailable();
  if (u !== undefined) return u;
  let ok = true;
  for (const id of ids) {
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
    .description('Build the modelled cluster in Linux network namespaces named hnlab-<id>-…: a namespace per node on a shared fabric, host-gw routes, a cni0 bridge and a namespace per pod, and each node\'s modelled iptables rules. Needs root and the programs ip, iptables-restore, iptables-save, sysctl and nfacct; the host\'s own namespace is only read.');
  lab.command('up')
    .summary('build a lab from manifests (default: the embedded cluster with no workloads)')
    .argument('[paths...]', 'manifest files or directories, or - for stdin')
    .option('--cluster <file>', 'the cluster to build (a hostnet.dev/v1 ClusterProfile); default: the embedded cluster')
    .option('--id <id>', 'the lab id: 1 to 12 lowercase letters or digits (default: random)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (paths: string[], flags: { cluster?: string; id?: string; output: string }) => {
      setExit(await runLabUp(paths, { ...flags, output: flags.output === 'json' ? 'json' : 'text' }));
    });
  lab.command('down')
    .summary('tear a lab down: stop its processes, delete its namespaces and state')
    .argument('[ids...]', 'lab ids, as "hostnet lab status" lists them')
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
    .summary('remove one lab (--lab ID) or every hnlab-* leftover (--all)')
    .option('--lab <id>', 'the lab to remove')
    .option('--all', 'remove every lab and leftover on this machine')
    .action(async (flags: { lab?: string; all?: boolean }) => setExit(await runLabCleanup(flags)));
}
