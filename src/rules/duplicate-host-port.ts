import { versionAtLeast } from '../model/cluster.js';
import type { ContainerView, PodView, PortView } from '../model/pod-view.js';
import { formatPath, type FieldPath, type RelatedLocation } from '../model/types.js';
import { defineRule } from './define-rule.js';

/** One port that claims a host port, as VAL-6 keys it. */
interface Claim {
  /** `<PROTOCOL>/<hostIP>/<hostPort>` from the raw strings, as the API server builds it. */
  readonly key: string;
  readonly port: number;
  readonly protocol: string;
  readonly hostIP: string;
  /** The hostPort was 0 or absent and DEF-3 makes it containerPort. */
  readonly implied: boolean;
  readonly container: ContainerView;
  readonly portView: PortView;
  /** The field the claim comes from: hostPort when written, containerPort when implied. */
  readonly path: FieldPath;
}

const isNonZeroInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v !== 0;

/**
 * The host-port claims of some containers. Without `defaulted`, only written non-zero hostPorts
 * count (what the API server sees in a pod template). With it, DEF-3 is applied first: a hostPort
 * of 0 becomes containerPort (what it sees in a hostNetwork Pod). Values of the wrong type fail to
 * decode and are invalid-port's findings, so they claim nothing here.
 */
function claimsOf(containers: readonly ContainerView[], defaulted: boolean): Claim[] {
  const out: Claim[] = [];
  for (const c of containers) {
    for (const p of c.ports) {
      const rawProtocol = p.raw.protocol;
      const protocol = rawProtocol === undefined || rawProtocol === null || rawProtocol === '' ? 'TCP' : rawProtocol;
      const rawHostIP = p.raw.hostIP;
      const hostIP = rawHostIP === undefined || rawHostIP === null ? '' : rawHostIP;
      if (typeof protocol !== 'string' || typeof hostIP !== 'string') continue;
      const hp = p.raw.hostPort;
      let port: number;
      let implied = false;
      if (isNonZeroInt(hp)) {
        port = hp;
      } else if (defaulted && (hp === undefined || hp === null || hp === 0) && isNonZeroInt(p.raw.containerPort)) {
        port = p.raw.containerPort;
        implied = true;
      } else {
        continue;
      }
      out.push({
        key: `${protocol}/${hostIP}/${port}`, port, protocol, hostIP, implied, container: c, portView: p,
        path: [...p.path, implied ? 'containerPort' : 'hostPort'],
      });
    }
  }
  return out;
}

/** Each later claim whose key an earlier one already has, paired with that first claim. */
function duplicatesIn(claims: readonly Claim[]): Array<[first: Claim, second: Claim]> {
  const seen = new Map<string, Claim>();
  const out: Array<[Claim, Claim]> = [];
  for (const c of claims) {
    const first = seen.get(c.key);
    if (first) out.push([first, c]);
    else seen.set(c.key, c);
  }
  return out;
}

/** VAL-6 scopes: all regular containers together, each init container on its own. */
function groupsOf(v: PodView): ContainerView[][] {
  const regular = v.containers.filter((c) => c.kind === 'container');
  const inits = v.containers.filter((c) => c.kind === 'initContainer').map((c) => [c]);
  return [regular, ...inits];
}

const KIND_WORDS: Readonly<Record<ContainerView['kind'], string>> = {
  container: 'container',
  initContainer: 'init container',
  ephemeralContainer: 'ephemeral container',
};

function describeClaim(c: Claim): string {
  const field = c.implied ? 'containerPort' : 'hostPort';
  return `${KIND_WORDS[c.container.kind]} "${c.container.name}" (ports[${c.portView.index}].${field})`;
}

/** Where the rejection shows up for pods that a controller creates. */
function failedCreateWhere(kind: string): string {
  switch (kind) {
    case 'Deployment': return 'FailedCreate events on its ReplicaSet';
    case 'CronJob': return 'FailedCreate events on each Job it starts';
    default: return `FailedCreate events on the ${kind}`;
  }
}

export default defineRule({
  id: 'duplicate-host-port',
  meta: {
    severity: 'error',
    summary: 'A pod may claim each protocol/hostIP/hostPort only once, counting the hostPorts that hostNetwork implies, or the API server rejects the pod.',
    sources: [
      'VAL-6', 'DEF-3', 'DEF-4', 'PIPE-1',
      'kubernetes/kubernetes pkg/apis/core/validation/validation.go#AccumulateUniqueHostPorts',
      'kubernetes/kubernetes pkg/apis/core/v1/defaults.go#SetDefaults_Pod',
    ],
    peers: [{ tool: 'psa', id: 'hostPorts', relation: 'related' }],
    messages: {
      duplicate:
        'Host port {{port}}/{{protocol}} on {{address}} is claimed twice in this {{kind}}: by {{first}} and again by {{second}}, so the API server rejects it (Duplicate value: "{{key}}"); a pod may claim each protocol, hostIP and hostPort only once. Remove one of the two ports, or give one of them a different hostPort.',
      duplicateImplied:
        'In this hostNetwork Pod, {{second}} declares port {{port}}/{{protocol}} that {{first}} already claims; the API server sets hostPort to containerPort on hostNetwork Pods before validating them (DEF-3), so both claim host port {{port}} on {{address}} and the Pod is rejected (Duplicate value: "{{key}}"). All containers share the node\'s network namespace, where only one process can bind the port: declare it once, in the container that listens on it.',
      duplicateInPods:
        'In this hostNetwork {{kind}}, {{second}} declares port {{port}}/{{protocol}} that {{first}} already claims. The {{kind}} itself is accepted, because pod templates are not defaulted, but every Pod created from it gets hostPort = containerPort (DEF-3) and is rejected (Duplicate value: "{{key}}"), so none of its pods is ever created; look for {{where}}. Declare the port once, in the container that listens on it.',
      duplicateImpliedTemplate:
        'In this hostNetwork {{kind}}, {{second}} declares port {{port}}/{{protocol}} that {{first}} already claims; before Kubernetes v1.28 the API server set hostPort to containerPort in pod templates too (DEF-3), so on this v{{version}} cluster the {{kind}} itself is rejected (Duplicate value: "{{key}}"). Declare the port once, in the container that listens on it.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const version = ctx.cluster.kubernetesVersion;
    // DEF-3 ran in SetDefaults_PodSpec, templates included, until v1.28 (PR #117696).
    const templatesDefaulted = !versionAtLeast(version, '1.28');
    const relatedTo = (v: PodView, first: Claim): RelatedLocation => {
      const pos = v.object.source.locator.locate(first.path);
      return {
        message: `First claimed here by ${describeClaim(first)}.`,
        file: v.object.source.file, line: pos.line, column: pos.column, path: formatPath(first.path),
      };
    };
    return {
      podView(v) {
        for (const group of groupsOf(v)) {
          // As written: what validation sees in a template, and in a Pod without hostNetwork.
          const reported = new Set<PortView>();
          for (const [first, second] of duplicatesIn(claimsOf(group, false))) {
            reported.add(second.portView);
            ctx.report({
              object: v.object, path: second.path, messageId: 'duplicate',
              data: {
                port: second.port, protocol: second.protocol, key: second.key, kind: v.kind,
                address: second.hostIP === '' ? 'all addresses (hostIP empty)' : `hostIP ${second.hostIP}`,
                first: describeClaim(first), second: describeClaim(second),
              },
              related: [relatedTo(v, first)],
            });
          }
          if (!v.hostNetwork) continue;
          // After DEF-3: what validation sees in every hostNetwork Pod. Pairs of written hostPorts were reported above.
          for (const [first, second] of duplicatesIn(claimsOf(group, true))) {
            if ((!first.implied && !second.implied) || reported.has(second.portView)) continue;
            ctx.report({
              object: v.object, path: second.path, messageId: !v.isTemplate ? 'duplicateImplied' : templatesDefaulted ? 'duplicateImpliedTemplate' : 'duplicateInPods',
              data: {
                port: second.port, protocol: second.protocol, key: second.key, kind: v.kind,
                address: second.hostIP === '' ? 'all addresses (hostIP empty)' : `hostIP ${second.hostIP}`,
                first: describeClaim(first), second: describeClaim(second),
                where: failedCreateWhere(v.kind), version,
              },
              related: [relatedTo(v, first)],
              evidence: ['DEF-3: hostPort defaults to containerPort in hostNetwork Pods'],
            });
          }
        }
      },
    };
  },
});
