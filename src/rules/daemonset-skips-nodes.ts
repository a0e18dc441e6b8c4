import type { Taint } from '../model/cluster.js';
import { ErrReasonPod } from '../sim/schedule/plugins/node-affinity.js';
import { ErrReason as ErrReasonNodeName } from '../sim/schedule/plugins/node-name.js';
import { toleratesTaint } from '../sim/schedule/plugins/taint-toleration.js';
import type { Toleration } from '../sim/schedule/sched-pod.js';
import { defineRule } from './define-rule.js';
import { listNodes } from './host-port-conflict.js';

/** The NoSchedule/NoExecute taints of a node the daemon pod does not tolerate (DS-1 stops at the first; a fix needs all). */
function untolerated(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint[] {
  return taints.filter((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((x) => toleratesTaint(x, t)));
}

const taintText = (t: Taint): string => `{${t.key}: ${t.value ?? ''}}`;
const tolerationText = (t: Taint): string => `{key: ${t.key}, operator: Exists, effect: ${t.effect}}`;

export default defineRule({
  id: 'daemonset-skips-nodes',
  meta: {
    severity: 'info',
    summary: 'A hostNetwork DaemonSet usually provides something every node needs; list the nodes where the DaemonSet controller will not run it, and why.',
    sources: [
      'DS-1', 'DS-3',
      'kubernetes/kubernetes pkg/controller/daemon/daemon_controller.go#NodeShouldRunDaemonPod',
      'kubernetes/kubernetes pkg/controller/daemon/util/daemonset_util.go#AddOrUpdateDaemonPodTolerations',
    ],
    messages: {
      skips:
        'This hostNetwork DaemonSet runs no pod on {{count}} of the cluster\'s {{total}} nodes: {{groups}}. Whatever it provides on every node (a CNI, a proxy, a log or metrics agent, a DNS cache) is missing there. {{fix}} If it is meant to stay off those nodes, nothing needs to change.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    return {
      end() {
        const placement = ctx.sims.placement();
        for (const w of placement.workloads) {
          if (!w.daemonNodes || !w.view.hostNetwork) continue;
          const skipped = w.daemonNodes.filter((d) => !d.shouldRun);
          if (skipped.length === 0) continue;

          // Group the nodes by reason, in node order; taints by the set of taints left untolerated.
          const groups = new Map<string, string[]>();
          const toTolerate = new Map<string, Taint>();
          const selectorNodes: string[] = [];
          const add = (label: string, node: string): void => {
            let g = groups.get(label);
            if (!g) groups.set(label, (g = []));
            g.push(node);
          };
          const evidence: string[] = [];
          for (const d of skipped) {
            evidence.push(`node ${d.node.name}: DS-1 says no: ${d.reason ?? 'unknown reason'}`);
            if (d.reason === ErrReasonNodeName) {
              add('spec.nodeName names another node', d.node.name);
            } else if (d.reason === ErrReasonPod) {
              add('its nodeSelector or required node affinity does not match', d.node.name);
              selectorNodes.push(d.node.name);
            } else {
              // w.shape holds the controller's tolerations (DS-3) beside the template's own.
              const taints = untolerated(d.node.taints, w.shape.tolerations);
              for (const t of taints) toTolerate.set(`${t.key}\u0000${t.effect}`, t);
              add(taints.length > 0 ? `untolerated taint ${taints.map(taintText).join(', ')}` : (d.reason ?? 'unknown reason'), d.node.name);
            }
          }

          const fixes: string[] = [];
          if (toTolerate.size > 0) {
            fixes.push(`If it must run there, add ${toTolerate.size === 1 ? 'this toleration' : 'these tolerations'} to the pod template: tolerations: [${[...toTolerate.values()].map(tolerationText).join(', ')}].`);
          }
          if (selectorNodes.length > 0) {
            fixes.push(`If it must run on ${listNodes(selectorNodes)}, widen its nodeSelector or node affinity.`);
          }
          if (groups.has('spec.nodeName names another node')) fixes.push('Remove spec.nodeName from the template so the controller places a pod on every node.');
          if (fixes.length === 0) fixes.push('If it must run there, change what keeps it off those nodes.');

          ctx.report({
            object: w.view.object, path: w.view.at('hostNetwork'), messageId: 'skips',
            data: {
              count: skipped.length, total: w.daemonNodes.length,
              groups: [...groups].map(([label, nodes]) => `${listNodes(nodes)} (${label})`).join('; '),
              fix: fixes.join(' '),
            },
            evidence,
          });
        }
      },
    };
  },
});
