import type { PodView } from '../model/pod-view.js';
import { formatPath, refOf, type FieldPath, type RelatedLocation } from '../model/types.js';
import { clusterRecords, type ClusterRecords } from '../sim/dns/records.js';
import { resolveName, serverKindOf } from '../sim/dns/resolve.js';
import {
  DNS_NAMESPACE, DNS_POD_LABELS, dnsEgressVerdict, indexPolicies, NAMESPACE_NAME_LABEL,
  type DnsDestination, type DnsEgressVerdict, type NetworkPolicy, type PolicyIndex,
} from '../sim/policy/network-policy.js';
import { defineRule } from './define-rule.js';

type MessageId = 'blocked' | 'tcpBlocked';

/** Reasons quoted in the message; the evidence lists them all. */
const MAX_REASONS = 2;

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The egress rule that fixes it, one item of spec.egress as YAML flow text. */
function fixRule(dest: DnsDestination): string {
  const ports = 'ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]';
  if (dest.kind === 'node-local-dns') return `{to: [{ipBlock: {cidr: ${dest.address}/32}}], ${ports}}`;
  const [k, v] = Object.entries(DNS_POD_LABELS)[0]!;
  return `{to: [{namespaceSelector: {matchLabels: {${NAMESPACE_NAME_LABEL}: ${DNS_NAMESPACE}}}, podSelector: {matchLabels: {${k}: ${v}}}}], ${ports}}`;
}

function targetText(dest: DnsDestination): string {
  if (dest.kind === 'node-local-dns') return `NodeLocal DNSCache at ${dest.address}`;
  const [k, v] = Object.entries(DNS_POD_LABELS)[0]!;
  return `cluster DNS pods (labelled ${k}: ${v} in ${DNS_NAMESPACE})`;
}

/** `Why: a; b; and 2 more. ` (with its trailing space), or nothing. */
function reasonsText(reasons: readonly string[]): string {
  if (reasons.length === 0) return '';
  const shown = reasons.slice(0, MAX_REASONS);
  const more = reasons.length > shown.length ? `; and ${reasons.length - shown.length} more` : '';
  return `Why: ${shown.join('; ')}${more}. `;
}

/** Where a policy says what it does to egress: its egress list, else its policyTypes, else its podSelector. */
function policyPath(p: NetworkPolicy): FieldPath {
  const locator = p.object.source.locator;
  for (const path of [['spec', 'egress'], ['spec', 'policyTypes'], ['spec', 'podSelector']] as const) if (locator.has(path)) return path;
  return ['spec'];
}

function related(p: NetworkPolicy, path: FieldPath, message: string): RelatedLocation {
  const pos = p.object.source.locator.locate(path);
  return { message, file: p.object.source.file, line: pos.line, column: pos.column, path: formatPath(path), object: refOf(p.object) };
}

/**
 * A NetworkPolicy whose egress selects the pod and does not allow UDP and TCP port 53 to the
 * cluster DNS pods: the pod's queries are dropped, and with them every lookup (a NodeLocal
 * DNSCache address is checked instead when that is the pod's nameserver). Only pods that use
 * cluster DNS (KDNS-4; None with a clusterDNS nameserver) are checked; hostNetwork pods are not
 * subject to NetworkPolicy in most CNIs. The verdict is src/sim/policy/network-policy.ts; the
 * lookup quoted in the message is src/sim/dns/resolve.ts with the queries dropped.
 */
export default defineRule<MessageId>({
  id: 'network-policy-blocks-dns',
  meta: {
    severity: 'warning',
    summary: 'A NetworkPolicy egress that selects the pod and does not allow UDP and TCP port 53 to the cluster DNS pods, so the pod cannot resolve names.',
    sources: [
      'KDNS-3', 'KDNS-4', 'KDNS-7', 'KP-4', 'KP-6',
      'kubernetes/api networking/v1/types.go (NetworkPolicySpec, NetworkPolicyEgressRule, NetworkPolicyPeer)',
      'kubernetes/kubernetes pkg/apis/networking/v1/defaults.go#SetDefaults_NetworkPolicy',
      'kubernetes.io/docs/concepts/services-networking/network-policies (NetworkPolicy and hostNetwork pods)',
      'kubernetes/kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go (CoreDNS ports dns/UDP and dns-tcp/TCP, label k8s-app: kube-dns)',
    ],
    peers: [{ tool: 'kube-linter', id: 'non-isolated-pod', relation: 'related' }],
    messages: {
      blocked:
        '{{policies}} {{verb}} this pod for egress and {{allowWhat}} to the {{target}}, so its DNS queries to {{server}} are dropped and it resolves no name at all, neither Services nor names outside the cluster. {{reasons}}{{dnat}}{{lookup}}Add an egress rule that allows UDP and TCP port 53 to them, for example this item in spec.egress of {{fixPolicy}}: `{{fix}}`.',
      tcpBlocked:
        '{{policies}} {{verb}} this pod for egress and {{allowVerb}} UDP port 53 to the {{target}} but not TCP port 53. Ordinary lookups work, but an answer too large for UDP (a headless Service with many endpoints, a long TXT or SRV answer) comes back truncated, the resolver retries over TCP to {{server}}, and that is dropped, so those lookups fail. {{reasons}}{{dnat}}Allow TCP port 53 as well, for example with this item in spec.egress of {{fixPolicy}}: `{{fix}}`.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const { model, cluster } = ctx;
    let index: PolicyIndex | undefined;
    let records: ClusterRecords | undefined;
    const objects = model.objects.filter((o) => !model.duplicates.has(o));
    const policies = (): PolicyIndex => (index ??= indexPolicies(objects));

    /** A name this pod would look up: the first Service of its namespace in the manifests, else kubernetes.default. */
    let firstService: Map<string, string> | undefined;
    const sampleName = (v: PodView): string => {
      if (!firstService) {
        firstService = new Map();
        for (const o of objects) if (o.kind === 'Service' && o.apiVersion === 'v1' && !firstService.has(o.namespace ?? 'default')) firstService.set(o.namespace ?? 'default', o.name);
      }
      return firstService.get(v.namespace) ?? 'kubernetes.default';
    };

    const report = (v: PodView, verdict: DnsEgressVerdict, server: string, conf: NonNullable<ReturnType<typeof ctx.sims.dns>>['conf']): void => {
      const dest = verdict.destination;
      const pols = verdict.egressPolicies;
      const policiesText = `${pols.length === 1 ? 'NetworkPolicy' : 'NetworkPolicies'} ${list(pols.map((p) => `${p.namespace}/${p.object.name}`))}`;
      const verb = pols.length === 1 ? 'selects' : 'select';
      const fixPolicy = pols[0]!.ref;
      const fix = fixRule(dest);
      const target = targetText(dest);
      const dnat = verdict.serviceIPBlocks.length > 0
        ? `The ipBlock ${list(verdict.serviceIPBlocks.map((s) => `${s.cidr} in ${s.policy.ref}`))} holds the DNS Service IP, but kube-proxy rewrites the destination to a DNS pod's IP (DNAT, KP-4, KP-6) before the policy sees the packet in most CNIs, so allow the DNS pods by selector instead. `
        : '';
      const rel: RelatedLocation[] = [
        ...pols.map((p) => related(p, policyPath(p), `${p.ref} selects this pod for egress${p.egress.length === 0 ? ' and allows nothing' : ''}.`)),
        ...verdict.serviceIPBlocks.map((s) => related(s.policy, [...s.peer.path, 'ipBlock', 'cidr'], `ipBlock ${s.cidr} holds the cluster DNS Service IP, which the policy never sees after kube-proxy's DNAT.`)),
      ];
      const labelsPath = [...v.metadataPath, 'labels'];
      const path = v.object.source.locator.has(labelsPath) ? labelsPath : v.metadataPath;
      const evidence = [
        ...verdict.udp.reasons.map((r) => `UDP 53: ${r}`),
        ...verdict.tcp.reasons.map((r) => `TCP 53: ${r}`),
        ...verdict.notes,
      ];

      if (verdict.udp.allowed) {
        ctx.report({
          object: v.object, path, messageId: 'tcpBlocked', related: rel, evidence, fix,
          data: {
            policies: policiesText, verb, allowVerb: pols.length === 1 ? 'allows' : 'allow', target, server,
            reasons: reasonsText(verdict.tcp.reasons), dnat, fixPolicy, fix,
          },
        });
        return;
      }

      let lookup = '';
      if (dest.kind === 'cluster-dns') {
        records ??= clusterRecords(objects, ctx.sims.placement(), cluster);
        const name = sampleName(v);
        const why = `${pols.map((p) => p.ref).join(', ')} ${pols.length === 1 ? 'does' : 'do'} not allow UDP 53 to the DNS pods`;
        const r = resolveName(name, conf, { cluster, records, scenario: { clusterDNS: 'up', blockedToClusterDNS: why } });
        lookup = `A lookup of ${name} from this pod: ${r.summary} `;
        evidence.push(...r.steps.map((s) => `lookup ${name}: ${s.query} → ${s.server}: ${s.outcome} (${s.why})`));
      }
      const allowWhat = verdict.tcp.allowed ? 'allow TCP but not UDP port 53 (resolvers ask over UDP first)' : 'allow neither UDP nor TCP port 53';
      // The DNAT sentence already explains the ipBlock peers; the evidence keeps every reason.
      const reasons = [...verdict.udp.reasons, ...verdict.tcp.reasons.filter((r) => !verdict.udp.reasons.includes(r))].filter((r) => dnat === '' || !r.includes('(DNAT)'));
      ctx.report({
        object: v.object, path, messageId: 'blocked', related: rel, evidence, fix,
        data: {
          policies: policiesText, verb, allowWhat: pols.length === 1 ? allowWhat.replace(/^allow /, 'allows ') : allowWhat,
          target, server, reasons: reasonsText(reasons), dnat, lookup, fixPolicy, fix,
        },
      });
    };

    return {
      podView(v) {
        if (model.duplicates.has(v.object)) return;
        if (policies().size === 0) return;
        const dns = ctx.sims.dns(v);
        if (!dns) return;
        // Only pods that ask cluster DNS (or a NodeLocal DNSCache) depend on reaching it.
        const servers = dns.conf.nameservers.map((n) => ({ address: n.value, kind: serverKindOf(n.value, cluster) }));
        const clusterServer = servers.find((s) => s.kind === 'cluster-dns');
        const localServer = servers.find((s) => s.kind === 'node-local-dns');
        const server = clusterServer ?? localServer;
        if (!server) return;
        const destination: DnsDestination = server.kind === 'cluster-dns'
          ? { kind: 'cluster-dns', serviceIP: server.address }
          : { kind: 'node-local-dns', address: server.address };
        const verdict = dnsEgressVerdict(v, policies(), cluster, { destination });
        if (verdict.allowed) return;
        report(v, verdict, server.address, dns.conf);
      },
    };
  },
});
