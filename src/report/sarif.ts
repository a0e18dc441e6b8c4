/**
 * SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDE viewers): one run whose driver lists every
 * rule and load issue of the catalog, and one result per finding. The output is deterministic (no
 * timestamps; absolute paths only where the input or `cwd` named them), so it can be diffed and cached.
 */
import type { Summary } from '../engine/check.js';
import type { Finding, ObjectRef, RelatedLocation, Severity } from '../model/types.js';
import { DOCS_BASE_URL, ruleCatalog, type CatalogEntry } from './rule-catalog.js';

export interface SarifOptions {
  /** hostnet's own version, for `tool.driver.version`. */
  readonly toolVersion: string;
  /**
   * The directory relative paths are relative to. When given, it becomes `%SRCROOT%` in
   * `run.originalUriBaseIds`, and absolute inputs under it are written relative to it.
   */
  readonly cwd?: string;
}

export const SARIF_SCHEMA_URL = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SRCROOT = '%SRCROOT%';
/** The project's home page: the repository the docs live in. */
export const INFORMATION_URI = DOCS_BASE_URL.replace(/\/blob\/.*$/, '');

type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Readonly<Record<Severity, SarifLevel>> = { error: 'error', warning: 'warning', info: 'note' };

export function sarifLevel(s: Severity): SarifLevel {
  return LEVEL[s];
}

interface ArtifactLocation {
  readonly uri: string;
  readonly uriBaseId?: string;
}

/** `host-port-mismatch` → `HostPortMismatch`: SARIF's `name` is an identifier, not the id again. */
function ruleName(id: string): string {
  return id.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function ruleTags(e: CatalogEntry): string[] {
  return e.category === 'rule' ? ['kubernetes', 'host-networking'] : ['kubernetes', 'input'];
}

function isAbsolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:\//.test(p);
}

function encodeSegments(p: string): string {
  return p.split('/').map((s) => encodeURIComponent(s)).join('/');
}

/** `file:///abs/path` or `file:///C:/abs/path`, percent-encoded. */
function fileUri(absolute: string): string {
  const drive = /^([A-Za-z]:)(\/.*)?$/.exec(absolute);
  if (drive) return `file:///${drive[1]}${encodeSegments(drive[2] ?? '/')}`;
  return `file://${encodeSegments(absolute)}`;
}

function trimTrailingSlashes(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** `cwd` with forward slashes and no trailing slash, when it is absolute (a relative one says nothing). */
function absoluteRoot(cwd: string | undefined): string | undefined {
  if (cwd === undefined) return undefined;
  const root = trimTrailingSlashes(cwd.replace(/\\/g, '/'));
  return isAbsolute(root) || /^[A-Za-z]:$/.test(root) ? root : undefined;
}

/** The absolute `file:` URI of a directory, ending in a slash as `originalUriBaseIds` requires. */
function directoryUri(root: string): string {
  const uri = fileUri(root);
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/**
 * Where a finding's file is, as SARIF wants it: a relative URI against `%SRCROOT%` for relative
 * paths (forward slashes, percent-encoded), a `file:` URI for absolute ones, and a bare relative
 * URI without a base for pseudo-files such as `<stdin>` (which becomes `stdin`).
 */
export function artifactLocation(file: string, cwd?: string): ArtifactLocation {
  const pseudo = /^<([^<>]+)>$/.exec(file);
  if (pseudo) return { uri: encodeURIComponent(pseudo[1]!) };
  let p = file.replace(/\\/g, '/');
  const root = absoluteRoot(cwd);
  if (root !== undefined && p.startsWith(root === '/' ? '/' : `${root}/`)) p = p.slice(root === '/' ? 1 : root.length + 1);
  if (isAbsolute(p)) return { uri: fileUri(p) };
  p = p.replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/');
  if (p === '' || p === '.') p = '.';
  return { uri: encodeSegments(p), uriBaseId: SRCROOT };
}

function logicalLocation(o: ObjectRef): Record<string, string> {
  const fqn = o.namespace ? `${o.kind}/${o.namespace}/${o.name}` : `${o.kind}/${o.name}`;
  return { name: o.name, fullyQualifiedName: fqn, kind: 'object' };
}

function region(line: number, column: number): { startLine: number; startColumn: number } {
  return { startLine: Math.max(1, Math.trunc(line)), startColumn: Math.max(1, Math.trunc(column)) };
}

function relatedLocation(r: RelatedLocation, id: number, cwd: string | undefined): Record<string, unknown> {
  return {
    id,
    physicalLocation: { artifactLocation: artifactLocation(r.file, cwd), region: region(r.line, r.column) },
    ...(r.object ? { logicalLocations: [logicalLocation(r.object)] } : {}),
    message: { text: r.message },
    ...(r.path ? { properties: { path: r.path } } : {}),
  };
}

export function renderSarif(findings: readonly Finding[], _summary: Summary, opts?: SarifOptions): string {
  const cwd = opts?.cwd;
  const root = absoluteRoot(cwd);
  const catalog = ruleCatalog();
  const index = new Map(catalog.map((e, i) => [e.id, i]));
  const rules = catalog.map((e) => ({
    id: e.id,
    name: ruleName(e.id),
    shortDescription: { text: e.summary },
    helpUri: `${DOCS_BASE_URL}${e.id}.md`,
    defaultConfiguration: { level: sarifLevel(e.severity) },
    properties: { tags: ruleTags(e), sources: [...e.sources] },
  }));
  const results = findings.map((f) => {
    const ruleIndex = index.get(f.ruleId);
    return {
      ruleId: f.ruleId,
      ...(ruleIndex !== undefined ? { ruleIndex } : {}),
      level: sarifLevel(f.severity),
      message: { text: f.message },
      locations: [{
        physicalLocation: { artifactLocation: artifactLocation(f.file, cwd), region: region(f.line, f.column) },
        ...(f.object ? { logicalLocations: [logicalLocation(f.object)] } : {}),
      }],
      ...(f.related.length > 0 ? { relatedLocations: f.related.map((r, i) => relatedLocation(r, i + 1, cwd)) } : {}),
      properties: {
        ...(f.path ? { path: f.path } : {}),
        evidence: [...f.evidence],
        ...(f.fix ? { fix: f.fix } : {}),
      },
    };
  });
  const driver = {
    name: 'hostnet',
    informationUri: INFORMATION_URI,
    ...(opts?.toolVersion ? { version: opts.toolVersion } : {}),
    rules,
  };
  const run = {
    tool: { driver },
    ...(root !== undefined ? { originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(root) } } } : {}),
    // Columns are offsets into JavaScript strings (parse-yaml, source-file.ts).
    columnKind: 'utf16CodeUnits',
    results,
  };
  const log = { $schema: SARIF_SCHEMA_URL, version: '2.1.0', runs: [run] };
  return `${JSON.stringify(log, null, 2)}\n`;
}
