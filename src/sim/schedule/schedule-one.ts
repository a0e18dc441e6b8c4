/**
 * One scheduling cycle for one pod: PreFilter, Filter over the nodes starting where the last cycle
 * stopped and stopping once enough feasible nodes are found (upstream's percentageOfNodesToScore),
 * then hostnet's documented choice among them. A pod that fits nowhere gets kube-scheduler's
 * FitError message, verbatim. Ref: kubernetes/kubernetes pkg/scheduler/schedule_one.go
 * (findNodesThatFitPod, findNodesThatPassFilters, numFeasibleNodesToFind) and
 * pkg/scheduler/framework/types.go (FitError.Error).
 */
import { SUCCESS, type CycleState, type FilterPlugin, type Snapshot, type Status } from './framework.js';
import type { NodeInfo } from './node-info.js';
import { FILTER_PLUGINS, STATIC_PLUGINS } from './registry.js';
import type { SchedPod } from './sched-pod.js';

export interface Diagnosis {
  /** The status of every node that was filtered and rejected, by node name. */
  readonly nodeToStatus: Map<string, Status>;
  /** Nodes a PreFilter ruled out, sharing one status (upstream's SetAbsentNodesStatus). */
  absent?: { readonly status: Status; readonly count: number };
  /** Set when a PreFilter rejected the pod on every node. */
  preFilterMsg?: string;
}

export interface FitError {
  readonly numAllNodes: number;
  readonly diagnosis: Diagnosis;
  /** `0/4 nodes are available: 1 node(s) had untolerated taint {…}, 3 node(s) didn't have free ports for the requested pod ports.` */
  readonly message: string;
}

export interface ScheduleResult {
  readonly node?: NodeInfo;
  readonly fitError?: FitError;
  /** The nodes whose filters rejected the pod; with `findAll`, every candidate node, feasible ones as Success. */
  readonly statuses: ReadonlyMap<string, Status>;
}

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** How many feasible nodes are enough: all below 100 nodes, then an adaptive share (50% − n/125, at least 5%). */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage === 0) {
    percentage = 50 - Math.trunc(numAllNodes / 125);
    if (percentage < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) percentage = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * percentage) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

/** FitError.Error(): each reason counted over the nodes, `<count> <reason>` sorted as strings. */
export function fitErrorMessage(numAllNodes: number, diagnosis: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (diagnosis.preFilterMsg !== undefined) return `${msg} ${diagnosis.preFilterMsg}.`;
  const histogram = new Map<string, number>();
  for (const status of diagnosis.nodeToStatus.values()) {
    for (const r of status.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  }
  if (diagnosis.absent && diagnosis.absent.count > 0) {
    for (const r of diagnosis.absent.status.reasons) histogram.set(r, (histogram.get(r) ?? 0) + diagnosis.absent.count);
  }
  const parts = [...histogram].map(([reason, n]) => `${n} ${reason}`);
  // Go's sort.Strings: byte order, so "10 node(s)…" sorts before "2 node(s)…" as upstream prints it.
  parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  msg += ` ${parts.join(', ')}.`;
  return msg;
}

/** Run the filter plugins on one node; the first that says no decides. */
export function runFilterPlugins(plugins: readonly FilterPlugin[], state: CycleState, pod: SchedPod, node: NodeInfo): Status {
  for (let i = 0; i < plugins.length; i++) {
    const s = plugins[i]!.filter(state, pod, node);
    if (s !== SUCCESS && s.code !== 'Success' && s.code !== 'Skip') return s;
  }
  return SUCCESS;
}

/**
 * hostnet's choice among feasible nodes, in place of kube-scheduler's scores: the node with the
 * fewest pods of the same workload (the default topology spreading), then the fewest pods, then the
 * first one found. Deterministic, and it spreads replicas the way the default scores do.
 */
export function selectHost(pod: SchedPod, feasible: readonly NodeInfo[], snapshot: Snapshot): NodeInfo {
  const same = snapshot.nodesByShape.get(pod.shape);
  let best = feasible[0]!;
  let bestSame = same?.get(best) ?? 0;
  for (let i = 1; i < feasible.length; i++) {
    const n = feasible[i]!;
    const s = same?.get(n) ?? 0;
    if (s < bestSame || (s === bestSame && n.pods.length < best.pods.length)) {
      best = n;
      bestSame = s;
    }
  }
  return best;
}

export interface SchedulerOptions {
  readonly plugins?: readonly FilterPlugin[];
  /** 0 is upstream's adaptive default. */
  readonly percentageOfNodesToScore?: number;
}

export class Scheduler {
  private nextStartNodeIndex = 0;
  private readonly plugins: readonly FilterPlugin[];
  private readonly percentage: number;
  /** The leading plugins whose verdict depends only on the pod spec and the node. */
  private readonly staticPrefix: readonly FilterPlugin[];
  /** Their verdicts per node, by the pod fields they read: most pods share a handful of these. */
  private readonly staticVerdicts = new Map<string, Status[]>();
  private readonly staticKeys = new WeakMap<object, string>();

  constructor(private readonly snapshot: Snapshot, options: SchedulerOptions = {}) {
    this.plugins = options.plugins ?? FILTER_PLUGINS;
    this.percentage = options.percentageOfNodesToScore ?? 0;
    const prefix: FilterPlugin[] = [];
    for (const pl of this.plugins) {
      if (!STATIC_PLUGINS.includes(pl)) break;
      prefix.push(pl);
    }
    this.staticPrefix = prefix;
  }

  /** The static plugins' verdict for every node, computed once per distinct set of pod fields they read. */
  private staticVerdictsFor(pod: SchedPod, state: CycleState): Status[] {
    const shape = pod.shape;
    let key = this.staticKeys.get(shape);
    if (key === undefined) {
      key = JSON.stringify([shape.nodeName, shape.nodeSelector, shape.requiredNodeAffinity, shape.tolerations]);
      this.staticKeys.set(shape, key);
    }
    let verdicts = this.staticVerdicts.get(key);
    if (!verdicts) {
      verdicts = this.snapshot.nodes.map((n) => runFilterPlugins(this.staticPrefix, state, pod, n));
      this.staticVerdicts.set(key, verdicts);
    }
    return verdicts;
  }

  /**
   * Schedule one pod. With `findAll`, every candidate node is filtered (what `hostnet explain`
   * shows); otherwise the search stops once enough feasible nodes are found, as upstream's does.
   */
  schedule(pod: SchedPod, findAll = false): ScheduleResult {
    const all = this.snapshot.nodes;
    const state: CycleState = new Map();
    const diagnosis: Diagnosis = { nodeToStatus: new Map() };
    const skipped = new Set<string>();
    let candidates: readonly NodeInfo[] = all;
    const narrowedBy: string[] = [];
    for (const pl of this.plugins) {
      if (!pl.preFilter) continue;
      const r = pl.preFilter(state, pod, this.snapshot);
      if (r.status.code === 'Skip') {
        skipped.add(pl.name);
        continue;
      }
      if (r.status.code !== 'Success') {
        diagnosis.preFilterMsg = r.status.reasons.join(', ');
        for (const n of all) diagnosis.nodeToStatus.set(n.name, r.status);
        return { fitError: this.fitError(diagnosis), statuses: diagnosis.nodeToStatus };
      }
      if (r.nodeNames) {
        narrowedBy.push(pl.name);
        const names = r.nodeNames;
        candidates = candidates === all
          ? [...names].map((n) => this.snapshot.nodeByName(n)).filter((n): n is NodeInfo => n !== undefined).sort((a, b) => a.index - b.index)
          : candidates.filter((n) => names.has(n.name));
      }
    }
    if (narrowedBy.length > 0) {
      // Nodes a PreFilter ruled out get one shared status, as SetAbsentNodesStatus gives them.
      const status: Status = { code: 'UnschedulableAndUnresolvable', reasons: [`node(s) didn't satisfy plugin(s) [${narrowedBy.sort().join(' ')}]`], plugin: narrowedBy[0]! };
      diagnosis.absent = { status, count: all.length - candidates.length };
    }
    // Pods that may go anywhere read the static verdicts from the cache; pinned pods filter their few nodes.
    const cached = candidates === all && pod.pinnedTo === undefined && this.staticPrefix.length > 0 ? this.staticVerdictsFor(pod, state) : undefined;
    const plugins = this.plugins.filter((pl) => !skipped.has(pl.name) && !(cached && this.staticPrefix.includes(pl)));

    const n = candidates.length;
    const toFind = findAll ? n : numFeasibleNodesToFind(n, this.percentage);
    const feasible: NodeInfo[] = [];
    // Rejections are kept as a list and turned into the status map only when someone reads it.
    const rejected: Array<[NodeInfo, Status]> = [];
    let processed = 0;
    for (let i = 0; i < n && feasible.length < toFind; i++) {
      const node = candidates[(this.nextStartNodeIndex + i) % n]!;
      processed++;
      const pre = cached?.[node.index];
      const s = pre !== undefined && pre !== SUCCESS ? pre : runFilterPlugins(plugins, state, pod, node);
      if (s.code === 'Success') feasible.push(node);
      else rejected.push([node, s]);
    }
    if (all.length > 0) this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % all.length;
    const statusMap = (): Map<string, Status> => {
      for (const [node, s] of rejected) diagnosis.nodeToStatus.set(node.name, s);
      return diagnosis.nodeToStatus;
    };
    if (feasible.length === 0) {
      const statuses = statusMap();
      return { fitError: this.fitError(diagnosis), statuses };
    }
    const node = selectHost(pod, feasible, this.snapshot);
    if (!findAll) return { node, statuses: new Map() };
    const statuses = statusMap();
    for (const f of feasible) statuses.set(f.name, SUCCESS);
    return { node, statuses };
  }

  private fitError(diagnosis: Diagnosis): FitError {
    const numAllNodes = this.snapshot.nodes.length;
    return { numAllNodes, diagnosis, message: fitErrorMessage(numAllNodes, diagnosis) };
  }
}
