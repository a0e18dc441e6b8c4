/**
 * Parsed documents → Kubernetes objects with identity and source, plus load findings.
 * Pure: it receives text, never reads the disk.
 */
import { CLUSTER_SCOPED_KINDS } from '../model/kinds.js';
import { isRecord } from '../model/pod-view.js';
import type { FieldPath, Finding, KubeObject } from '../model/types.js';
import { formatPath, refOf } from '../model/types.js';
import { LOAD_ISSUES, type LoadIssueId } from './load-issues.js';
import { DEFAULT_PARSE_LIMITS, parseYamlStream, type ParseLimits, type ParsedDocument } from './parse-yaml.js';
import { documentLocator, SourceFile } from './source-file.js';

export interface LoadedText {
  readonly source: SourceFile;
  readonly objects: KubeObject[];
  readonly issues: Finding[];
  readonly documents: number;
}

export function loadIssue(id: LoadIssueId, message: string, file: string, line = 1, column = 1, extra: Partial<Finding> = {}): Finding {
  return { ruleId: id, severity: LOAD_ISSUES[id].severity, message, file, line, column, related: [], evidence: [], ...extra };
}

const ORDINAL = (n: number): string => `Document ${n + 1}`;

/** Parse one input's text and extract its objects. Bad input becomes findings; nothing throws. */
export function loadText(file: string, rawText: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): LoadedText {
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const source = new SourceFile(file, text);
  const objects: KubeObject[] = [];
  const issues: Finding[] = [];
  const docs = parseYamlStream(text, limits);
  for (const doc of docs) {
    for (const yi of doc.issues) {
      const p = source.position(yi.offset);
      const related = yi.firstOffset === undefined ? [] : [{ message: 'first written here', file, ...source.position(yi.firstOffset) }];
      issues.push(loadIssue(yi.id, yi.message, file, p.line, p.column, { related }));
    }
    if (doc.value === undefined || doc.value === null) continue;
    extract(source, doc, doc.value, [], objects, issues);
  }
  return { source, objects, issues, documents: docs.length };
}

function extract(src: SourceFile, doc: ParsedDocument, value: unknown, basePath: FieldPath, out: KubeObject[], issues: Finding[]): void {
  const locator = documentLocator(src, doc, basePath);
  const where = basePath.length === 0 ? ORDINAL(doc.index) : `${ORDINAL(doc.index)}, ${formatPath(basePath)}`;
  const skip = (why: string): void => {
    const p = locator.locate([]);
    issues.push(loadIssue('not-a-kubernetes-object', `${where} ${why}, so it is not a Kubernetes object; hostnet skips it.`, src.file, p.line, p.column));
  };
  if (!isRecord(value)) {
    skip(Array.isArray(value) ? 'is a list' : `is a plain value (${JSON.stringify(value).slice(0, 40)})`);
    return;
  }
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== 'string' || apiVersion === '' || typeof kind !== 'string' || kind === '') {
    const missing = [typeof apiVersion !== 'string' || apiVersion === '' ? 'apiVersion' : '', typeof kind !== 'string' || kind === '' ? 'kind' : '']
      .filter(Boolean).join(' and ');
    skip(`has no ${missing}`);
    return;
  }
  if (kind.endsWith('List') && Array.isArray(value.items)) {
    value.items.forEach((item, i) => extract(src, doc, item, [...basePath, 'items', i], out, issues));
    return;
  }
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const name = typeof metadata.name === 'string' && metadata.name !== ''
    ? metadata.name
    : typeof metadata.generateName === 'string' ? `${metadata.generateName}*` : '(unnamed)';
  const ns = typeof metadata.namespace === 'string' && metadata.namespace !== '' && !CLUSTER_SCOPED_KINDS.has(kind) ? metadata.namespace : undefined;
  out.push({
    apiVersion, kind, name, ...(ns === undefined ? {} : { namespace: ns }),
    raw: value,
    source: { file: src.file, document: doc.index, basePath, locator },
  });
}

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core). */
export function apiGroup(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i === -1 ? '' : apiVersion.slice(0, i);
}

/**
 * The same object (API group, kind, namespace, name) written more than once. One finding per group,
 * at the second copy, pointing at all the others. Returns the set of later copies, which
 * cross-object analyses skip so an object never conflicts with itself.
 */
export function findDuplicateObjects(objects: readonly KubeObject[]): { issues: Finding[]; duplicates: Set<KubeObject> } {
  const groups = new Map<string, KubeObject[]>();
  for (const o of objects) {
    if (o.name === '(unnamed)' || o.name.endsWith('*')) continue;
    const group = apiGroup(o.apiVersion);
    // Deployments moved from extensions to apps: the same object under either group.
    const g = group === 'extensions' ? 'apps' : group;
    const key = `${g}\u0000${o.kind}\u0000${o.namespace ?? ''}\u0000${o.name}`;
    const list = groups.get(key);
    if (list) list.push(o);
    else groups.set(key, [o]);
  }
  const issues: Finding[] = [];
  const duplicates = new Set<KubeObject>();
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    const [first, second] = list as [KubeObject, KubeObject];
    for (const o of list.slice(1)) duplicates.add(o);
    const at = second.source.locator.locate([]);
    const ns = first.namespace ? `${first.namespace}/` : '';
    const files = new Set(list.map((o) => o.source.file)).size;
    issues.push(loadIssue('duplicate-object',
      `${first.kind} ${ns}${first.name} is defined ${list.length} times${files > 1 ? ` in ${files} files` : ''}; applying them all leaves only the last one, so hostnet checks each copy but never counts one as conflicting with another.`,
      second.source.file, at.line, at.column, {
        object: refOf(second),
        related: list.filter((o) => o !== second).map((o) => ({ message: 'also defined here', file: o.source.file, ...o.source.locator.locate([]) })),
      }));
  }
  return { issues, duplicates };
}
