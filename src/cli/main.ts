/**
 * The command line: the only module that reads argv, env, cwd and stdin, and sets exit codes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { DUMP_SCHEMA, dump } from 'js-yaml';
import { check, loadCluster } from '../index.js';
import { resolveConfig, type ResolvedConfig } from '../engine/config.js';
import { parseConfigText } from './config-file.js';
import { toProfile } from '../model/cluster-profile.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { SEVERITY_RANK, type Finding, type Severity } from '../model/types.js';
import { renderJson } from '../report/json.js';
import { renderText } from '../report/text.js';
import { renderSarif } from '../report/sarif.js';
import { renderGithub } from '../report/github.js';
import { ruleCatalog } from '../report/rule-catalog.js';
import { EXIT } from './exit-codes.js';
import { renderRuleDoc, renderRuleList } from './rules-command.js';
import { blockedByLines, renderNodeVerdicts, renderPlacementText, renderPodViewText, renderRolloutText } from './simulate-command.js';
import { resolveWorkload } from './workload-ref.js';
import { dnsJson, renderPodDnsText, renderResolutionText } from './dns-command.js';
import { clusterRecords } from '../sim/dns/records.js';
import { resolveName, serverKindOf } from '../sim/dns/resolve.js';
import { dnsEgressVerdict } from '../sim/policy/network-policy.js';
import { simulations } from '../sim/simulations.js';
import type { WorkloadPlacement } from '../sim/schedule/place.js';
import { hasRollout, playRollout } from '../sim/schedule/rollout.js';
import { explainNodes, summarizePlacement, summarizeRollout } from '../sim/schedule/summary.js';
import type { Cluster, ClusterNode } from '../model/cluster.js';
import { ipFamily, isLoopback } from '../sim/dataplane/addresses.js';
import { renderTraceText } from '../sim/dataplane/describe.js';
import { parseIptablesSave, renderIptablesSave } from '../sim/dataplane/iptables-save.js';
import { nodeAddresses } from '../sim/dataplane/node-dataplane.js';
import { EXTERNAL_CLIENT, reachability } from '../sim/dataplane/reachability.js';
import { trace } from '../sim/dataplane/trace.js';
import { describeOrigin, filterTables, originOf, parseDestination, parseTables, reachabilityJson, renderReachabilityText } from './dataplane-command.js';
import { defineLabCommands } from './lab-command.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const FORMATS = ['text', 'json', 'sarif', 'github'] as const;
type Format = (typeof FORMATS)[number];

class UsageError extends Error {}

function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

function checkRuleIds(ids: readonly string[], flag: string): void {
  const known = new Set(ruleCatalog().map((e) => e.id));
  for (const id of ids) {
    if (known.has(id)) continue;
    const close = [...known].find((k) => k.includes(id) || id.includes(k));
    throw new UsageError(`${flag} ${id}: there is no rule with that id${close ? `; did you mean ${close}?` : ''} Run "hostnet rules" to list them.`);
  }
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function write(s: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(s)) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}

interface CheckFlags {
  output: Format;
  cluster?: string;
  config?: string;
  rule?: string[];
  disable?: string[];
  failOn?: Severity;
  exitZero?: boolean;
  kubernetesVersion?: string;
  color?: boolean;
  verbose?: boolean;
}

function loadConfig(flags: CheckFlags): { config: ResolvedConfig; issues: Finding[]; clusterFile?: string } {
  const path = flags.config ?? (existsSync('.hostnet.yaml') ? '.hostnet.yaml' : undefined);
  let file;
  const issues: Finding[] = [];
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new UsageError(`The configuration file ${path} cannot be read.`);
    }
    const parsed = parseConfigText(path, text);
    issues.push(...parsed.issues);
    file = parsed.config;
  }
  if (flags.rule) checkRuleIds(flags.rule, '--rule');
  if (flags.disable) checkRuleIds(flags.disable, '--disable');
  if (file) checkRuleIds(Object.keys(file.rules), `${path}: rules.`);
  const config = resolveConfig(file, {
    ...(flags.rule ? { only: flags.rule } : {}),
    ...(flags.disable ? { disable: flags.disable } : {}),
    ...(flags.failOn ? { failOn: flags.failOn } : {}),
    ...(flags.kubernetesVersion ? { kubernetesVersion: flags.kubernetesVersion } : {}),
  });
  const clusterFile = flags.cluster ?? file?.cluster;
  return { config, issues, ...(clusterFile ? { clusterFile } : {}) };
}

async function runCheck(paths: string[], flags: CheckFlags): Promise<number> {
  if (paths.length === 0) {
    throw new UsageError('Name the manifests to check: hostnet check FILE|DIR|- (for example "hostnet check deploy/" or "helm template . | hostnet check -").');
  }
  if (flags.kubernetesVersion && !/^v?\d+\.\d+/.test(flags.kubernetesVersion)) {
    throw new UsageError(`--kubernetes-version ${flags.kubernetesVersion}: expected a version such as 1.30.`);
  }
  const { config, issues: configIssues, clusterFile } = loadConfig(flags);
  const result = await check(paths, { config, readStdin, ...(clusterFile ? { cluster: clusterFile } : {}) });
  const findings = [...configIssues, ...result.findings];
  const summary = result.summary;
  const color = flags.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  let out: string;
  switch (flags.output) {
    case 'json': out = renderJson(findings, summary); break;
    case 'sarif': out = renderSarif(findings, summary, { toolVersion: pkg.version, cwd: process.cwd() }); break;
    case 'github': out = renderGithub(findings, summary); break;
    default: out = renderText(findings, summary, { color, verbose: flags.verbose ?? false });
  }
  await write(out);
  if (flags.exitZero) return EXIT.ok;
  const badInput = result.unreadableInput || configIssues.length > 0 || findings.some((f) => f.ruleId === 'invalid-cluster-file' && f.severity === 'error');
  if (badInput) return EXIT.usage;
  const threshold = SEVERITY_RANK[config.failOn];
  return findings.some((f) => SEVERITY_RANK[f.severity] >= threshold) ? EXIT.findings : EXIT.ok;
}

interface SimFlags {
  output: 'text' | 'json';
  cluster?: string;
  config?: string;
  namespace?: string;
  rollout?: string[];
  rollouts?: boolean;
  exitZero?: boolean;
}

/** Load and model the manifests without rules; load problems go to stderr and the rest is simulated. */
async function loadForSimulation(paths: string[], flags: SimFlags, command: string, allowEmpty = false): Promise<{ result: Awaited<ReturnType<typeof check>>; badInput: boolean }> {
  if (paths.length === 0 && !allowEmpty) throw new UsageError(`Name the manifests: hostnet ${command} FILE|DIR|- (for example "hostnet ${command} deploy/").`);
  const { config, issues, clusterFile } = loadConfig({ output: 'text', ...(flags.config ? { config: flags.config } : {}), ...(flags.cluster ? { cluster: flags.cluster } : {}) });
  const result = await check(paths, { config, readStdin, rules: [], ...(clusterFile ? { cluster: clusterFile } : {}) });
  const problems = [...issues, ...result.findings];
  for (const f of problems) process.stderr.write(`${f.file}:${f.line}:${f.column}  ${f.severity}  ${f.message}  (${f.ruleId})\n`);
  const badInput = result.unreadableInput || issues.length > 0 || problems.some((f) => f.ruleId === 'invalid-cluster-file' && f.severity === 'error');
  return { result, badInput };
}

async function runSimulate(paths: string[], flags: SimFlags): Promise<number> {
  const { result, badInput } = await loadForSimulation(paths, flags, 'simulate');
  const model = result.model;
  const placement = simulations(model).placement();
  const targets: WorkloadPlacement[] = [];
  for (const ref of flags.rollout ?? []) {
    const r = resolveWorkload(ref, placement.workloads.map((w) => w.view), flags.namespace);
    if ('error' in r) throw new UsageError(`--rollout ${r.error}`);
    const w = placement.workloadOf(r.view)!;
    if (!hasRollout(w)) throw new UsageError(`--rollout ${ref}: hostnet plays rollouts of Deployments and DaemonSets; a ${w.view.kind} is not rolled out that way.`);
    targets.push(w);
  }
  if (flags.rollouts) for (const w of placement.workloads) if (hasRollout(w) && !targets.includes(w)) targets.push(w);
  const rollouts = targets.map((w) => summarizeRollout(playRollout(placement, w)));
  const summary = summarizePlacement(placement);
  if (flags.output === 'json') {
    await write(`${JSON.stringify({ version: 1, ...summary, rollouts }, null, 2)}\n`);
  } else {
    let out = renderPlacementText(summary);
    for (const r of rollouts) out += `${flags.rollout?.length ? renderRolloutText(r) : renderRolloutText({ ...r, steps: r.outcome === 'stalled' ? r.steps.slice(-1) : [] })}\n`;
    await write(out.replace(/\n+$/, '\n'));
  }
  if (badInput) return EXIT.usage;
  if (flags.exitZero) return EXIT.ok;
  const stuck = summary.totals.pending + summary.totals.failed > 0 || rollouts.some((r) => r.outcome === 'stalled');
  return stuck ? EXIT.findings : EXIT.ok;
}

async function runExplain(ref: string, paths: string[], flags: SimFlags): Promise<number> {
  const { result, badInput } = await loadForSimulation(paths, flags, `explain ${ref}`);
  const model = result.model;
  const views = model.podViews.filter((v) => !model.duplicates.has(v.object));
  const r = resolveWorkload(ref, views, flags.namespace);
  if ('error' in r) throw new UsageError(r.error);
  const placement = simulations(model).placement();
  const w = placement.workloadOf(r.view)!;
  const verdicts = explainNodes(placement, w);
  const summary = summarizePlacement(placement);
  const mine = summary.workloads[placement.workloads.indexOf(w)]!;
  const rollout = hasRollout(w) ? summarizeRollout(playRollout(placement, w)) : undefined;
  const dns = simulations(model).dns(r.view);
  const reach = reachability(r.view, simulations(model), model.cluster);
  if (flags.output === 'json') {
    await write(`${JSON.stringify({ version: 1, workload: mine, nodes: verdicts, ...(rollout ? { rollout } : {}), dns: dnsJson(r.view, dns), reachability: reachabilityJson(reach) }, null, 2)}\n`);
  } else {
    const lines = [...renderPodViewText(r.view), ''];
    const running = mine.pods.filter((p) => p.phase === 'Scheduled');
    lines.push(r.view.kind === 'CronJob'
      ? 'Pods: none yet; a CronJob has no pods until its schedule starts a Job. The verdicts below are for one of its pods.'
      : `Pods: ${running.length} of ${mine.pods.length} run${running.length > 0 ? ` (${running.map((p) => p.node).join(', ')})` : ''}.`);
    for (const p of mine.pods.filter((x) => x.phase !== 'Scheduled')) {
      lines.push(`  ${p.pod}: ${p.phase}. ${p.message ?? ''}`.trimEnd());
      for (const l of blockedByLines(p.blockedBy)) lines.push(`    ${l}`);
    }
    lines.push('', ...renderNodeVerdicts(verdicts), '');
    let out = `${lines.join('\n')}\n`;
    if (rollout) out += `${renderRolloutText(rollout)}\n`;
    out += `DNS: the resolv.conf the kubelet writes for its pods.\n${renderPodDnsText(r.view, dns).split('\n').slice(1).join('\n')}`;
    out += `\n${renderReachabilityText(reach)}`;
    await write(out);
  }
  return badInput ? EXIT.usage : EXIT.ok;
}

interface DnsFlags extends SimFlags {
  pod?: string;
  clusterDns?: 'up' | 'down' | 'unresponsive';
  libc?: 'glibc' | 'musl';
}

async function runDns(paths: string[], flags: DnsFlags): Promise<number> {
  const { result, badInput } = await loadForSimulation(paths, flags, 'dns');
  const model = result.model;
  const sims = simulations(model);
  let views = model.podViews.filter((v) => !model.duplicates.has(v.object));
  if (flags.pod) {
    const r = resolveWorkload(flags.pod, views, flags.namespace);
    if ('error' in r) throw new UsageError(`--pod ${r.error}`);
    views = [r.view];
  }
  if (flags.output === 'json') {
    await write(`${JSON.stringify({ version: 1, cluster: model.cluster.name, pods: views.map((v) => dnsJson(v, sims.dns(v))) }, null, 2)}\n`);
  } else {
    await write(views.length === 0 ? 'No workload in the input runs pods.\n' : views.map((v) => renderPodDnsText(v, sims.dns(v))).join('\n'));
  }
  return badInput ? EXIT.usage : EXIT.ok;
}

async function runDnsResolve(ref: string, name: string, paths: string[], flags: DnsFlags): Promise<number> {
  const { result, badInput } = await loadForSimulation(paths, flags, `dns resolve ${ref} ${name}`);
  const model = result.model;
  const sims = simulations(model);
  const views = model.podViews.filter((v) => !model.duplicates.has(v.object));
  const r = resolveWorkload(ref, views, flags.namespace);
  if ('error' in r) throw new UsageError(r.error);
  const d = sims.dns(r.view);
  if (!d) throw new UsageError(`${ref}: dnsPolicy ${String(r.view.dnsPolicy)} is not a value Kubernetes knows, so the pod is never created (VAL-14).`);
  const records = clusterRecords(model.objects.filter((o) => !model.duplicates.has(o)), sims.placement(), model.cluster);
  const scenario = flags.clusterDns ?? 'up';
  // NetworkPolicies in the manifests that drop this pod's UDP 53 to cluster DNS make its queries time out.
  const clusterServer = d.conf.nameservers.find((n) => serverKindOf(n.value, model.cluster) === 'cluster-dns');
  const verdict = clusterServer
    ? dnsEgressVerdict(r.view, model.objects.filter((o) => !model.duplicates.has(o)), model.cluster, { destination: { kind: 'cluster-dns', serviceIP: clusterServer.value } })
    : undefined;
  const blocked = verdict && !verdict.udp.allowed
    ? `${verdict.egressPolicies.map((p) => `NetworkPolicy ${p.ref.replace(/^NetworkPolicy /, '')}`).join(', ')} ${verdict.egressPolicies.length === 1 ? 'does' : 'do'} not allow UDP 53 to the cluster DNS pods (${verdict.udp.reasons[0] ?? 'no egress rule matches'})`
    : undefined;
  const resolution = resolveName(name, d.conf, { cluster: model.cluster, records, scenario: { clusterDNS: scenario, ...(blocked ? { blockedToClusterDNS: blocked } : {}) } }, flags.libc ?? 'glibc');
  if (flags.output === 'json') {
    await write(`${JSON.stringify({ version: 1, pod: dnsJson(r.view, d), clusterDNS: scenario, resolution }, null, 2)}\n`);
  } else {
    await write(`${renderPodDnsText(r.view, d)}\n${renderResolutionText(r.view, resolution, scenario)}`);
  }
  if (badInput) return EXIT.usage;
  return resolution.resolved || flags.exitZero ? EXIT.ok : EXIT.findings;
}

interface DataplaneFlags extends SimFlags {
  node?: string;
  table?: string[];
  dst?: string;
  src?: string;
  from?: 'external' | 'node' | 'pod';
  iptablesSave?: string;
}

function nodeOrUsage(model: { cluster: Cluster }, name: string | undefined, command: string): ClusterNode {
  const names = model.cluster.nodes.map((n) => n.name);
  if (!name) throw new UsageError(`Name the node: hostnet ${command} --node NODE (the cluster's nodes are ${names.join(', ')}).`);
  const node = model.cluster.nodes.find((n) => n.name === name);
  if (!node) throw new UsageError(`--node ${name}: the cluster has no node of that name; its nodes are ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}.`);
  return node;
}

async function runIptables(paths: string[], flags: DataplaneFlags): Promise<number> {
  const { result, badInput } = await loadForSimulation(paths, flags, 'iptables --node NODE', true);
  const model = result.model;
  const node = nodeOrUsage(model, flags.node, 'iptables');
  const tables = parseTables(flags.table);
  if ('error' in tables) throw new UsageError(tables.error);
  const dp = simulations(model).dataplane(node.name)!;
  if (flags.output === 'json') {
    await write(`${JSON.stringify({ version: 1, node: node.name, notes: dp.notes, ruleset: filterTables(dp.ruleset, tables.tables) }, null, 2)}\n`);
  } else {
    const header = `# hostnet model of node ${node.name} on cluster ${model.cluster.name}: kube-proxy (${model.cluster.proxyMode} mode), then CNI ${model.cluster.cni.name}${model.cluster.cni.portmap ? ' with portmap' : ' without portmap'}.${paths.length === 0 ? ' No manifests were given: only the rules every node has.' : ''}`;
    await write(renderIptablesSave(dp.ruleset, { header, tables: tables.tables }));
    for (const n of dp.notes) process.stderr.write(`note: ${n}\n`);
  }
  return badInput ? EXIT.usage : EXIT.ok;
}

async function runTrace(paths: string[], flags: DataplaneFlags): Promise<number> {
  const dst = parseDestination(flags.dst);
  if ('error' in dst) throw new UsageError(dst.error);
  if (flags.src !== undefined && ipFamily(flags.src) === undefined) throw new UsageError(`--src ${flags.src}: expected an IP address such as 10.244.1.7 or 203.0.113.10.`);
  const { result, badInput } = await loadForSimulation(paths, flags, 'trace --node NODE --dst IP:PORT', true);
  const model = result.model;
  const node = nodeOrUsage(model, flags.node, 'trace');
  const sims = simulations(model);
  const dp = sims.dataplane(node.name)!;
  let ruleset = dp.ruleset;
  let source = `hostnet's model of node ${node.name}`;
  let parseProblems = false;
  if (flags.iptablesSave) {
    let text: string;
    try {
      text = readFileSync(flags.iptablesSave, 'utf8');
    } catch {
      throw new UsageError(`--iptables-save ${flags.iptablesSave}: the file cannot be read.`);
    }
    const parsed = parseIptablesSave(text);
    for (const p of parsed.problems) process.stderr.write(`${flags.iptablesSave}:${p.line}: ${p.message}\n`);
    parseProblems = parsed.problems.length > 0;
    ruleset = parsed.ruleset;
    source = `the rules in ${flags.iptablesSave} (node ${node.name}'s addresses from the cluster)`;
  }
  // A process connecting to 127.0.0.1 sends from 127.0.0.1; to anything else, from the node's address.
  const src = flags.src ?? (flags.from === 'node' ? (isLoopback(dst.ip) ? '127.0.0.1' : nodeAddresses(node)[0] ?? '127.0.0.1') : EXTERNAL_CLIENT);
  const origin = originOf(flags.from, src, node.name, dp.env, sims.running());
  if ('error' in origin) throw new UsageError(origin.error);
  const packet = { src, dst: dst.ip, protocol: dst.protocol, dport: dst.port };
  const traced = trace(ruleset, packet, origin.origin, dp.env);
  if (flags.output === 'json') {
    await write(`${JSON.stringify({ version: 1, node: node.name, source, ...traced }, null, 2)}\n`);
  } else {
    await write(renderTraceText(traced, `Trace through ${source}: ${src} → ${dst.ip}:${dst.port}/${dst.protocol.toUpperCase()}, ${describeOrigin(origin.origin, node.name)}.`));
  }
  if (badInput || parseProblems) return EXIT.usage;
  const reached = traced.branches.every((b) => b.verdict.kind === 'delivered' || b.verdict.kind === 'forwarded' || (b.verdict.kind === 'unhandled' && b.verdict.to === 'host'));
  return reached || flags.exitZero ? EXIT.ok : EXIT.findings;
}

const SIM_HELP = `
Placement follows kube-scheduler's filter plugins (NodeUnschedulable, NodeName, TaintToleration,
NodeAffinity, NodePorts, NodeResourcesFit, InterPodAffinity) and the DaemonSet controller, with
their own messages. Workloads are placed in input order, as kubectl apply creates them; among the
nodes that fit, hostnet picks the one with the fewest pods of the same workload, then the fewest
pods. Rollouts assume a new pod is ready as soon as it is bound.`;

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('hostnet')
    .description('Make Kubernetes host networking predictable: find what the API server, scheduler, kubelet and DNS will do to hostNetwork, hostPort, hostIP and dnsPolicy workloads, offline, before you apply them.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program.command('check')
    .summary('check manifests (the main job)')
    .description('Load manifests (files, directories, or - for stdin), model them on a cluster, and report what will fail or surprise: rejected fields, host-port conflicts and Pending pods, rollouts that stall, DNS that will not resolve, privileges, removed APIs.')
    .argument('[paths...]', 'files or directories (.yaml, .yml, .json, recursively), or - for stdin')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('text'))
    .option('--cluster <file>', 'the cluster to model: Node objects (kubectl get nodes -o yaml), a KubeletConfiguration and/or a hostnet.dev/v1 ClusterProfile; default: the embedded cluster (hostnet cluster --default)')
    .option('--config <file>', 'configuration file (default: .hostnet.yaml in the current directory, if present)')
    .option('--rule <ids>', 'run only these rules (comma-separated, repeatable)', list)
    .option('--disable <ids>', 'never run these rules (comma-separated, repeatable)', list)
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices(['error', 'warning', 'info']))
    .option('--exit-zero', 'exit 0 even when there are findings or unreadable input (demonstrations, reports)')
    .option('--kubernetes-version <version>', 'the Kubernetes version to check against, e.g. 1.30 (default: the cluster\'s)')
    .option('--color', 'force colour').option('--no-color', 'never use colour')
    .option('-v, --verbose', 'show the evidence behind each finding')
    .addHelpText('after', `
Examples:
  hostnet check deploy/                              check a directory of manifests
  helm template charts/agent | hostnet check -       check rendered Helm output
  kustomize build overlays/prod | hostnet check - -o json
  hostnet check k8s/ --cluster nodes.yaml --fail-on warning
  hostnet check k8s/ -o sarif > hostnet.sarif        for code scanning

Exit codes: 0 nothing at or above --fail-on (default error), 1 findings,
2 usage error or unreadable input, 3 a bug in hostnet.
Suppress one finding with the annotation  hostnet.dev/ignore: "<rule-id>; <reason>".`)
    .action(async (paths: string[], flags: CheckFlags) => setExit(await runCheck(paths, flags)));

  program.command('simulate')
    .summary('place every workload like kube-scheduler and the DaemonSet controller; play rollouts')
    .description('Place every pod of the manifests on the cluster, show which node holds which host ports, why pods stay Pending (and who holds the port they want), and play Deployment and DaemonSet rollouts step by step.')
    .argument('[paths...]', 'files or directories, or - for stdin')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--cluster <file>', 'the cluster to place on (default: the embedded cluster)')
    .option('--config <file>', 'configuration file (default: .hostnet.yaml, if present)')
    .option('--rollout <kind/name>', 'play this workload\'s rollout step by step (repeatable)', list)
    .option('--rollouts', 'play every Deployment and DaemonSet rollout and say which stall')
    .option('-n, --namespace <namespace>', 'the namespace of the --rollout workload, when its name is in several')
    .option('--exit-zero', 'exit 0 even when pods stay Pending or a rollout stalls')
    .addHelpText('after', `
Examples:
  hostnet simulate deploy/                          where every pod lands
  hostnet simulate deploy/ --rollout deploy/web     play one rollout step by step
  hostnet simulate deploy/ --rollouts -o json       every rollout, machine-readable
${SIM_HELP}

Exit codes: 0 everything runs and every played rollout completes, 1 pods stay Pending or
Failed or a rollout stalls, 2 usage error or unreadable input, 3 a bug in hostnet.`)
    .action(async (paths: string[], flags: SimFlags) => setExit(await runSimulate(paths, flags)));

  program.command('explain')
    .summary('one workload, fully: its pods after defaulting, where they land and why not elsewhere, its rollout, its resolv.conf')
    .argument('<kind/name>', 'the workload, as kubectl names it: deploy/web, ds/node-agent, pod/debug')
    .argument('[paths...]', 'files or directories, or - for stdin')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--cluster <file>', 'the cluster to place on (default: the embedded cluster)')
    .option('--config <file>', 'configuration file (default: .hostnet.yaml, if present)')
    .option('-n, --namespace <namespace>', 'the workload\'s namespace, when its name is in several')
    .addHelpText('after', `
Examples:
  hostnet explain ds/nginx-ingress deploy/          why the DaemonSet skips or fits each node
  hostnet explain deploy/web -n shop k8s/ -o json
${SIM_HELP}`)
    .action(async (ref: string, paths: string[], flags: SimFlags) => setExit(await runExplain(ref, paths, flags)));

  program.command('iptables')
    .summary('print the nat and filter rules one node would hold (iptables-save format)')
    .description('Print the iptables rules hostnet predicts for one node: kube-proxy\'s Service chains (KUBE-SERVICES, KUBE-SVC-…, KUBE-SEP-…, KUBE-NODEPORTS …) for the Services and the pods the placement runs, then the CNI portmap plugin\'s host-port chains (CNI-HOSTPORT-DNAT, CNI-DN-…) for the pods placed on that node, byte for byte as `iptables-save` prints them on a real node. Without manifests it prints the rules every node has.')
    .argument('[paths...]', 'files or directories, or - for stdin')
    .requiredOption('--node <name>', 'the node whose rules to print')
    .option('--table <names>', 'only these tables: nat, filter, mangle (comma-separated; default all)', list)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--cluster <file>', 'the cluster (default: the embedded cluster)')
    .option('--config <file>', 'configuration file (default: .hostnet.yaml, if present)')
    .addHelpText('after', `
Examples:
  hostnet iptables --node worker-1 deploy/                 the whole node
  hostnet iptables --node worker-1 --table nat deploy/     only the nat table
  hostnet iptables --node worker-1 deploy/ > predicted.rules
  diff <(hostnet iptables --node worker-1 deploy/) <(ssh worker-1 sudo iptables-save)

Chain names are the real ones (KUBE-SVC-<hash> from kube-proxy's hash, CNI-DN-<hash> from portmap's),
so the output can be compared with a node's iptables-save. Pod IPs, clusterIPs and nodePorts the
manifests do not write are stand-ins; the rule comments name the Service.

Exit codes: 0 printed, 2 usage error or unreadable input, 3 a bug in hostnet.`)
    .action(async (paths: string[], flags: DataplaneFlags) => setExit(await runIptables(paths, flags)));

  program.command('trace')
    .summary('follow one packet through a node\'s iptables rules and say where it ends up')
    .description('Walk one packet through the nat and filter chains of a node, the way netfilter does: every rule it matches, by chain and number, each random branch of a Service with its share, and the verdict: delivered to which pod or host socket, forwarded, rejected, dropped, or not handled by any rule. Traces through hostnet\'s model of the node, or through a real node\'s iptables-save output.')
    .argument('[paths...]', 'files or directories, or - for stdin')
    .requiredOption('--node <name>', 'the node the packet arrives at (or leaves, with --from node)')
    .requiredOption('--dst <ip:port[/proto]>', 'destination, e.g. 192.168.10.11:8080, 10.96.0.10:53/udp, [fd00::1]:80')
    .option('--src <ip>', `source address (default: ${EXTERNAL_CLIENT}, a client outside the cluster; the node's address with --from node)`)
    .addOption(new Option('--from <where>', 'where the packet starts (default: from --src: a node address means the node, a pod IP on the node means that pod, anything else outside)').choices(['external', 'node', 'pod']))
    .option('--iptables-save <file>', 'trace through these rules (the output of iptables-save on the node) instead of hostnet\'s model')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--cluster <file>', 'the cluster (default: the embedded cluster)')
    .option('--config <file>', 'configuration file (default: .hostnet.yaml, if present)')
    .option('--exit-zero', 'exit 0 even when the packet is dropped, rejected or goes nowhere')
    .addHelpText('after', `
Examples:
  hostnet trace --node worker-1 --dst 192.168.10.11:8080 deploy/              a hostPort from outside
  hostnet trace --node worker-1 --dst 127.0.0.1:8080 --from node deploy/      from the node itself
  hostnet trace --node worker-2 --dst 10.96.0.10:53/udp --src 10.244.2.9 deploy/
  ssh worker-1 sudo iptables-save > worker-1.rules
  hostnet trace --node worker-1 --dst 192.168.10.11:30080 --iptables-save worker-1.rules

Only the first packet of a connection is traced (it is the one that meets the nat rules).
Exit codes: 0 every path reaches a pod or a host socket, 1 some path is dropped, rejected or
leaves the node unhandled, 2 usage error or unreadable input, 3 a bug in hostnet.`)
    .action(async (paths: string[], flags: DataplaneFlags) => setExit(await runTrace(paths, flags)));

  const dns = program.command('dns')
    .summary("each pod's resolv.conf as the kubelet writes it, and what a lookup does")
    .description("Print the resolv.conf the kubelet writes for every pod (or one, with --pod), with the reason for each line: dnsPolicy × hostNetwork × clusterDNS × dnsConfig, the node's own file, and the kubelet's limits. \"hostnet dns resolve\" walks one lookup.")
    .argument('[paths...]', 'files or directories, or - for stdin')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--pod <kind/name>', 'only this workload\'s pods, e.g. deploy/web')
    .option('-n, --namespace <namespace>', 'the namespace of --pod, when its name is in several')
    .option('--cluster <file>', 'the cluster (its clusterDNS, clusterDomain and node resolv.conf); default: the embedded cluster')
    .option('--config <file>', 'configuration file (default: .hostnet.yaml, if present)')
    .addHelpText('after', `
Examples:
  hostnet dns deploy/                               every pod's resolv.conf, line by line with reasons
  hostnet dns deploy/ --pod ds/node-agent -o json
  hostnet dns resolve deploy/web redis.cache deploy/
  hostnet dns resolve pod/debugger github.com k8s/ --cluster-dns down

The node's resolv.conf comes from the cluster: its resolvConf path and content (hostnet cluster
--default shows them; with systemd-resolved, point it at /run/systemd/resolve/resolv.conf).`)
    .action(async (paths: string[], flags: DnsFlags) => setExit(await runDns(paths, flags)));

  dns.command('resolve')
    .configureHelp({ showGlobalOptions: true })
    .summary('walk one lookup from one pod: the queries, the servers, and which one answers')
    .argument('<kind/name>', 'the workload whose pods look the name up')
    .argument('<dns-name>', 'the name, as the program passes it to the resolver (a trailing dot makes it absolute)')
    .argument('[paths...]', 'files or directories, or - for stdin')
    .addOption(new Option('--cluster-dns <state>', 'cluster DNS up; down (its pods not ready: queries refused at once); unresponsive (ready but silent: queries time out)').choices(['up', 'down', 'unresponsive']).default('up'))
    .addOption(new Option('--libc <libc>', 'the resolver library in the image: glibc (Debian, Ubuntu) or musl (Alpine)').choices(['glibc', 'musl']).default('glibc'))
    .option('--exit-zero', 'exit 0 even when the name does not resolve')
    .addHelpText('after', `
Cluster records come from the Services in the input and where their pods land; unwritten
clusterIPs and pod IPs are stand-ins. Names outside the cluster are taken to exist only as written
(never as a search-list expansion). -o, --cluster, --config and -n are the dns command's options.
Exit codes: 0 resolves, 1 does not, 2 usage or unreadable input.`)
    // -o, --cluster, --config and -n are declared once, on dns, and read here with the parent's values.
    .action(async (ref: string, name: string, paths: string[], _flags: DnsFlags, cmd: Command) => setExit(await runDnsResolve(ref, name, paths, cmd.optsWithGlobals<DnsFlags>())));

  program.command('rules')
    .summary('list the rules, or print one rule\'s documentation')
    .argument('[id]', 'a rule id, e.g. host-port-mismatch')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .action(async (id: string | undefined, flags: { output: 'text' | 'json' | 'markdown' }) => {
      if (id !== undefined) {
        checkRuleIds([id], 'rules');
        await write(renderRuleDoc(id));
      } else {
        await write(renderRuleList(flags.output));
      }
      setExit(EXIT.ok);
    });

  program.command('cluster')
    .summary('print the cluster hostnet models (the embedded default, or --cluster FILE)')
    .option('--default', 'print the embedded default cluster')
    .option('--cluster <file>', 'print the cluster read from this file, after defaults')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .addHelpText('after', '\nThe output is a hostnet.dev/v1 ClusterProfile: save it, edit it, and pass it back with --cluster.')
    .action(async (flags: { default?: boolean; cluster?: string; output: 'yaml' | 'json' }) => {
      let cluster = DEFAULT_CLUSTER;
      if (flags.cluster) {
        const loaded = await loadCluster(flags.cluster);
        for (const i of loaded.issues) process.stderr.write(`${i.file}:${i.line}:${i.column}  ${i.severity}  ${i.message}\n`);
        if (loaded.issues.some((i) => i.severity === 'error')) {
          setExit(EXIT.usage);
          return;
        }
        cluster = loaded.cluster;
      } else if (!flags.default) {
        throw new UsageError('Say which cluster to print: --default for the embedded one, or --cluster FILE.');
      }
      const profile = toProfile(cluster);
      await write(flags.output === 'json' ? `${JSON.stringify(profile, null, 2)}\n` : dump(profile, { schema: DUMP_SCHEMA, lineWidth: 120 }));
      setExit(EXIT.ok);
    });

  defineLabCommands(program.command('lab'), setExit);

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`hostnet: ${e.message}\n`);
      return EXIT.usage;
    }
    const sys = e as NodeJS.ErrnoException;
    if (typeof sys?.code === 'string' && ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE'].includes(sys.code)) {
      // The machine said no (permissions, a read-only or full disk): not a bug, and not the manifests.
      process.stderr.write(`hostnet: ${sys.syscall ?? 'a system call'} failed${sys.path ? ` on ${sys.path}` : ''}: ${sys.code} (${sys.message}).\n`);
      return EXIT.usage;
    }
    const err = e as Error;
    process.stderr.write(`hostnet bug: ${err?.message ?? String(e)}\nThis is a bug in hostnet, not a problem with your manifests. Please report it with this output:\n${err?.stack ?? ''}\n`);
    return EXIT.bug;
  }
}
