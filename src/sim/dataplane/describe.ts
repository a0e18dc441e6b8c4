/**
 * Trace results as sentences, for the CLI, `explain` and rule evidence. One place decides how a
 * verdict is said, so a finding's evidence and `hostnet trace` never disagree.
 */
import type { TraceBranch, TraceResult, Verdict } from './trace.js';

/** A reason is a sentence; inside ours it loses its final period. */
const clause = (s: string): string => s.replace(/\.$/, '');
const lowerFirst = (s: string): string => (/^The /.test(s) ? `t${s.slice(1)}` : s);
const pct = (p: number): string => `${(p * 100).toFixed(p === 1 || p === 0 ? 0 : 1)}%`;

export function describeVerdict(v: Verdict): string {
  switch (v.kind) {
    case 'delivered': {
      const where = v.to === 'pod' ? `pod ${v.pod ?? v.ip} on ${v.node}` : `a socket on node ${v.node}`;
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
