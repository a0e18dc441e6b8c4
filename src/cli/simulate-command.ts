/**
 * `hostnet simulate` and `hostnet explain` as text: the placement summary and the per-node
 * verdicts from src/sim/schedule/summary.ts, laid out for a terminal. JSON is the summary itself.
 */
import type { PodView } from '../model/pod-view.js';
import type { PlacementSummary, NodeVerdict, PortHeldBy, RolloutSummary, WorkloadSummary } from '../sim/schedule/summary.js';

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const nameOf = (w: { kind: string; namespace: string; name: string }): string => `${w.kind} ${w.namespace}/${w.name}`;

export function heldByLine(h: PortHeldBy): string {
  return `${h.port} is held by ${h.pod} (${h.workload.file}:${h.workload.line})`;
}

/**
 * Who blocks a pod, one line per holder workload and ports, nodes merged: `worker-1, worker-2:
 * 0.0.0.0:80/TCP and 0.0.0.0:443/TCP are held by DaemonSet ingress/nginx (deploy.yaml:1)`.
 */
export function blockedByLines(blockedBy: ReadonlyArray<{ node: string; holders: readonly PortHeldBy[] }>): string[] {
  const merged = new Map<string, string[]>();
  for (const b of blockedBy) {
    const byWorkload = new Map<string, { ports: Set<string>; w: PortHeldBy['workload'] }>();
    for (const h of b.holders) {
      const key = `${nameOf(h.workload)}\u0000${h.workload.file}:${h.workload.line}`;
      const e = byWorkload.get(key) ?? { ports: new Set<string>(), w: h.workload };
      e.ports.add(h.port);
      byWorkload.set(key, e);
    }
    for (const { ports, w } of byWorkload.values()) {
      const list = [...ports];
      const text = `${list.join(' and ')} ${list.length === 1 ? 'is' : 'are'} held by ${nameOf(w)} (${w.file}:${w.line})`;
      merged.set(text, [...(merged.get(text) ?? []), b.node]);
    }
  }
  return [...merged].map(([text, nodes]) => `${nodes.join(', ')}: ${text}.`);
}

function pendingLines(w: WorkloadSummary): string[] {
  const out: string[] = [];
  const waiting = w.pods.filter((p) => p.phase !== 'Scheduled');
  if (waiting.length === 0) return out;
  // Pods of one workload usually wait for the same reason: say it once per distinct message.
  const groups = new Map<string, typeof waiting>();
  for (const p of waiting) {
    const key = `${p.phase}\u0000${p.message ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  for (const pods of groups.values()) {
    const first = pods[0]!;
    const who = pods.length === 1 ? first.pod : `${plural(pods.length, 'pod')} of ${nameOf(w)}`;
    out.push(`  ${who}: ${first.phase}${first.node && first.phase === 'Failed' ? ` on ${first.node}` : ''}.`);
    if (first.message) out.push(`    ${first.message}`);
    for (const l of blockedByLines(first.blockedBy)) out.push(`    ${l}`);
  }
  return out;
}

export function renderPlacementText(s: PlacementSummary): string {
  const t = s.totals;
  const lines = [`Placement on cluster ${s.cluster} (${plural(s.nodes.length, 'node')}): ${plural(t.pods, 'pod')}, ${t.scheduled} scheduled, ${t.pending} pending, ${t.failed} failed.`, ''];
  if (s.workloads.length === 0) {
    lines.push('No workload in the input runs pods.');
    return `${lines.join('\n')}\n`;
  }
  const matrix = s.nodes.length <= 10;
  const header = ['WORKLOAD', 'HOST PORTS', ...(matrix ? s.nodes.map((n) => n.name) : ['NODES']), 'PENDING'];
  const rows = [header];
  for (const w of s.workloads) {
    const perNode = new Map<string, number>();
    for (const p of w.pods) if (p.phase === 'Scheduled' && p.node) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
    const waiting = w.pods.filter((p) => p.phase !== 'Scheduled').length;
    rows.push([
      nameOf(w), w.hostPorts.join(',') || '-',
      ...(matrix ? s.nodes.map((n) => String(perNode.get(n.name) ?? '-')) : [`${perNode.size} of ${s.nodes.length}`]),
      String(waiting),
    ]);
  }
  lines.push(...table(rows), '');
  const held = s.nodes.filter((n) => n.hostPorts.length > 0);
  if (held.length > 0) {
    lines.push('Host ports by node:');
    for (const n of held) {
      const byPod = new Map<string, string[]>();
      for (const h of n.hostPorts) byPod.set(h.pod, [...(byPod.get(h.pod) ?? []), h.port]);
      lines.push(`  ${n.name}${n.address ? ` (${n.address})` : ''}: ${[...byPod].map(([pod, ports]) => `${ports.join(', ')} by ${pod}`).join('; ')}`);
    }
    lines.push('');
  }
  const pending = s.workloads.flatMap(pendingLines);
  if (pending.length > 0) lines.push('Pods that do not run:', ...pending, '');
  const skips = s.workloads.filter((w) => w.skippedNodes && w.skippedNodes.length > 0);
  if (skips.length > 0) {
    lines.push('DaemonSets that skip nodes (DS-1):');
    for (const w of skips) for (const k of w.skippedNodes!) lines.push(`  ${nameOf(w)} does not run on ${k.node}: ${k.reason}.`);
    lines.push('');
  }
  return `${lines.join('\n')}`;
}

export function renderRolloutText(r: RolloutSummary): string {
  const numbers = r.maxSurge === undefined ? '' : `, maxSurge ${r.maxSurge}, maxUnavailable ${r.maxUnavailable}`;
  const verdict = r.outcome === 'complete' ? `completes in ${plural(r.steps.length, 'step')}`
    : r.outcome === 'manual' ? 'does not start by itself: pods are replaced only when you delete them'
      : `stalls at step ${r.steps.length}: the last step leaves pods waiting and nothing else can move`;
  const lines = [`Rollout of ${nameOf(r.workload)} (${r.strategy}${numbers}) ${verdict}.`];
  for (const s of r.steps) {
    lines.push(`  step ${s.step}: ${s.old} old, ${s.newBound} new running, ${s.newWaiting} new waiting`);
    for (const e of s.events) {
      const where = e.node ? ` on ${e.node}` : '';
      lines.push(e.action === 'wait' ? `    wait    ${e.pod}: ${e.message}` : `    ${e.action.padEnd(7)} ${e.pod}${where}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function renderPodViewText(v: PodView): string[] {
  const ports = v.hostPorts.map((hp) => `${hp.hostIP}:${hp.port}/${hp.protocol}${hp.implied ? ' (implied by hostNetwork, DEF-3)' : ''} from ${hp.container.name}`);
  return [
    `${v.kind} ${v.namespace}/${v.object.name} (${v.object.source.file}:${v.object.source.locator.locate([]).line})`,
    `  hostNetwork: ${v.hostNetwork}`,
    `  dnsPolicy: ${String(v.dnsPolicy)}${v.dnsPolicyWritten ? '' : ' (defaulted, DEF-1)'}`,
    `  pods: ${v.kind === 'DaemonSet' ? 'one per eligible node' : v.kind === 'CronJob' ? 'one Job per schedule' : String(v.replicas)}`,
    `  update strategy: ${v.strategy.type}${v.strategy.maxSurge !== undefined ? ` (maxSurge ${v.strategy.maxSurge}, maxUnavailable ${v.strategy.maxUnavailable})` : ''}${v.strategy.typeDefaulted && v.strategy.type !== 'None' ? ', defaulted' : ''}`,
    `  host ports:${ports.length === 0 ? ' none' : ''}`,
    ...ports.map((p) => `    ${p}`),
  ];
}

export function renderNodeVerdicts(verdicts: readonly NodeVerdict[]): string[] {
  const lines = ['Placement: could one more pod land on each node, given everything placed?'];
  for (const v of verdicts) {
    if (v.feasible) {
      lines.push(`  ${v.node}: yes`);
      continue;
    }
    lines.push(`  ${v.node}: no, ${v.plugin}: ${v.reasons.join(', ')}`);
    for (const h of v.heldBy ?? []) lines.push(`    ${heldByLine(h)}`);
  }
  return lines;
}
