/**
 * Core values shared by every stage. Nothing here imports anything else in src/.
 */

export type Severity = 'error' | 'warning' | 'info';

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { error: 3, warning: 2, info: 1 };

/** One step of a field path from an object's root: a key or a list index. */
export type PathSegment = string | number;
export type FieldPath = readonly PathSegment[];

/** 1-based line and column, as editors and `file:line:column` show them. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Finds where a field of one loaded document was written. */
export interface Locator {
  /** The position of the deepest written part of `path`; the object's own position if nothing matches. */
  locate(path: FieldPath): Position;
  /** True when `path` was written in the source (not defaulted, not absent). */
  has(path: FieldPath): boolean;
}

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export interface SourceRef {
  /** The file as the user named it (relative paths stay relative); `<stdin>` for standard input. */
  readonly file: string;
  /** 0-based index of the YAML document in the file. */
  readonly document: number;
  /** Path of this object inside its document: empty, or `['items', i]` for List members. */
  readonly basePath: FieldPath;
  readonly locator: Locator;
}

/** A Kubernetes object as loaded: its identity, the raw value, and where it came from. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  /** `metadata.namespace` as written; absent when the manifest leaves it to `kubectl -n`. */
  readonly namespace?: string;
  readonly name: string;
  readonly raw: Readonly<Record<string, unknown>>;
  readonly source: SourceRef;
}

export interface RelatedLocation {
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path?: string;
  readonly object?: ObjectRef;
}

/** A problem found in the user's input. Findings are values; exceptions are bugs. */
export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly object?: ObjectRef;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted path from the object root, e.g. `spec.template.spec.containers[1].ports[0].hostPort`. */
  readonly path?: string;
  readonly related: readonly RelatedLocation[];
  /** Semantics rule ids and simulated facts that prove the finding. */
  readonly evidence: readonly string[];
  /** The rule's message id (tests assert on it; not part of the JSON output). */
  readonly messageId?: string;
  /** What to change, when it can be said in one line. */
  readonly fix?: string;
}

export function refOf(o: KubeObject): ObjectRef {
  return o.namespace === undefined
    ? { apiVersion: o.apiVersion, kind: o.kind, name: o.name }
    : { apiVersion: o.apiVersion, kind: o.kind, namespace: o.namespace, name: o.name };
}

/** `spec.containers[0].ports[1]` from `['spec','containers',0,'ports',1]`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** `Deployment default/web`, or `Deployment web` when no namespace is written. */
export function describeRef(r: ObjectRef): string {
  return r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
}
