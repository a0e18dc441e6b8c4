import { type MigrationNote, removedApi, replacementAt } from '../model/api-versions.js';
import { versionAtLeast } from '../model/cluster.js';
import { getPath } from '../model/pod-view.js';
import type { KubeObject } from '../model/types.js';
import { defineRule } from './define-rule.js';

/** The notes that apply to this object: those whose field the manifest leaves to the API server's default. */
export function applicableNotes(notes: readonly MigrationNote[], o: KubeObject): string[] {
  const written = (v: unknown): boolean => v !== undefined && v !== null;
  return notes
    .filter((n) => n.unlessWritten === undefined || !written(getPath(o.raw, n.unlessWritten)))
    .filter((n) => n.unlessValue === undefined || getPath(o.raw, n.unlessValue.path) !== n.unlessValue.value)
    .map((n) => n.note);
}

export default defineRule({
  id: 'removed-api-version',
  meta: {
    severity: 'error',
    summary: 'An apiVersion the target Kubernetes no longer serves is rejected; moving to its replacement can change defaults such as the update strategy.',
    sources: [
      'DEF-5',
      'kubernetes.io Deprecated API Migration Guide',
      'kubernetes/kubernetes pkg/apis/apps/v1/defaults.go',
      'kubernetes/kubernetes pkg/apis/extensions/v1beta1/defaults.go (removed in v1.16)',
    ],
    peers: [{ tool: 'pluto', id: 'removed', relation: 'same' }, { tool: 'kubent', id: 'removed', relation: 'same' }],
    messages: {
      removedWithChanges:
        'Kubernetes stopped serving {{kind}} as {{apiVersion}} in {{removedIn}} and the cluster runs {{version}}, so applying this object fails (no matches for kind "{{kind}}" in version "{{apiVersion}}"). Change apiVersion to {{replacement}}, and mind what changes with it: {{changes}}.',
      removed:
        'Kubernetes stopped serving {{kind}} as {{apiVersion}} in {{removedIn}} and the cluster runs {{version}}, so applying this object fails (no matches for kind "{{kind}}" in version "{{apiVersion}}"). Change apiVersion to {{replacement}}.',
      gone:
        'Kubernetes stopped serving {{kind}} as {{apiVersion}} in {{removedIn}} and the cluster runs {{version}}, so applying this object fails (no matches for kind "{{kind}}" in version "{{apiVersion}}"). {{instead}}.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const version = ctx.cluster.kubernetesVersion;
    return {
      object(o) {
        const r = removedApi(o.apiVersion, o.kind);
        if (!r || !versionAtLeast(version, r.removedIn)) return;
        const base = { apiVersion: o.apiVersion, kind: o.kind, removedIn: r.removedIn, version };
        const replacement = replacementAt(r, o.kind, version);
        if (replacement === undefined) {
          const instead = r.instead ?? `No apiVersion of Kubernetes ${version} serves ${o.kind}; remove this object or install what provides the kind`;
          ctx.report({ object: o, path: ['apiVersion'], messageId: 'gone', data: { ...base, instead } });
          return;
        }
        const changes = applicableNotes(r.notes, o);
        const fix = `apiVersion: ${replacement}`;
        if (changes.length === 0) {
          ctx.report({ object: o, path: ['apiVersion'], messageId: 'removed', data: { ...base, replacement }, fix });
        } else {
          ctx.report({ object: o, path: ['apiVersion'], messageId: 'removedWithChanges', data: { ...base, replacement, changes: changes.join('; ') }, fix });
        }
      },
    };
  },
});
