/**
 * Label selectors and node selector terms, matched the way apimachinery and the scheduler match
 * them. Malformed input matches nothing rather than throwing: validation rules report it.
 * Ref: k8s.io/apimachinery pkg/apis/meta/v1/helpers.go#LabelSelectorAsSelector;
 * k8s.io/component-helpers scheduling/corev1/nodeaffinity/nodeaffinity.go.
 */
import { isRecord } from '../../model/pod-view.js';

export type Labels = Readonly<Record<string, string>>;

interface Requirement {
  readonly key: string;
  readonly operator: string;
  readonly values: readonly string[];
}

function requirementsOf(list: unknown): Requirement[] | undefined {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return undefined;
  const out: Requirement[] = [];
  for (const r of list) {
    if (!isRecord(r) || typeof r.key !== 'string' || typeof r.operator !== 'string') return undefined;
    const values = Array.isArray(r.values) ? r.values.map(String) : [];
    out.push({ key: r.key, operator: r.operator, values });
  }
  return out;
}

function matchesRequirement(labels: Labels, r: Requirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case 'In': return has && r.values.includes(v!);
    case 'NotIn': return !has || !r.values.includes(v!);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': case 'Lt': {
      if (!has || r.values.length !== 1) return false;
      // strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, nothing else.
      const int = /^[+-]?\d+$/;
      if (!int.test(v!) || !int.test(r.values[0]!)) return false;
      const a = Number(v);
      const b = Number(r.values[0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

export interface LabelSelector {
  /** Empty selector `{}` matches everything; a null selector (undefined here) matches nothing. */
  matches(labels: Labels): boolean;
}

const NOTHING: LabelSelector = { matches: () => false };

/** A metav1.LabelSelector (`matchLabels` + `matchExpressions`). */
export function labelSelector(raw: unknown): LabelSelector {
  if (!isRecord(raw)) return NOTHING;
  const reqs: Requirement[] = [];
  if (isRecord(raw.matchLabels)) {
    for (const [k, v] of Object.entries(raw.matchLabels)) reqs.push({ key: k, operator: 'In', values: [String(v)] });
  } else if (raw.matchLabels !== undefined && raw.matchLabels !== null) {
    return NOTHING;
  }
  const exprs = requirementsOf(raw.matchExpressions);
  if (!exprs) return NOTHING;
  reqs.push(...exprs);
  return { matches: (labels) => reqs.every((r) => matchesRequirement(labels, r)) };
}

/** A plain `key: value` map (nodeSelector, Service selectors): every pair must be present. */
export function matchesMap(labels: Labels, selector: Labels): boolean {
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

export interface NodeSelectorTerm {
  readonly expressions: readonly Requirement[];
  readonly fields: readonly Requirement[];
}

/** Required node affinity terms; undefined when the pod has none. A malformed term matches nothing. */
export function nodeSelectorTerms(raw: unknown): NodeSelectorTerm[] | undefined {
  if (!isRecord(raw)) return undefined;
  const terms = raw.nodeSelectorTerms;
  if (!Array.isArray(terms)) return [];
  return terms.map((t) => {
    if (!isRecord(t)) return { expressions: [], fields: [] };
    const expressions = requirementsOf(t.matchExpressions);
    const fields = requirementsOf(t.matchFields);
    if (!expressions || !fields) return { expressions: [{ key: '', operator: 'Invalid', values: [] }], fields: [] };
    return { expressions, fields };
  });
}

/** Terms are ORed; a term with no requirements matches nothing, nor does an empty list (nodeaffinity.go). */
export function matchesNodeSelectorTerms(terms: readonly NodeSelectorTerm[], nodeLabels: Labels, nodeName: string): boolean {
  for (const t of terms) {
    if (t.expressions.length === 0 && t.fields.length === 0) continue;
    if (!t.expressions.every((r) => matchesRequirement(nodeLabels, r))) continue;
    if (!t.fields.every((r) => r.key === 'metadata.name' && matchesRequirement({ 'metadata.name': nodeName }, r))) continue;
    return true;
  }
  return false;
}

/**
 * The node names a set of terms pins the pod to, when every term is `matchFields metadata.name In`
 * (the DaemonSet controller's DS-2 term); undefined when the terms allow any node.
 * Ref: nodeaffinity/node_affinity.go#getPreFilterNodeNames.
 */
export function pinnedNodeNames(terms: readonly NodeSelectorTerm[]): Set<string> | undefined {
  const out = new Set<string>();
  for (const t of terms) {
    const f = t.fields.find((r) => r.key === 'metadata.name' && r.operator === 'In');
    if (!f) return undefined;
    for (const v of f.values) out.add(v);
  }
  return terms.length > 0 ? out : undefined;
}
