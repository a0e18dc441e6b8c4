/**
 * `.hostnet.yaml`: parsed with the same loader as manifests so its errors carry file:line too.
 */
import { ConfigFileSchema } from '../engine/config.js';
import type { z } from 'zod';
import { formatPath, type Finding } from '../model/types.js';
import { loadIssue } from '../load/objects.js';
import { parseYamlStream } from '../load/parse-yaml.js';
import { documentLocator, SourceFile } from '../load/source-file.js';

export type ParsedConfigFile = z.output<typeof ConfigFileSchema>;

export function parseConfigText(file: string, text: string): { config?: ParsedConfigFile; issues: Finding[] } {
  const src = new SourceFile(file, text);
  const docs = parseYamlStream(text).filter((d) => d.value !== undefined || d.issues.length > 0);
  const issues: Finding[] = [];
  for (const d of docs) {
    for (const i of d.issues) {
      const p = src.position(i.offset);
      issues.push(loadIssue('invalid-yaml', `${i.message} (in the hostnet configuration)`, file, p.line, p.column));
    }
  }
  const doc = docs.find((d) => d.value !== undefined);
  if (!doc || doc.value === null) return { config: ConfigFileSchema.parse({}), issues };
  const parsed = ConfigFileSchema.safeParse(doc.value);
  if (parsed.success) return { config: parsed.data, issues };
  const locator = documentLocator(src, doc, []);
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    const at = locator.locate(path);
    issues.push(loadIssue('unreadable-file', `The hostnet configuration is invalid at ${formatPath(path) || 'the top level'}: ${issue.message}.`, file, at.line, at.column));
  }
  return { issues };
}
