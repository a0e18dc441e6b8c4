/**
 * The problems loading itself can find. They are findings like any rule's, with ids, severities and
 * docs (docs/rules/<id>.md), so they can be filtered, suppressed and rendered the same way.
 */
import type { Severity } from '../model/types.js';

export interface LoadIssueMeta {
  readonly id: LoadIssueId;
  readonly severity: Severity;
  readonly summary: string;
  /** True when the input could not be read at all: the CLI exits 2 for these. */
  readonly unreadable: boolean;
}

export type LoadIssueId = 'invalid-yaml' | 'duplicate-key' | 'not-a-kubernetes-object' | 'unreadable-file' | 'duplicate-object' | 'invalid-cluster-file';

export const LOAD_ISSUES: Readonly<Record<LoadIssueId, LoadIssueMeta>> = {
  'invalid-yaml': {
    id: 'invalid-yaml', severity: 'error', unreadable: true,
    summary: 'A YAML document that cannot be parsed (syntax, nesting depth, alias bombs); the other documents are still checked.',
  },
  'duplicate-key': {
    id: 'duplicate-key', severity: 'error', unreadable: false,
    summary: 'The same key twice in one mapping: kubectl rejects it in strict mode, otherwise the last value silently wins.',
  },
  'not-a-kubernetes-object': {
    id: 'not-a-kubernetes-object', severity: 'warning', unreadable: false,
    summary: 'A document that is not a Kubernetes object (no apiVersion or kind, or not a mapping); it is skipped.',
  },
  'unreadable-file': {
    id: 'unreadable-file', severity: 'error', unreadable: true,
    summary: 'A file that cannot be read: missing, not permitted, binary, not UTF-8, too large, or a symlink loop.',
  },
  'duplicate-object': {
    id: 'duplicate-object', severity: 'info', unreadable: false,
    summary: 'The same object (kind, namespace, name) in several files; reported once, and never counted as conflicting with itself.',
  },
  'invalid-cluster-file': {
    id: 'invalid-cluster-file', severity: 'error', unreadable: true,
    summary: 'A --cluster file (Node objects, KubeletConfiguration, ClusterProfile) with a field hostnet cannot use; the rest of the file still applies.',
  },
};
