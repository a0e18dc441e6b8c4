/**
 * The main job as a pure function: manifest texts + cluster + config → sorted findings and a
 * summary. The CLI, the library API and (later) the webhook all call this.
 */
import type { Cluster } from '../model/cluster.js';
import { buildModel, type Model } from '../model/model.js';
import type { Finding, KubeObject } from '../model/types.js';
import { findDuplicateObjects, loadText } from '../load/objects.js';
import type { InputText } from '../load/read-inputs.js';
import { LOAD_ISSUES, type LoadIssueId } from '../load/load-issues.js';
import { suppressionsOf } from '../model/suppression.js';
import type { AnyRule } from '../rules/define-rule.js';
import { RULES } from '../rules/index.js';
import { DEFAULT_CONFIG, type ResolvedConfig } from './config.js';
import { compareFindings, effectiveSeverity, isEnabled, runRules } from './run-rules.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';

export interface Summary {
  readonly files: number;
  readonly objects: number;
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  readonly suppressed: number;
}

export interface CheckResult {
  readonly findings: readonly Finding[];
  readonly summary: Summary;
  /** True when some input could not be read or parsed at all (the CLI exits 2). */
  readonly unreadableInput: boolean;
  readonly model: Model;
}

export interface CheckOptions {
  readonly cluster?: Cluster;
  readonly config?: ResolvedConfig;
  readonly rules?: readonly AnyRule[];
  /** Findings from reading the inputs (missing files and the like), merged into the result. */
  readonly readIssues?: readonly Finding[];
  /** How many files were named or found, counting unreadable ones. */
  readonly fileCount?: number;
}

export function checkTexts(inputs: readonly InputText[], opts: CheckOptions = {}): CheckResult {
  const config = opts.config ?? DEFAULT_CONFIG;
  const baseCluster = opts.cluster ?? DEFAULT_CLUSTER;
  const cluster = config.kubernetesVersion ? { ...baseCluster, kubernetesVersion: config.kubernetesVersion } : baseCluster;
  const loadIssues: Finding[] = [...(opts.readIssues ?? [])];
  const objects: KubeObject[] = [];
  for (const input of inputs) {
    const loaded = loadText(input.file, input.text);
    objects.push(...loaded.objects);
    loadIssues.push(...loaded.issues);
  }
  const dup = findDuplicateObjects(objects);
  loadIssues.push(...dup.issues);
  const model = buildModel(objects, cluster, dup.duplicates);
  const run = runRules(model, opts.rules ?? RULES, config);

  let suppressed = run.suppressed;
  const findings: Finding[] = [...run.findings];
  let unreadableInput = false;
  // Load findings about an object (duplicate-object) honour its hostnet.dev/ignore annotation too.
  const byIdentity = new Map<string, KubeObject>();
  const identity = (file: string, kind: string, namespace: string | undefined, name: string): string => `${file}\u0000${kind}\u0000${namespace ?? ''}\u0000${name}`;
  for (const o of objects) byIdentity.set(identity(o.source.file, o.kind, o.namespace, o.name), o);
  for (const f of loadIssues) {
    const id = f.ruleId as LoadIssueId;
    if (LOAD_ISSUES[id]?.unreadable) unreadableInput = true;
    if (!isEnabled(id, config)) continue;
    const o = f.object && byIdentity.get(identity(f.file, f.object.kind, f.object.namespace, f.object.name));
    if (o && suppressionsOf(o).some((s) => s.rules.has(id) || s.rules.has('*'))) {
      suppressed++;
      continue;
    }
    findings.push({ ...f, severity: effectiveSeverity(id, f.severity, config) });
  }
  findings.sort(compareFindings);
  let errors = 0, warnings = 0, infos = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
    else infos++;
  }
  return {
    findings,
    summary: { files: opts.fileCount ?? inputs.length, objects: objects.length, errors, warnings, infos, suppressed },
    unreadableInput,
    model,
  };
}
