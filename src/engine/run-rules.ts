/**
 * Runs the enabled rules over a model in one walk, applies severities from the config and the
 * `hostnet.dev/ignore` annotations, and turns reports into located findings.
 */
import type { Model } from '../model/model.js';
import { suppressionsOf, type Suppression } from '../model/suppression.js';
import { formatPath, refOf, type Finding, type KubeObject, type Severity } from '../model/types.js';
import { simulations } from '../sim/simulations.js';
import { formatMessage, semanticsIds, type AnyRule, type Report, type Visitors } from '../rules/define-rule.js';
import { deepFreeze, type ResolvedConfig } from './config.js';

export const INTERNAL_ERROR_ID = 'internal-error';

export function isEnabled(id: string, config: ResolvedConfig): boolean {
  if (config.disable.includes(id)) return false;
  if (config.only.length > 0 && !config.only.includes(id)) return false;
  return config.rules[id]?.severity !== 'off';
}

/**
 * A configured severity replaces the rule's main level. Findings a rule reports at another level
 * (host-network-cluster-dns's info findings beside its warnings) keep theirs, so raising a rule to
 * error does not turn its advice into errors.
 */
export function effectiveSeverity(id: string, reported: Severity, config: ResolvedConfig, ruleSeverity: Severity = reported): Severity {
  const s = config.rules[id]?.severity;
  if (s === undefined || s === 'off' || reported !== ruleSeverity) return reported;
  return s;
}

export interface RuleRun {
  readonly findings: Finding[];
  readonly suppressed: number;
}

export function runRules(model: Model, rules: readonly AnyRule[], config: ResolvedConfig): RuleRun {
  const findings: Finding[] = [];
  let suppressed = 0;
  const suppressionCache = new Map<KubeObject, Suppression[]>();
  const isSuppressed = (o: KubeObject, ruleId: string): boolean => {
    let s = suppressionCache.get(o);
    if (!s) suppressionCache.set(o, (s = suppressionsOf(o)));
    return s.some((x) => x.rules.has(ruleId) || x.rules.has('*'));
  };

  const bug = (rule: AnyRule, e: unknown, o?: KubeObject): void => {
    const at = o?.source.locator.locate([]) ?? { line: 1, column: 1 };
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    findings.push({
      ruleId: INTERNAL_ERROR_ID, severity: 'error',
      message: `hostnet bug: the rule ${rule.id} failed${o ? ' on this object' : ''} (${what}). The other rules still ran; please report this with the manifest.`,
      ...(o ? { object: refOf(o) } : {}),
      file: o?.source.file ?? '<hostnet>', line: at.line, column: at.column, related: [], evidence: [],
    });
  };

  const active: Array<{ rule: AnyRule; visitors: Visitors }> = [];
  const sims = simulations(model);
  for (const rule of rules) {
    if (!isEnabled(rule.id, config)) continue;
    const setting = config.rules[rule.id];
    const options = deepFreeze({ ...rule.defaultOptions, ...(setting?.options ?? {}) });
    const evidenceBase = semanticsIds(rule.meta.sources);
    const report = (r: Report<string>): void => {
      if (isSuppressed(r.object, rule.id)) {
        suppressed++;
        return;
      }
      const template = rule.meta.messages[r.messageId];
      if (template === undefined) throw new Error(`hostnet bug: rule ${rule.id} has no message ${r.messageId}`);
      const at = r.object.source.locator.locate(r.path);
      findings.push({
        ruleId: rule.id,
        messageId: r.messageId,
        severity: effectiveSeverity(rule.id, r.severity ?? rule.meta.severity, config, rule.meta.severity),
        message: formatMessage(template, r.data),
        object: refOf(r.object),
        file: r.object.source.file,
        line: at.line,
        column: at.column,
        path: formatPath(r.path),
        related: r.related ?? [],
        evidence: [...evidenceBase, ...(r.evidence ?? [])],
        ...(r.fix === undefined ? {} : { fix: r.fix }),
      });
    };
    try {
      active.push({ rule, visitors: rule.create({ options, model, cluster: model.cluster, sims, report }) });
    } catch (e) {
      bug(rule, e);
    }
  }

  for (const o of model.objects) {
    for (const { rule, visitors } of active) {
      if (!visitors.object) continue;
      try { visitors.object(o); } catch (e) { bug(rule, e, o); }
    }
  }
  for (const v of model.podViews) {
    for (const { rule, visitors } of active) {
      if (!visitors.podView) continue;
      try { visitors.podView(v); } catch (e) { bug(rule, e, v.object); }
    }
  }
  for (const { rule, visitors } of active) {
    if (!visitors.end) continue;
    try { visitors.end(); } catch (e) { bug(rule, e); }
  }
  return { findings, suppressed };
}

export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  return a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}
