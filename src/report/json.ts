/**
 * The stable JSON output, version 1 (docs/output.md). Field order and presence are part of the
 * contract: optional fields are omitted, never null.
 */
import type { Summary } from '../engine/check.js';
import type { Finding } from '../model/types.js';

export interface JsonReport {
  readonly version: 1;
  readonly findings: readonly JsonFinding[];
  readonly summary: Summary;
}

export interface JsonFinding {
  readonly ruleId: string;
  readonly severity: string;
  readonly message: string;
  readonly object?: { apiVersion: string; kind: string; namespace?: string; name: string };
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path?: string;
  readonly related: Finding['related'];
  readonly evidence: readonly string[];
  readonly fix?: string;
}

export function toJsonFinding(f: Finding): JsonFinding {
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    message: f.message,
    ...(f.object ? { object: { apiVersion: f.object.apiVersion, kind: f.object.kind, ...(f.object.namespace ? { namespace: f.object.namespace } : {}), name: f.object.name } } : {}),
    file: f.file,
    line: f.line,
    column: f.column,
    ...(f.path ? { path: f.path } : {}),
    related: f.related,
    evidence: f.evidence,
    ...(f.fix ? { fix: f.fix } : {}),
  };
}

export function renderJson(findings: readonly Finding[], summary: Summary): string {
  const report: JsonReport = { version: 1, findings: findings.map(toJsonFinding), summary };
  return `${JSON.stringify(report, null, 2)}\n`;
}
