/**
 * Human output: findings grouped by file, `file:line:column`, severity, message, rule id; the fix and
 * related locations indented below; one summary line. Colour only when asked (a TTY).
 */
import type { Summary } from '../engine/check.js';
import type { Finding, Severity } from '../model/types.js';

export interface TextOptions {
  readonly color: boolean;
  /** Print evidence lines (semantics ids and simulated facts) under each finding. */
  readonly verbose?: boolean;
}

const CODES = { red: 31, yellow: 33, blue: 34, dim: 2, bold: 1, underline: 4 } as const;

export function renderText(findings: readonly Finding[], summary: Summary, opts: TextOptions): string {
  const paint = (code: keyof typeof CODES, s: string): string => (opts.color ? `\u001b[${CODES[code]}m${s}\u001b[0m` : s);
  const sev: Record<Severity, string> = {
    error: paint('red', 'error'),
    warning: paint('yellow', 'warning'),
    info: paint('blue', 'info'),
  };
  const lines: string[] = [];
  let currentFile: string | undefined;
  for (const f of findings) {
    if (f.file !== currentFile) {
      if (currentFile !== undefined) lines.push('');
      lines.push(paint('underline', f.file));
      currentFile = f.file;
    }
    lines.push(`${f.file}:${f.line}:${f.column}  ${sev[f.severity]}  ${f.message}  ${paint('dim', f.ruleId)}`);
    if (f.fix) lines.push(`    ${paint('dim', 'fix:')} ${f.fix}`);
    for (const r of f.related) lines.push(`    ${paint('dim', `${r.file}:${r.line}:${r.column}`)} ${r.message}`);
    if (opts.verbose && f.evidence.length > 0) lines.push(`    ${paint('dim', `evidence: ${f.evidence.join('; ')}`)}`);
  }
  if (findings.length > 0) lines.push('');
  lines.push(summaryLine(summary, paint));
  return `${lines.join('\n')}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(s: Summary, paint: (c: keyof typeof CODES, s: string) => string = (_, x) => x): string {
  const parts = [
    s.errors > 0 ? paint('red', plural(s.errors, 'error')) : plural(0, 'error'),
    s.warnings > 0 ? paint('yellow', plural(s.warnings, 'warning')) : plural(0, 'warning'),
    plural(s.infos, 'info'),
  ];
  const suppressed = s.suppressed > 0 ? `, ${s.suppressed} suppressed` : '';
  return paint('bold', `${parts.join(', ')} in ${plural(s.objects, 'object')} from ${plural(s.files, 'file')}${suppressed}.`);
}
