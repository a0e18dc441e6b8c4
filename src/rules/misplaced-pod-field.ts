import { isWorkloadKind, POD_SPEC_PATH } from '../model/kinds.js';
import { getPath as get, isRecord, type ContainerView } from '../model/pod-view.js';
import { formatPath, type FieldPath, type KubeObject } from '../model/types.js';
import { defineRule } from './define-rule.js';

/** Pod-level fields people write in the wrong place (VAL-9; §15 claim C). */
export const POD_LEVEL_FIELDS = ['hostNetwork', 'hostPID', 'hostIPC', 'dnsPolicy', 'dnsConfig'] as const;
type PodLevelField = (typeof POD_LEVEL_FIELDS)[number];

/** Why a container cannot have the field on its own. */
const WHY: Readonly<Record<PodLevelField, string>> = {
  hostNetwork: 'all containers of a pod share one network namespace, so no container, a sidecar included, can have its own host network',
  hostPID: 'the PID namespace is chosen once for the whole pod, so one container cannot use the host PID namespace on its own',
  hostIPC: 'all containers of a pod share one IPC namespace, so one container cannot use the host IPC namespace on its own',
  dnsPolicy: 'all containers of a pod share one network namespace and one /etc/resolv.conf, so one container cannot have its own DNS policy',
  dnsConfig: 'all containers of a pod share one network namespace and one /etc/resolv.conf, so one container cannot have its own DNS configuration',
};

const CONTAINER_WORDS: Readonly<Record<ContainerView['kind'], string>> = {
  container: 'container',
  initContainer: 'init container',
  ephemeralContainer: 'ephemeral container',
};

function has(node: unknown, field: string): node is Record<string, unknown> {
  return isRecord(node) && Object.prototype.hasOwnProperty.call(node, field);
}

function sameValue(a: unknown, b: unknown): boolean {
  return a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Where a field above the pod spec was written, in words, and why nothing reads it there: `parent`
 * is the mapping that holds it, `next` the key beside it on the way down to the pod spec.
 */
function describeAbove(kind: string, parent: FieldPath, next: string | number | undefined): { where: string; note: string } {
  if (parent.length === 0) return { where: `at the top level of this ${kind}, beside spec`, note: '' };
  if (parent[parent.length - 1] === 'metadata') {
    return { where: `in ${formatPath(parent)}`, note: '; metadata holds names, labels and annotations, not pod settings' };
  }
  if (parent.length === 1 && parent[0] === 'spec' && kind !== 'Pod') {
    return { where: `in the ${kind}'s own spec`, note: `; the ${kind}'s own spec configures the controller, not its pods` };
  }
  return { where: next === undefined ? `in ${formatPath(parent)}` : `in ${formatPath(parent)}, beside ${formatPath([...parent, next])}`, note: '' };
}

/**
 * VAL-9 and PIPE-2: hostNetwork, hostPID, hostIPC, dnsPolicy and dnsConfig exist only on the pod
 * spec. Written inside a container (or its securityContext), inside the pod's securityContext, or
 * anywhere above the pod spec of a workload (its own spec, spec.template, metadata), they are
 * unknown fields: kubectl's strict validation rejects the request, and otherwise the API server
 * drops them with a warning, so the setting does nothing.
 */
export default defineRule({
  id: 'misplaced-pod-field',
  meta: {
    severity: 'error',
    summary: 'hostNetwork, hostPID, hostIPC, dnsPolicy and dnsConfig belong on the pod spec; written in a container or elsewhere they are unknown fields that kubectl rejects or the API server drops.',
    sources: [
      'VAL-9', 'PIPE-2',
      'kubernetes/api core/v1/types.go#PodSpec, #Container, #SecurityContext, #PodSecurityContext',
      'kubernetes/apimachinery pkg/apis/meta/v1/types.go#CreateOptions.FieldValidation',
    ],
    peers: [{ tool: 'kubeconform', id: 'strict schema (additionalProperties)', relation: 'related' }],
    messages: {
      inContainer:
        '{{field}} is written inside {{container}}, but it is a pod-level field: {{why}}. kubectl\'s strict field validation rejects the unknown field; otherwise the API server drops it with a warning and the setting silently does nothing. Move it to {{target}}.',
      inSecurityContext:
        '{{field}} is written in the securityContext of {{container}}, but it is not a securityContext field: it is a pod-level field of the pod spec, and {{why}}. kubectl\'s strict field validation rejects the unknown field; otherwise the API server drops it with a warning and the setting silently does nothing. Move it to {{target}}.',
      inPodSecurityContext:
        '{{field}} is written in the pod\'s securityContext, but in the v1 API it is a field of the pod spec itself, not of securityContext. kubectl\'s strict field validation rejects the unknown field; otherwise the API server drops it with a warning and the setting silently does nothing. Move it to {{target}}.',
      outsidePodSpec:
        '{{field}} is written {{where}}, but it is a pod-level field that exists only at {{target}}{{note}}. kubectl\'s strict field validation rejects the unknown field; otherwise the API server drops it with a warning and the setting silently does nothing. Move it to {{target}}.',
      redundant:
        '{{field}} is written {{where}} as well as at {{target}}; only {{target}} is a real field, and it already applies the same value to every container of the pod. kubectl\'s strict field validation rejects the unknown copy (otherwise the API server drops it with a warning). Delete this copy.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const report = (
      object: KubeObject, path: FieldPath, field: PodLevelField, target: FieldPath, podValue: unknown,
      messageId: 'inContainer' | 'inSecurityContext' | 'inPodSecurityContext' | 'outsidePodSpec',
      data: Record<string, string>, where: string,
    ): void => {
      const value = get(object.raw, path);
      const targetText = formatPath(target);
      if (sameValue(value, podValue)) {
        ctx.report({ object, path, messageId: 'redundant', data: { field, where, target: targetText }, fix: `delete ${formatPath(path)}` });
        return;
      }
      ctx.report({ object, path, messageId, data: { field, target: targetText, why: WHY[field], ...data }, fix: `move ${field} to ${targetText}` });
    };

    return {
      object(o) {
        if (!isWorkloadKind(o.kind)) return;
        const specPath = POD_SPEC_PATH[o.kind];
        // Every level above the pod spec, and the metadata beside each: none of them has these fields.
        for (let depth = 0; depth < specPath.length; depth++) {
          const prefix = specPath.slice(0, depth);
          const node = get(o.raw, prefix);
          for (const at of [prefix, [...prefix, 'metadata']]) {
            const holder = at === prefix ? node : get(node, ['metadata']);
            for (const field of POD_LEVEL_FIELDS) {
              if (!has(holder, field)) continue;
              const path = [...at, field];
              const { where, note } = describeAbove(o.kind, at, at === prefix ? specPath[depth] : undefined);
              report(o, path, field, [...specPath, field], get(o.raw, [...specPath, field]), 'outsidePodSpec', { where, note }, where);
            }
          }
        }
      },
      podView(v) {
        for (const c of v.containers) {
          const container = `${CONTAINER_WORDS[c.kind]} "${c.name}"`;
          for (const field of POD_LEVEL_FIELDS) {
            if (has(c.raw, field)) {
              report(v.object, [...c.path, field], field, v.at(field), v.spec[field], 'inContainer', { container }, `inside ${container}`);
            }
            if (has(c.raw.securityContext, field)) {
              report(v.object, [...c.path, 'securityContext', field], field, v.at(field), v.spec[field], 'inSecurityContext', { container }, `in the securityContext of ${container}`);
            }
          }
        }
        for (const field of POD_LEVEL_FIELDS) {
          if (has(v.spec.securityContext, field)) {
            report(v.object, v.at('securityContext', field), field, v.at(field), v.spec[field], 'inPodSecurityContext', {}, 'in the pod\'s securityContext');
          }
        }
      },
    };
  },
});
