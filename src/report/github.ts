/**
 * GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding, which the
 * runner turns into annotations on the pull request's files, then the plain summary line.
 */
import type { Summary } from '../engine/check.js';
import type { Finding, Severity } from '../model/types.js';
import { summaryLine } from './text.js';

const COMMAND: Readonly<Record<Severity, string>> = { error: 'error', warning: 'warning', info: 'notice' };

/** The command's data (after `::`): GitHub unescapes `%25`, `%0D` and `%0A`. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value (`file=…`): additionally `:` and `,`, which end a value. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command. Pseudo-files such as `<stdin>` are no file in the repository: no location then. */
export function githubCommand(f: Finding): string {
  const props: string[] = [];
  if (!/^<[^<>]+>$/.test(f.file)) {
    props.push(`file=${escapeProperty(f.file)}`, `line=${f.line}`, `col=${f.column}`);
  }
  props.push(`title=${escapeProperty(f.ruleId)}`);
  return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(f.message)}`;
}

export function renderGithub(findings: readonly Finding[], summary: Summary): string {
  const lines = findings.map(githubCommand);
  lines.push(summaryLine(summary));
  return `${lines.join('\n')}\n`;
}
