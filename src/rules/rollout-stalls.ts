import type { IntOrString } from '../model/defaults.js';
import type { HostPort, PodView } from '../model/pod-view.js';
import { formatPath, type FieldPath, type RelatedLocation } from '../model/types.js';
import type { PlacedPod, Placement, WorkloadPlacement } from '../sim/schedule/place.js';
import { Name as InterPodAffinity } from '../sim/schedule/plugins/inter-pod-affinity.js';
import { playRollout, type RolloutResult } from '../sim/schedule/rollout.js';
import { defineRule } from './define-rule.js';

type MessageId = 'deployment' | 'daemonSet' | 'stalled';

/** `worker-1, worker-2 and worker-3`. */
function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const isPercent = (v: IntOrString | undefined): v is string => typeof v === 'string' && v.endsWith('%');

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * `maxSurge 25% of 3 replicas rounds up to 1 (the default)`: the value as written or defaulted and
 * what the controller makes of it.
 */
function describeValue(name: string, raw: IntOrString | undefined, resolved: number | undefined, total: string | undefined, roundUp: boolean, written: boolean): string {
  const dflt = written ? '' : ' (the default)';
  if (isPercent(raw)) {
    return `${name} ${raw}${total === undefined ? '' : ` of ${total}`} rounds ${roundUp ? 'up' : 'down'} to ${resolved ?? '?'}${dflt}`;
  }
  const shown = raw ?? resolved;
  if (resolved !== undefined && shown !== resolved) return `${name} ${shown} counts as ${resolved}${dflt}`;
  return `${name} ${shown}${dflt}`;
}

function portText(hp: Pick<HostPort, 'hostIP' | 'port' | 'protocol'>): string {
  return hp.hostIP === '0.0.0.0' || hp.hostIP === '' ? `${hp.port}/${hp.protocol}` : `${hp.hostIP}:${hp.port}/${hp.protocol}`;
}

const fieldOf = (hp: HostPort): FieldPath => [...hp.portView.path, hp.implied ? 'containerPort' : 'hostPort'];

/** Why the waiting pods wait, from the simulator's verdicts: who holds their ports, which nodes anti-affinity rules out. */
interface Blockage {
  /** Nodes where this workload's own old pods hold a wanted port. */
  readonly ownNodes: string[];
  /** This workload's host ports that are held. */
  readonly ports: HostPort[];
  /** Other workloads holding a wanted port: text and where. */
  readonly others: Array<{ text: string; related: RelatedLocation }>;
  /** Nodes where InterPodAffinity said no. */
  readonly antiNodes: string[];
  readonly evidence: string[];
}

function blockageOf(w: WorkloadPlacement, waiting: readonly PlacedPod[]): Blockage {
  const ownNodes = new Set<string>();
  const ports = new Set<HostPort>();
  const others = new Map<string, { text: string; related: RelatedLocation }>();
  const antiNodes = new Set<string>();
  const evidence: string[] = [];
  for (const p of waiting) {
    for (const block of p.portBlocks) {
      for (const h of block.holders) {
        evidence.push(`node ${block.node}: ${h.holder.name} holds ${h.hostIP}:${h.port}/${h.protocol}`);
        for (const hp of w.view.hostPorts) if (hp.port === h.port && hp.protocol === h.protocol) ports.add(hp);
        const shape = h.holder.shape;
        if (shape === w.shape) {
          ownNodes.add(block.node);
          continue;
        }
        const text = `${shape.workload} holds ${portText(h)} on ${block.node}`;
        if (others.has(text)) continue;
        const theirs = shape.hostPorts.find((x) => x.port === h.port && x.protocol === h.protocol && x.hostIP === h.hostIP);
        const obj = shape.view.object;
        const path = theirs ? fieldOf(theirs) : shape.view.specPath;
        const pos = obj.source.locator.locate(path);
        others.set(text, {
          text,
          related: { message: `${shape.workload} holds host port ${portText(h)} on ${block.node}.`, file: obj.source.file, line: pos.line, column: pos.column, path: formatPath(path) },
        });
      }
    }
    for (const [node, status] of p.fitError?.diagnosis.nodeToStatus ?? []) {
      if (status.plugin === InterPodAffinity) antiNodes.add(node);
    }
  }
  return { ownNodes: [...ownNodes], ports: [...ports], others: [...others.values()], antiNodes: [...antiNodes], evidence };
}

/** The step at which the first waiting pod was created, and the steps as evidence. */
function stepOf(r: RolloutResult): number {
  const first = r.waiting[0]?.pod.name;
  const i = r.steps.findIndex((s) => s.events.some((e) => e.action === 'create' && e.pod === first));
  return i >= 0 ? r.steps[i]!.step : Math.max(1, r.steps.length);
}

function stepEvidence(r: RolloutResult): string[] {
  return r.steps.map((s) => `step ${s.step}: ${s.events.map((e) => `${e.action} ${e.pod}${e.node ? ` on ${e.node}` : ''}${e.message ? ` (${e.message})` : ''}`).join('; ')}`);
}

function waitingNames(waiting: readonly PlacedPod[]): string {
  const names = waiting.map((p) => p.pod.name);
  return names.length <= 3 ? list(names) : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/** The sentence that says why the surge pod cannot go anywhere. */
function causeSentence(b: Blockage, oldNodes: readonly string[], eligible: number, replicas: number, surge: number, daemon: boolean): string {
  const parts: string[] = [];
  const ports = list(b.ports.map(portText));
  if (b.ownNodes.length > 0) {
    const old = daemon ? 'the old pod' : 'the old pods';
    parts.push(`It needs host port${b.ports.length === 1 ? '' : 's'} ${ports}, which ${old} still hold${daemon ? 's' : ''} on ${list(b.ownNodes)} (SCHED-3).`);
  }
  if (b.others.length > 0) parts.push(`Elsewhere ${list(b.others.map((o) => o.text))}.`);
  if (b.antiNodes.length > 0) {
    const anti = new Set(b.antiNodes);
    const oldThere = oldNodes.filter((n) => anti.has(n));
    const where = list(daemon || oldThere.length === 0 ? b.antiNodes : oldThere);
    parts.push(`Its required pod anti-affinity keeps it off ${where}, where ${daemon ? 'the old pod runs' : 'the old pods run'}.`);
  }
  const need = replicas + Math.max(surge, 1);
  if (!daemon && (b.ownNodes.length > 0 || b.antiNodes.length > 0) && eligible < need) {
    parts.push(`No other node is free: ${plural(eligible, 'node')} ${eligible === 1 ? 'is' : 'are'} eligible for ${plural(replicas, 'replica')}, and the update needs ${need} at once.`);
  }
  return parts.join(' ');
}

/**
 * Plays the rollout of every Deployment and DaemonSet that places cleanly and has host ports or
 * required pod anti-affinity, with the scheduling simulator, and reports the ones that never
 * finish. A surge pod that needs what an old pod holds (its host port, SCHED-3; its node under
 * anti-affinity) waits forever when no old pod may go first: a Deployment with maxUnavailable 0
 * and no spare eligible node (kubernetes/kubernetes#90669), a DaemonSet with maxSurge > 0, whose
 * surge pod is pinned to the old pod's node (DS-2, DS-5, kubernetes/kubernetes#106417). A rollout
 * that finishes, even slowly, is not reported.
 */
export default defineRule<MessageId>({
  id: 'rollout-stalls',
  meta: {
    severity: 'error',
    summary: 'A Deployment or DaemonSet whose rolling update can never finish, because its surge pods need a host port or a node that the old pods hold and no old pod may go first.',
    sources: [
      'DS-2', 'DS-4', 'DS-5', 'SCHED-3', 'SCHED-4', 'SCHED-5', 'DEF-5', 'VAL-21',
      'kubernetes/kubernetes pkg/controller/deployment/rolling.go',
      'kubernetes/kubernetes pkg/controller/deployment/util/deployment_util.go#ResolveFenceposts',
      'kubernetes/kubernetes pkg/controller/daemon/update.go#rollingUpdate',
      'kubernetes/kubernetes#90669', 'kubernetes/kubernetes#40131', 'kubernetes/kubernetes#106417',
      'openkruise/kruise#2361', 'kubernetes/community#977', 'kubernetes/enhancements#1590',
    ],
    peers: [
      { tool: 'kube-linter', id: 'no-rolling-update-strategy', relation: 'related' },
      { tool: 'openkruise', id: 'DaemonSet maxSurge with hostPort webhook warning (openkruise/kruise#2361)', relation: 'related' },
    ],
    messages: {
      deployment:
        'The rolling update of this Deployment can never finish: {{numbers}}, so the controller first adds {{surgeText}} beside the {{replicas}} old ones and deletes no old pod until a new one is available. At step {{step}} {{waiting}} stays Pending: "{{reason}}" {{cause}} Every change to the pod template stops there with the old pods still running. Set strategy.rollingUpdate to maxSurge: 0 and maxUnavailable: 1 (one old pod goes first and frees its node), or use strategy type: Recreate (all old pods go first, with downtime), or make one more node eligible for this Deployment.',
      daemonSet:
        'The rolling update of this DaemonSet can never finish: {{numbers}}, so on each node the controller creates the new pod beside the old one and deletes the old pod only once the new one is available (DS-5). The new pod is pinned to that node (DS-2). At step {{step}} {{waiting}} stays Pending: "{{reason}}" {{cause}} The old pod there is never deleted, and the rollout never gets past {{stuck}}. Set updateStrategy.rollingUpdate to maxSurge: 0 and maxUnavailable: 1 (the default, DS-4): the old pod goes first and frees the node for the new one.',
      stalled:
        'The {{strategy}} rollout of this {{kind}} can never finish: at step {{step}} {{waiting}} stays Pending: "{{reason}}" {{cause}} Make room for the new pods before the update, for example another eligible node.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    let placement: Placement | undefined;
    const report = (v: PodView, w: WorkloadPlacement, r: RolloutResult): void => {
      const locator = v.object.source.locator;
      const sp = v.strategy.path;
      const surgePath = [...sp, 'rollingUpdate', 'maxSurge'];
      const unavailablePath = [...sp, 'rollingUpdate', 'maxUnavailable'];
      const daemon = v.kind === 'DaemonSet';
      const waiting = r.waiting;
      const first = waiting[0];
      const reason = first?.fitError?.message ?? (first?.admission ? first.admission.status.reasons.join(', ') : 'not scheduled');
      const b = blockageOf(w, waiting);
      const oldNodes = [...new Set(w.pods.filter((p) => p.phase === 'Scheduled').map((p) => p.node!))];
      const eligible = placement!.eligibleNodes(w).length;
      const replicas = daemon ? w.pods.length : (v.replicas ?? 1);
      const surge = r.maxSurge ?? 0;
      const cause = causeSentence(b, oldNodes, eligible, replicas, surge, daemon);
      const related: RelatedLocation[] = [
        ...b.ports.map((hp): RelatedLocation => {
          const path = fieldOf(hp);
          const pos = locator.locate(path);
          return { message: `The new pods need host port ${portText(hp)} here, which the old pods still hold.`, file: v.object.source.file, line: pos.line, column: pos.column, path: formatPath(path) };
        }),
        ...b.others.map((o) => o.related),
      ];
      const evidence = [
        `resolved: maxSurge ${r.maxSurge ?? '-'}, maxUnavailable ${r.maxUnavailable ?? '-'}${daemon ? ` over ${plural(replicas, 'node')}` : ` of ${plural(replicas, 'replica')}`}; ${plural(eligible, 'eligible node')}`,
        ...stepEvidence(r),
        ...b.evidence,
      ];
      const step = stepOf(r);

      if (r.strategy !== 'RollingUpdate') {
        ctx.report({
          object: v.object, path: locator.has(sp) ? sp : v.specPath, messageId: 'stalled',
          data: { strategy: r.strategy, kind: v.kind, step, waiting: waitingNames(waiting), reason, cause: cause || 'Nothing else frees a place for it.' },
          related, evidence,
        });
        return;
      }

      const surgeWritten = locator.has(surgePath);
      const unavailableWritten = locator.has(unavailablePath);
      if (daemon) {
        const numbers = `${describeValue('maxSurge', v.strategy.maxSurge, r.maxSurge, plural(replicas, 'node'), true, surgeWritten)} (maxUnavailable is then ${r.maxUnavailable ?? 0}, VAL-21)`;
        const path = surgeWritten ? surgePath : locator.has(sp) ? sp : v.specPath;
        ctx.report({
          object: v.object, path, messageId: 'daemonSet',
          data: {
            numbers, step, waiting: waitingNames(waiting), reason,
            cause: cause || 'Nothing frees its node while the old pod runs.',
            stuck: b.ownNodes.length > 0 ? list(b.ownNodes) : plural(waiting.length, 'node'),
          },
          related, evidence,
        });
        return;
      }

      const total = plural(replicas, 'replica');
      const surgeText = describeValue('maxSurge', v.strategy.maxSurge, r.maxSurge, total, true, surgeWritten);
      // "of 3 replicas" once: after a percentage maxSurge it is understood.
      const unavailableText = describeValue('maxUnavailable', v.strategy.maxUnavailable, r.maxUnavailable, isPercent(v.strategy.maxSurge) ? undefined : total, false, unavailableWritten);
      // The written field that causes the stall: maxSurge, else maxUnavailable, else the strategy; with
      // nothing written, replicas (the number the surge is added to), else the strategy to add.
      const path = surgeWritten ? surgePath
        : unavailableWritten ? unavailablePath
        : locator.has(sp) ? sp
        : locator.has(['spec', 'replicas']) ? ['spec', 'replicas']
        : sp;
      ctx.report({
        object: v.object, path, messageId: 'deployment',
        data: {
          numbers: `${surgeText} and ${unavailableText}`,
          surgeText: plural(surge, 'new pod'), replicas, step, waiting: waitingNames(waiting), reason,
          cause: cause || 'Nothing frees a node while the old pods run.',
        },
        related, evidence,
      });
    };

    return {
      podView(v) {
        if (v.kind !== 'Deployment' && v.kind !== 'DaemonSet') return;
        const needsRoom = v.hostPorts.length > 0;
        placement ??= ctx.sims.placement();
        const w = placement.workloadOf(v);
        if (!w || w.pods.length === 0) return;
        if (!needsRoom && w.shape.podAntiAffinity.length === 0) return;
        // Pods that do not place at all are unschedulable-replicas' findings, not a rollout's.
        if (w.pods.some((p) => p.phase !== 'Scheduled')) return;
        const r = playRollout(placement, w);
        if (r.outcome !== 'stalled') return;
        report(v, w, r);
      },
    };
  },
});
