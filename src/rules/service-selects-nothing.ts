import type { PodView } from '../model/pod-view.js';
import { formatPath, type KubeObject, type RelatedLocation } from '../model/types.js';
import { effectiveSelector, podLabels, selectorMatches } from '../sim/services/endpoints.js';
import type { ServiceView } from '../sim/services/types.js';
import { defineRule } from './define-rule.js';

/** Workloads a message names one by one; the rest are counted. */
const NAMED = 3;

const workloadName = (v: PodView): string => `${v.kind} ${v.namespace}/${v.object.name}`;
const pairs = (m: Readonly<Record<string, string>>): string => Object.entries(m).map(([k, v]) => `${k}: ${v}`).join(', ');

function labelsLocation(v: PodView, message: string): RelatedLocation {
  const path = [...v.metadataPath, 'labels'];
  const at = v.object.source.locator.locate(path);
  return { message, file: v.object.source.file, line: at.line, column: at.column, path: formatPath(path) };
}

/**
 * The workload of the Service's namespace whose labels come closest to the selector: the most
 * selector pairs satisfied, at least one selector key present. Its differences are the likely typo.
 */
function closest(selector: Readonly<Record<string, string>>, candidates: readonly PodView[]): { view: PodView; diff: string } | undefined {
  let best: { view: PodView; score: number; diff: string } | undefined;
  for (const v of candidates) {
    const labels = podLabels(v);
    const keys = Object.keys(selector).filter((k) => Object.prototype.hasOwnProperty.call(labels, k));
    if (keys.length === 0) continue;
    const score = Object.entries(selector).filter(([k, want]) => labels[k] === want).length;
    const diff = Object.entries(selector)
      .filter(([k, want]) => labels[k] !== want)
      .map(([k, want]) => (Object.prototype.hasOwnProperty.call(labels, k) ? `${k}: ${labels[k]} where the selector wants ${k}: ${want}` : `no label ${k} (the selector wants ${k}: ${want})`))
      .join('; ');
    if (!best || score > best.score) best = { view: v, score, diff };
  }
  return best && { view: best.view, diff: best.diff };
}

/** An object of an API group outside Kubernetes' own (core, `apps`, `*.k8s.io`): a custom resource. */
function isCustomResource(o: KubeObject): boolean {
  const slash = o.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : o.apiVersion.slice(0, slash);
  return group.includes('.') && group !== 'k8s.io' && !group.endsWith('.k8s.io');
}

/**
 * A custom resource of the Service's namespace whose kind or name is one of the selector's values
 * (kind Prometheus, name k8s for `app.kubernetes.io/name: prometheus, instance: k8s`): an operator
 * that creates the pods from it is the likely reason no template in the manifests matches.
 */
function operatorResource(service: ServiceView, selector: Readonly<Record<string, string>>, objects: readonly KubeObject[]): KubeObject | undefined {
  const values = new Set(Object.values(selector).map((x) => x.toLowerCase()));
  return objects.find((o) => (o.namespace ?? 'default') === service.namespace && isCustomResource(o)
    && (values.has(o.kind.toLowerCase()) || values.has(o.name.toLowerCase())));
}

const list = (views: readonly PodView[]): string => {
  const named = views.slice(0, NAMED).map(workloadName).join(', ');
  return views.length > NAMED ? `${named} and ${views.length - NAMED} more` : named;
};

/**
 * A Service with a selector that no pod template of the manifests matches in its namespace
 * (EPS-1: the EndpointSlice controller lists pods of the Service's namespace only). The check reads
 * the templates, not the placement: a workload whose pods cannot be placed still "has" pods for the
 * Service, and unschedulable-replicas reports why they do not run. Services without a selector
 * (endpoints managed by hand) and ExternalName Services are not checked; `selector: {}` counts as
 * none, since the API server stores an empty selector as no selector. Pods an operator creates from
 * a custom resource have no template here: a Service whose selector values name the kind or the
 * name of a custom resource in its namespace is left alone.
 */
export default defineRule<'nothing' | 'otherNamespace'>({
  id: 'service-selects-nothing',
  meta: {
    severity: 'warning',
    summary: 'A Service\'s selector matches no pod template of the manifests in its namespace, so the Service has no endpoints and connections to it are rejected.',
    sources: [
      'EPS-1', 'KP-10',
      'kubernetes/kubernetes pkg/controller/endpointslice/endpointslice_controller.go#syncService',
      'kubernetes/kubernetes pkg/proxy/iptables/proxier.go#syncProxyRules ("has no endpoints")',
    ],
    peers: [
      { tool: 'kube-linter', id: 'dangling-service', relation: 'same' },
      { tool: 'kube-score', id: 'service-targets-pod', relation: 'same' },
    ],
    messages: {
      nothing:
        'Service {{service}} selects pods labelled {{selector}}, but no workload in these manifests has a pod template with those labels in namespace {{namespace}}. The EndpointSlice controller finds no pods for it (EPS-1), so the Service has no endpoints and kube-proxy rejects every connection to it (KP-10).{{near}} Make the selector match the labels of the pods that should serve it, or add the workload to these manifests.',
      otherNamespace:
        'Service {{service}} selects pods labelled {{selector}}, but the workloads with those labels in these manifests are in another namespace: {{others}}. A Service selects pods of its own namespace only (EPS-1), so it has no endpoints and kube-proxy rejects every connection to it (KP-10). Put the Service in the namespace of its pods ({{theirs}}), or the workload in namespace {{namespace}}.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    return {
      end() {
        const views = ctx.model.podViews.filter((v) => !ctx.model.duplicates.has(v.object));
        const objects = ctx.model.objects.filter((o) => !ctx.model.duplicates.has(o));
        for (const service of ctx.sims.services()) {
          const selector = effectiveSelector(service);
          if (!selector) continue;
          const matching = views.filter((v) => selectorMatches(selector, podLabels(v)));
          if (matching.some((v) => v.namespace === service.namespace)) continue;
          if (operatorResource(service, selector, objects)) continue;
          report(service, selector, matching);
        }
        function report(service: ServiceView, selector: Readonly<Record<string, string>>, elsewhere: readonly PodView[]): void {
          const base = { service: `${service.namespace}/${service.name}`, selector: pairs(selector), namespace: service.namespace };
          if (elsewhere.length > 0) {
            ctx.report({
              object: service.object, path: ['spec', 'selector'], messageId: 'otherNamespace',
              data: { ...base, others: list(elsewhere), theirs: [...new Set(elsewhere.map((v) => v.namespace))].join(', ') },
              related: elsewhere.slice(0, NAMED).map((v) => labelsLocation(v, `${workloadName(v)} in namespace ${v.namespace} has the selected labels here.`)),
              evidence: elsewhere.slice(0, NAMED).map((v) => `${workloadName(v)}: labels ${pairs(podLabels(v))}`),
            });
            return;
          }
          const near = closest(selector, views.filter((v) => v.namespace === service.namespace));
          ctx.report({
            object: service.object, path: ['spec', 'selector'], messageId: 'nothing',
            data: { ...base, near: near ? ` The closest is ${workloadName(near.view)}, with ${near.diff}.` : '' },
            related: near ? [labelsLocation(near.view, `${workloadName(near.view)} has these pod labels.`)] : [],
            evidence: near ? [`${workloadName(near.view)}: labels ${pairs(podLabels(near.view))}`] : [],
          });
        }
      },
    };
  },
});
