/**
 * Trace results as sentences, for the CLI, `explain` and rule evidence. One place decides how a
 * verdict is said, so a finding's evidence and `hostnet trace` never disagree.
 */
import type { ClusterNode } from '../../model/cluster.js';
import { ipFamily } from './addresses.js';
import { nodeAddresses } from './node-dataplane.js';
import type { Packet, TraceBranch, TraceResult, TraceStep, Verdict } from './trace.js';

/** A reason is a sentence; inside ours it loses its final period. */
const clause = (s: string): string => s.replace(/\.$/, '');
const lowerFirst = (s: string): string => (/^The /.test(s) ? `t${s.slice(1)}` : s);
const pct = (p: number): string => `${(p * 100).toFixed(p === 1 || p === 0 ? 0 : 1)}%`;

export function describeVerdict(v: Verdict): string {
  switch (v.kind) {
    case 'delivered': {
      // Pod names from the placement already say what they are: `Deployment shop/web (pod 1 of 2)`.
      const where = v.to === 'pod' ? `${v.pod ?? `the pod at ${v.ip}`} on ${v.node}` : `a socket on node ${v.node}`;
      return `delivered to ${where} at ${v.ip}:${v.port}/${v.protocol.toUpperCase()}, ${v.masqueraded ? 'source masqueraded (the server sees a node address)' : 'client source address kept'}`;
    }
    case 'forwarded':
      return `forwarded to ${v.ip}:${v.port}${v.node ? ` on ${v.node}` : ''}${v.masqueraded ? ', source masqueraded' : ''}`;
    // The tracer's reason already names the rule or the kernel check, as a sentence.
    case 'rejected':
    case 'dropped':
      return lowerFirst(clause(v.reason));
    case 'unhandled':
      return v.to === 'host'
        ? `not changed by any rule: it goes to whatever listens on ${v.ip}:${v.port}/${v.protocol.toUpperCase()} on ${v.node ?? 'the node'} itself`
        : `not changed by any rule: it is routed on to ${v.ip}:${v.port}${v.pod ? ` (pod ${v.pod})` : v.node ? ` (node ${v.node})` : ''}`;
  }
}

/** One line for a whole trace: the verdict, or each branch with its share. */
export function summarizeTrace(r: TraceResult): string {
  if (r.branches.length === 1) return describeVerdict(r.branches[0]!.verdict);
  // Branches that end the same way are one outcome with their shares added.
  const outcomes = new Map<string, number>();
  for (const b of r.branches) {
    const text = describeVerdict(b.verdict);
    outcomes.set(text, (outcomes.get(text) ?? 0) + b.probability);
  }
  if (outcomes.size === 1) return [...outcomes.keys()][0]!;
  return [...outcomes].map(([text, p]) => `${pct(p)} ${text}`).join('; ');
}

/** `nat KUBE-SERVICES #12` */
export function stepRef(s: TraceBranch['steps'][number]): string {
  return s.index === 0 ? `${s.table} ${s.chain}` : `${s.table} ${s.chain} #${s.index}`;
}

export function renderTraceText(r: TraceResult, heading: string): string {
  const lines = [heading, ''];
  r.branches.forEach((b, i) => {
    const share = r.branches.length > 1 ? ` (${pct(b.probability)})` : '';
    lines.push(`${r.branches.length > 1 ? `Path ${i + 1} of ${r.branches.length}${share}` : 'Path'}: ${describeVerdict(b.verdict)}.`);
    const width = Math.max(0, ...b.steps.map((s) => stepRef(s).length));
    for (const s of b.steps) lines.push(`  ${stepRef(s).padEnd(width)}  ${s.effect.padEnd(26)}  ${s.rule}`);
    if (b.steps.length === 0) lines.push('  (no rule matched)');
    lines.push('');
  });
  if (r.notes.length > 0) {
    lines.push('Notes:');
    for (const n of r.notes) lines.push(`  - ${n}`);
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

// Evidence for rule findings: a traced branch in one line.

/** Rules trace at most this many nodes per finding; the rest are judged by the endpoints alone. */
export const MAX_TRACED_NODES = 8;

/** The address the rules trace a connection to: the node's first IPv4 address (the model's tracer is IPv4). */
export function traceAddress(node: ClusterNode): string | undefined {
  return nodeAddresses(node).find((ip) => ipFamily(ip) === 'ipv4');
}

const BUILT_IN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

const jumpTarget = (s: TraceStep): string | undefined => /^(?:jump|goto) (\S+)$/.exec(s.effect)?.[1];

function commentOf(rule: string): string | undefined {
  return /--comment ("(?:[^"\\]|\\.)*"|\S+)/.exec(rule)?.[1]?.replace(/^"|"$/g, '').replace(/\\"/g, '"');
}

/**
 * A branch's steps as short walks, one per built-in chain entered: `nat PREROUTING → KUBE-SERVICES
 * → KUBE-NODEPORTS → KUBE-EXT-… → KUBE-SEP-… rule 2: DNAT to 10.244.1.2:80`. A walk with a single
 * jump and no effect (into KUBE-FIREWALL, or a RETURN) is left out; a longer one that ends in a
 * chain where no rule matched says so, since falling through is the point (KP-9, KP-10).
 */
export function stepWalks(steps: readonly TraceStep[]): string[] {
  interface Walk { text: string; effects: number; jumps: number; afterEffect: boolean }
  const walks: Walk[] = [];
  let current: Walk | undefined;
  steps.forEach((s, i) => {
    if (BUILT_IN.has(s.chain) || !current) {
      current = { text: `${s.table} ${s.chain}`, effects: 0, jumps: 0, afterEffect: false };
      walks.push(current);
    }
    const target = jumpTarget(s);
    if (target !== undefined) {
      current.jumps++;
      current.afterEffect = false;
      const next = steps[i + 1];
      const entered = next !== undefined && next.table === s.table && next.chain === target;
      current.text += ` → ${target}${entered ? '' : ' (no rule there matched)'}`;
    } else if (s.effect !== 'RETURN' && s.effect !== 'count only') {
      const comment = commentOf(s.rule);
      current.text += `${current.afterEffect ? ',' : ''} rule ${s.index}${comment !== undefined ? ` "${comment}"` : ''}: ${s.effect}`;
      current.effects++;
      current.afterEffect = true;
    }
  });
  return walks.filter((w) => w.effects > 0 || w.jumps > 1).map((w) => w.text);
}

/** What became of the packet, as a clause: `dropped by rule 1 of filter KUBE-EXTERNAL-SERVICES ("…")`. */
export function verdictText(v: Verdict): string {
  switch (v.kind) {
    case 'dropped':
    case 'rejected': {
      if (v.by.index === 0) return `${v.kind} (${v.reason.replace(/\.$/, '')})`;
      const comment = commentOf(v.by.rule);
      return `${v.kind} by rule ${v.by.index} of ${v.by.table} ${v.by.chain}${comment !== undefined ? ` ("${comment}")` : ''}`;
    }
    case 'delivered':
      return v.to === 'pod'
        ? `delivered to pod ${v.pod ?? '?'} at ${v.ip}:${v.port} on ${v.node}`
        : `delivered to a socket on ${v.node} at ${v.ip}:${v.port}`;
    case 'forwarded':
      return `forwarded to ${v.ip}:${v.port}${v.node !== undefined ? ` (node ${v.node})` : ''}`;
    case 'unhandled':
      return v.to === 'host'
        ? `left unchanged by every rule and delivered to a socket on ${v.node ?? 'the node'} at ${v.ip}:${v.port}`
        : `left unchanged by every rule and forwarded to ${v.ip}:${v.port}`;
  }
}

/** One evidence line for a traced branch. */
export function traceEvidence(node: string, packet: Packet, branch: TraceBranch): string {
  const chance = branch.probability < 1 ? ` (branch with chance ${Math.round(branch.probability * 1000) / 10}%)` : '';
  const walks = stepWalks(branch.steps);
  const v = branch.verdict;
  // A rule's DROP or REJECT is already the last walk's last word.
  const end = (v.kind === 'dropped' || v.kind === 'rejected') && v.by.index > 0 && walks.length > 0 ? '' : `${walks.length > 0 ? '; ' : ''}${verdictText(v)}`;
  return `trace on ${node}: ${packet.src} → ${packet.dst}:${packet.dport}/${packet.protocol.toUpperCase()} from outside the cluster${chance}: ${walks.join('; ')}${end}`;
}
