/**
 * `hostnet.dev/ignore` on an object (or its pod template): `rule-a,rule-b; the reason`.
 * `*` ignores every rule. Parsed here so every surface suppresses the same way.
 */
import { isRecord } from './pod-view.js';
import type { KubeObject } from './types.js';

export const IGNORE_ANNOTATION = 'hostnet.dev/ignore';

export interface Suppression {
  readonly rules: ReadonlySet<string>;
  readonly reason?: string;
  /** Where the annotation was written, from the object root. */
  readonly path: readonly (string | number)[];
}

export function parseIgnore(value: string): { rules: Set<string>; reason?: string } {
  const semi = value.indexOf(';');
  const list = semi === -1 ? value : value.slice(0, semi);
  const reason = semi === -1 ? undefined : value.slice(semi + 1).trim() || undefined;
  const rules = new Set(list.split(',').map((s) => s.trim()).filter(Boolean));
  return reason === undefined ? { rules } : { rules, reason };
}

const TEMPLATE_METADATA: ReadonlyArray<readonly string[]> = [
  ['metadata'],
  ['spec', 'template', 'metadata'],
  ['spec', 'jobTemplate', 'spec', 'template', 'metadata'],
];

/** Every `hostnet.dev/ignore` annotation on the object and its pod template. */
export function suppressionsOf(o: KubeObject): Suppression[] {
  const out: Suppression[] = [];
  for (const path of TEMPLATE_METADATA) {
    let node: unknown = o.raw;
    for (const seg of path) node = isRecord(node) ? node[seg] : undefined;
    const annotations = isRecord(node) ? node.annotations : undefined;
    const value = isRecord(annotations) ? annotations[IGNORE_ANNOTATION] : undefined;
    if (typeof value !== 'string') continue;
    out.push({ ...parseIgnore(value), path: [...path, 'annotations', IGNORE_ANNOTATION] });
  }
  return out;
}
