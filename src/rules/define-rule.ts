/**
 * A rule is data plus one function: `meta` (id, severity, summary, sources, messages) from which
 * docs and SARIF metadata are generated, `defaultOptions`, and `create(ctx)` returning visitors
 * the engine calls in one walk over the model. Rules never throw for user problems: they report.
 */
import type { Cluster } from '../model/cluster.js';
import type { Model } from '../model/model.js';
import type { Simulations } from '../sim/simulations.js';
import type { PodView } from '../model/pod-view.js';
import type { FieldPath, KubeObject, RelatedLocation, Severity } from '../model/types.js';

export interface RuleSourceLink {
  /** `kube-linter`, `polaris`, `psa`, `kyverno`, `kube-score`, `datree`, `checkov`. */
  readonly tool: string;
  readonly id: string;
  readonly relation: 'same' | 'related' | 'none-exists';
}

export interface RuleMeta<M extends string> {
  readonly severity: Severity;
  /** One sentence, ending with a period. */
  readonly summary: string;
  /** Semantics rule ids (`VAL-8`) and upstream references this rule rests on. */
  readonly sources: readonly string[];
  /** Equivalent or related checks in other tools (peers.md). */
  readonly peers?: readonly RuleSourceLink[];
  /** Message templates by id; `{{name}}` placeholders are filled from `data`. Each ends with a period. */
  readonly messages: Readonly<Record<M, string>>;
  /** Options and what they mean, for the generated docs. */
  readonly optionDocs?: Readonly<Record<string, string>>;
}

export interface Report<M extends string> {
  readonly messageId: M;
  readonly data?: Readonly<Record<string, string | number>>;
  /** The object the finding is about. */
  readonly object: KubeObject;
  /** The field it points at, from the object root; the deepest written part is located. */
  readonly path: FieldPath;
  /** Override the rule's severity for this finding (rules with two levels). */
  readonly severity?: Severity;
  readonly related?: readonly RelatedLocation[];
  /** Extra evidence beyond the rule's semantics sources: simulated facts. */
  readonly evidence?: readonly string[];
  readonly fix?: string;
}

export interface RuleContext<M extends string, O> {
  readonly options: Readonly<O>;
  readonly model: Model;
  readonly cluster: Cluster;
  /** The simulations of this model, computed once on first use. Rules ask them; they never re-implement them. */
  readonly sims: Simulations;
  report(r: Report<M>): void;
}

export interface Visitors {
  /** Every loaded object, in input order. */
  object?(o: KubeObject): void;
  /** Every pod-bearing object's PodView. */
  podView?(v: PodView): void;
  /** After the walk: for rules that relate objects to each other. */
  end?(): void;
}

export interface Rule<M extends string = string, O = Record<string, unknown>> {
  readonly id: string;
  readonly meta: RuleMeta<M>;
  readonly defaultOptions: Readonly<O>;
  create(ctx: RuleContext<M, O>): Visitors;
}

/** Identity at runtime; gives rules typed message ids and options. */
export function defineRule<M extends string, O = Record<string, never>>(rule: Rule<M, O>): Rule<M, O> {
  return rule;
}

export type AnyRule = Rule<string, any>;

/** Fill `{{name}}` placeholders; a missing one is a bug in the rule, so it throws. */
export function formatMessage(template: string, data: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    if (!(name in data)) throw new Error(`hostnet bug: message placeholder {{${name}}} has no value`);
    return String(data[name]);
  });
}

/**
 * An id of k8s-networking-semantics.md (`VAL-8`, `KDNS-3`): only that document's prefixes, so an
 * upstream reference such as `KEP-5607` is never cited as one.
 */
export const SEMANTICS_ID = /^(PIPE|DEF|VAL|SCHED|DS|RT|PM|HIST|KP|EPS|KDNS|CDNS|DBG|PSA)-\d+$/;

/** The semantics ids in a rule's sources, which every finding cites as evidence. */
export function semanticsIds(sources: readonly string[]): string[] {
  return sources.filter((s) => SEMANTICS_ID.test(s));
}
