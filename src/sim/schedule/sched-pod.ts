/**
 * One pod as the scheduler sees it, built from a PodView: the fields the filter plugins read,
 * parsed once. Pods of one workload share a SchedPod shape; `ordinal` tells them apart.
 */
import { getPath, isRecord, type HostPort, type PodView } from '../../model/pod-view.js';
import { labelSelector, nodeSelectorTerms, type LabelSelector, type Labels, type NodeSelectorTerm } from './label-selector.js';
import { milliCPU, parseQuantity } from './quantity.js';

export interface Toleration {
  readonly key: string;
  readonly operator: 'Exists' | 'Equal';
  readonly value: string;
  /** '' tolerates every effect. */
  readonly effect: string;
}

export interface PodAffinityTerm {
  readonly selector: LabelSelector;
  /** Namespaces the term looks in; undefined means every namespace (`namespaceSelector: {}`). */
  readonly namespaces: ReadonlySet<string> | undefined;
  readonly topologyKey: string;
}

export interface Requests {
  readonly milliCPU: number;
  readonly memory: number;
  readonly ephemeralStorage: number;
}

/** The scheduling-relevant shape of a workload's pods, shared by all its replicas. */
export interface PodShape {
  readonly view: PodView;
  /** `Deployment default/web`: how messages name the workload. */
  readonly workload: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly nodeName: string | undefined;
  readonly nodeSelector: Labels;
  /** Required node affinity terms; undefined when none. */
  readonly requiredNodeAffinity: readonly NodeSelectorTerm[] | undefined;
  readonly tolerations: readonly Toleration[];
  readonly hostPorts: readonly HostPort[];
  readonly requests: Requests;
  readonly podAffinity: readonly PodAffinityTerm[];
  readonly podAntiAffinity: readonly PodAffinityTerm[];
}

export interface SchedPod {
  readonly shape: PodShape;
  /** `Deployment default/web (pod 2 of 3)`, `DaemonSet kube-system/agent on worker-1`. */
  readonly name: string;
  readonly ordinal: number;
  /** For DaemonSet pods: the node DS-2 pins it to. */
  readonly pinnedTo?: string;
  /** Which rollout revision this pod belongs to (rollouts run an old and a new one side by side). */
  readonly revision: 'current' | 'new';
}

/** A `key: value` map of scalars (labels, selectors) as strings; anything else is left out. */
export function stringMap(v: unknown): Labels {
  if (!isRecord(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && typeof x !== 'object') out[k] = String(x);
  return out;
}

export function tolerationsOf(raw: unknown): Toleration[] {
  if (!Array.isArray(raw)) return [];
  const out: Toleration[] = [];
  for (const t of raw) {
    if (!isRecord(t)) continue;
    out.push({
      key: typeof t.key === 'string' ? t.key : '',
      operator: t.operator === 'Exists' ? 'Exists' : 'Equal',
      value: t.value === undefined || t.value === null ? '' : String(t.value),
      effect: typeof t.effect === 'string' ? t.effect : '',
    });
  }
  return out;
}

function affinityTerms(raw: unknown, ownNamespace: string): PodAffinityTerm[] {
  if (!Array.isArray(raw)) return [];
  const out: PodAffinityTerm[] = [];
  for (const t of raw) {
    if (!isRecord(t) || typeof t.topologyKey !== 'string') continue;
    let namespaces: Set<string> | undefined = new Set(Array.isArray(t.namespaces) ? t.namespaces.map(String) : []);
    // An empty namespaceSelector selects every namespace; a non-empty one needs Namespace labels we
    // do not model, so it adds nothing beyond `namespaces`.
    if (isRecord(t.namespaceSelector) && Object.keys(t.namespaceSelector).length === 0) namespaces = undefined;
    else if (namespaces.size === 0 && t.namespaceSelector === undefined) namespaces.add(ownNamespace);
    out.push({ selector: labelSelector(t.labelSelector), namespaces, topologyKey: t.topologyKey });
  }
  return out;
}

/**
 * The pod's effective requests: regular containers and sidecars run together; a run-to-completion
 * init container runs alone with the sidecars started before it; the larger of the two counts.
 * A limit without a request defaults the request (API defaulting). Ref: k8s.io/component-helpers
 * resource/helpers.go#PodRequests.
 */
function requestsOf(view: PodView): Requests {
  const one = (c: Readonly<Record<string, unknown>>): [number, number, number] => {
    const res = isRecord(c.resources) ? c.resources : {};
    const req = isRecord(res.requests) ? res.requests : {};
    const lim = isRecord(res.limits) ? res.limits : {};
    const pick = (k: string): unknown => (req[k] !== undefined ? req[k] : lim[k]);
    return [milliCPU(pick('cpu')) ?? 0, parseQuantity(pick('memory')) ?? 0, parseQuantity(pick('ephemeral-storage')) ?? 0];
  };
  const sum: [number, number, number] = [0, 0, 0];
  const initMax: [number, number, number] = [0, 0, 0];
  const sidecars: [number, number, number] = [0, 0, 0];
  for (const c of view.containers) {
    const r = one(c.raw);
    if (c.kind === 'container' || c.restartable) {
      for (let i = 0; i < 3; i++) sum[i]! += r[i]!;
      if (c.restartable) for (let i = 0; i < 3; i++) sidecars[i]! += r[i]!;
    } else if (c.kind === 'initContainer') {
      for (let i = 0; i < 3; i++) initMax[i] = Math.max(initMax[i]!, r[i]! + sidecars[i]!);
    }
  }
  return { milliCPU: Math.max(sum[0], initMax[0]), memory: Math.max(sum[1], initMax[1]), ephemeralStorage: Math.max(sum[2], initMax[2]) };
}

export function describeWorkload(view: PodView): string {
  return `${view.kind} ${view.namespace}/${view.object.name}`;
}

export function podShapeOf(view: PodView): PodShape {
  const spec = view.spec;
  const affinity = isRecord(spec.affinity) ? spec.affinity : {};
  return {
    view,
    workload: describeWorkload(view),
    namespace: view.namespace,
    labels: stringMap(view.podMetadata.labels),
    nodeName: typeof spec.nodeName === 'string' && spec.nodeName !== '' ? spec.nodeName : undefined,
    nodeSelector: stringMap(spec.nodeSelector),
    requiredNodeAffinity: nodeSelectorTerms(getPath(affinity, ['nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution'])),
    tolerations: tolerationsOf(spec.tolerations),
    hostPorts: view.hostPorts,
    requests: requestsOf(view),
    podAffinity: affinityTerms(getPath(affinity, ['podAffinity', 'requiredDuringSchedulingIgnoredDuringExecution']), view.namespace),
    podAntiAffinity: affinityTerms(getPath(affinity, ['podAntiAffinity', 'requiredDuringSchedulingIgnoredDuringExecution']), view.namespace),
  };
}
