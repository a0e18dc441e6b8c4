/**
 * The library API: the same engine and findings as the CLI.
 *
 * @example
 * import { check } from 'hostnet';
 * const { findings, summary } = await check(['deploy/']);
 */
import { readFile } from 'node:fs/promises';
import { checkTexts, type CheckResult } from './engine/check.js';
import { DEFAULT_CONFIG, resolveConfig, type ResolvedConfig } from './engine/config.js';
import { loadClusterText } from './load/cluster-file.js';
import { readInputs } from './load/read-inputs.js';
import type { Cluster } from './model/cluster.js';
import { DEFAULT_CLUSTER } from './model/default-cluster.js';
import type { Finding } from './model/types.js';
import type { AnyRule } from './rules/define-rule.js';

export interface CheckApiOptions {
  /** A Cluster value, or the path of a cluster file (Node objects, KubeletConfiguration, ClusterProfile). */
  readonly cluster?: Cluster | string;
  readonly config?: ResolvedConfig;
  /** Supplies standard input for the path `-`. */
  readonly readStdin?: () => Promise<Uint8Array>;
  /** The rules to run (default: all); `[]` only loads and models, as `hostnet simulate` does. */
  readonly rules?: readonly AnyRule[];
}

/** Load a cluster file; its problems are findings (rule `invalid-cluster-file` and the load ids). */
export async function loadCluster(file: string): Promise<{ cluster: Cluster; issues: Finding[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      cluster: DEFAULT_CLUSTER,
      issues: [{
        ruleId: 'invalid-cluster-file', severity: 'error', file, line: 1, column: 1, related: [], evidence: [],
        message: code === 'ENOENT' ? `The cluster file ${file} does not exist.` : `The cluster file ${file} cannot be read (${code ?? String(e)}).`,
      }],
    };
  }
  return loadClusterText(file, text);
}

/** Check manifests at `paths` (files, directories, `-` for stdin) and return findings and a summary. */
export async function check(paths: readonly string[], options: CheckApiOptions = {}): Promise<CheckResult> {
  const config = options.config ?? DEFAULT_CONFIG;
  let cluster: Cluster = DEFAULT_CLUSTER;
  const preIssues: Finding[] = [];
  if (typeof options.cluster === 'string') {
    const loaded = await loadCluster(options.cluster);
    cluster = loaded.cluster;
    preIssues.push(...loaded.issues);
  } else if (options.cluster) {
    cluster = options.cluster;
  }
  const read = await readInputs(paths, { ignore: config.ignorePaths, ...(options.readStdin ? { readStdin: options.readStdin } : {}) });
  const unreadableFiles = new Set(read.issues.map((i) => i.file)).size;
  return checkTexts(read.inputs, {
    cluster, config, readIssues: [...preIssues, ...read.issues], fileCount: read.inputs.length + unreadableFiles,
    ...(options.rules ? { rules: options.rules } : {}),
  });
}

export { checkTexts, resolveConfig, DEFAULT_CLUSTER };
export type { CheckResult, ResolvedConfig, Cluster, Finding };
export type { Summary } from './engine/check.js';
export type { ObjectRef, Severity, RelatedLocation } from './model/types.js';
export { RULES } from './rules/index.js';
export { renderJson } from './report/json.js';
export { renderText } from './report/text.js';
