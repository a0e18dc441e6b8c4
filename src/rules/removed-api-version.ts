import { removedApi } from '../model/api-versions.js';
import { versionAtLeast } from '../model/cluster.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'removed-api-version',
  meta: {
    severity: 'error',
    summary: 'An apiVersion the target Kubernetes no longer serves is rejected; moving to its replacement can change defaults such as the update strategy.',
    sources: ['DEF-5', 'kubernetes.io Deprecated API Migration Guide', 'kubernetes/kubernetes pkg/apis/apps/v1/defaults.go'],
    peers: [{ tool: 'pluto', id: 'removed', relation: 'same' }, { tool: 'kubent', id: 'removed', relation: 'same' }],
    messages: {
      removedWithChanges: '{{apiVersion}} {{kind}} is not served since Kubernetes {{removedIn}} (the cluster runs {{version}}), so applying this fails with "no matches for kind"; use {{replacement}}, and note that {{changes}}.',
      removed: '{{apiVersion}} {{kind}} is not served since Kubernetes {{removedIn}} (the cluster runs {{version}}), so applying this fails with "no matches for kind"; use {{replacement}}.',
      gone: '{{apiVersion}} {{kind}} is not served since Kubernetes {{removedIn}} (the cluster runs {{version}}), so applying this fails with "no matches for kind": {{changes}}.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const version = ctx.cluster.kubernetesVersion;
    return {
      object(o) {
        const r = removedApi(o.apiVersion, o.kind);
        if (!r || !versionAtLeast(version, r.removedIn)) return;
        const data = { apiVersion: o.apiVersion, kind: o.kind, removedIn: r.removedIn, version, replacement: r.replacement ?? '', changes: r.changes ?? '' };
        const messageId = r.replacement === undefined ? 'gone' : r.changes ? 'removedWithChanges' : 'removed';
        ctx.report({ object: o, path: ['apiVersion'], messageId, data, ...(r.replacement ? { fix: `apiVersion: ${r.replacement}` } : {}) });
      },
    };
  },
});
