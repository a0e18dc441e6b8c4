/**
 * Everything a report may say about a rule id: the rules' own metadata and the load issues'.
 * Reports read this; they never recompute findings.
 */
import { INTERNAL_ERROR_ID } from '../engine/run-rules.js';
import { LOAD_ISSUES } from '../load/load-issues.js';
import type { Severity } from '../model/types.js';
import { RULES } from '../rules/index.js';

export interface CatalogEntry {
  readonly id: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly sources: readonly string[];
  /** `rule` for rules in src/rules, `input` for problems found while loading. */
  readonly category: 'rule' | 'input';
}

export const DOCS_BASE_URL = 'https://github.com/hostnet-dev/hostnet/blob/main/docs/rules/';

export function ruleCatalog(): CatalogEntry[] {
  const entries: CatalogEntry[] = RULES.map((r) => ({
    id: r.id, severity: r.meta.severity, summary: r.meta.summary, sources: r.meta.sources, category: 'rule' as const,
  }));
  for (const m of Object.values(LOAD_ISSUES)) {
    entries.push({ id: m.id, severity: m.severity, summary: m.summary, sources: [], category: 'input' });
  }
  entries.push({
    id: INTERNAL_ERROR_ID, severity: 'error', category: 'input', sources: [],
    summary: 'A rule failed with an unexpected exception: a bug in hostnet, reported so that nothing is silently lost.',
  });
  return entries.sort((a, b) => (a.id < b.id ? -1 : 1));
}
