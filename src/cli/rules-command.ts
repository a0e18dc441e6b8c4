/** `hostnet rules`: the rule list from metadata, and one rule's page (generated header + the doc's prose). */
import { readFileSync } from 'node:fs';
import { ruleCatalog, type CatalogEntry } from '../report/rule-catalog.js';
import { SEMANTICS_ID } from '../rules/define-rule.js';

const DOCS_DIR = new URL('../../docs/rules/', import.meta.url);

export function renderRuleList(format: 'text' | 'json' | 'markdown'): string {
  const entries = ruleCatalog();
  if (format === 'json') return `${JSON.stringify(entries, null, 2)}\n`;
  if (format === 'markdown') return markdownTable(entries);
  const width = Math.max(...entries.map((e) => e.id.length));
  const lines = entries.map((e) => `${e.id.padEnd(width)}  ${e.severity.padEnd(7)}  ${e.summary}`);
  return `${lines.join('\n')}\n\nRun "hostnet rules <id>" for the why, examples and references.\n`;
}

export function markdownTable(entries: readonly CatalogEntry[]): string {
  const rows = entries.map((e) => `| [\`${e.id}\`](../rules/${e.id}.md) | ${e.severity} | ${e.category} | ${e.summary} | ${e.sources.filter((s) => SEMANTICS_ID.test(s)).join(', ')} |`);
  return ['| id | severity | kind | summary | semantics |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

export function renderRuleDoc(id: string): string {
  const entry = ruleCatalog().find((e) => e.id === id)!;
  let body: string;
  try {
    body = readFileSync(new URL(`${id}.md`, DOCS_DIR), 'utf8').replace(/^# .*\n+/, '');
  } catch {
    body = '(This rule has no documentation page yet.)\n';
  }
  const sources = entry.sources.length > 0 ? `Sources: ${entry.sources.join('; ')}\n` : '';
  return `${id} (${entry.severity})\n${entry.summary}\n${sources}\n${body}`;
}
