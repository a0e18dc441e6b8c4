import type { PodView } from '../model/pod-view.js';
import { clusterRecords, type ClusterRecords } from '../sim/dns/records.js';
import { resolveName, serverKindOf, type QueryStep, type Resolution, type ResolveEnv } from '../sim/dns/resolve.js';
import type { PodDns } from '../sim/dns/resolv-conf.js';
import { defineRule } from './define-rule.js';

type MessageId = 'keepsResolving';

/** Workloads named in the message; the rest are counted. */
const MAX_NAMED = 2;
/** The name asked when a pod mentions no external host. */
export const FALLBACK_EXTERNAL = 'example.com';

/** `scheme://host` and `host:port` in a string; the host has a dot. */
const URL_HOST = /[a-z][a-z0-9+.-]*:\/\/(?:[^\s/@]+@)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)/gi;
const HOST_PORT = /(?:^|[^a-z0-9.-])([a-z0-9-]+(?:\.[a-z0-9-]+)+):\d{1,5}(?![0-9])/gi;

/**
 * The first host outside the cluster a pod's containers name in env values, command or args: a
 * URL's host or a `host:port`, with an alphabetic top-level label, not in the cluster zone and not
 * shaped like `svc.<namespace>` or `….svc`. Undefined when there is none.
 */
export function externalNameOf(v: PodView, records: ClusterRecords): string | undefined {
  const external = (h: string): boolean => {
    const host = h.toLowerCase();
    const last = host.slice(host.lastIndexOf('.') + 1);
    return /^[a-z]{2,63}$/.test(last) && last !== 'svc' && last !== 'local' && !records.serviceNamespaces.has(last) && !records.inZone(host);
  };
  const scan = (s: string): string | undefined => {
    if (s.length > 4096) return undefined;
    for (const re of [URL_HOST, HOST_PORT]) {
      re.lastIndex = 0;
      for (let m = re.exec(s); m; m = re.exec(s)) if (external(m[1]!)) return m[1]!.toLowerCase();
    }
    return undefined;
  };
  for (const c of v.containers) {
    if (c.kind === 'ephemeralContainer') continue;
    const strings: unknown[] = [];
    if (Array.isArray(c.raw.env)) for (const e of c.raw.env) if (e !== null && typeof e === 'object') strings.push((e as Record<string, unknown>).value);
    for (const field of ['command', 'args'] as const) if (Array.isArray(c.raw[field])) strings.push(...(c.raw[field] as unknown[]));
    for (const s of strings) {
      if (typeof s !== 'string') continue;
      const hit = scan(s);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** The cluster DNS pods: kubeadm's CoreDNS keeps the kube-dns label (k8s-app: kube-dns). */
function isClusterDns(v: PodView): boolean {
  const labels = v.podMetadata.labels;
  return labels !== null && typeof labels === 'object' && (labels as Record<string, unknown>)['k8s-app'] === 'kube-dns';
}

const workloadName = (v: PodView): string => `${v.kind} ${v.namespace}/${v.object.name}`;

function namesText(views: readonly PodView[]): string {
  const named = views.slice(0, MAX_NAMED).map(workloadName);
  const rest = views.length - named.length;
  if (rest > 0) return `${named.join(', ')} and ${rest} more`;
  return named.length <= 1 ? named.join('') : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
}

function viaText(step: QueryStep): string {
  switch (step.serverKind) {
    case 'node-resolver': return `the node's resolver (${step.server})`;
    case 'node-local-dns': return `the NodeLocal DNSCache (${step.server}), which forwards names outside the cluster zone to the node's resolver itself`;
    case 'cluster-dns': return `cluster DNS (${step.server})`;
    case 'other': return `the resolver ${step.server}`;
  }
}

/** Why this pod's resolv.conf does not depend on cluster DNS for external names. */
function whyText(v: PodView, dns: PodDns, step: QueryStep): string {
  const servers = dns.conf.nameservers.map((n) => n.value).join(', ');
  if (step.serverKind === 'node-local-dns') return `its nameserver is the NodeLocal DNSCache ${step.server}, not cluster DNS.`;
  if (dns.type === 'Host' && v.hostNetwork && dns.requested === 'Host' && v.dnsPolicy === 'ClusterFirst') {
    return `it is hostNetwork with dnsPolicy ClusterFirst${v.dnsPolicyWritten ? '' : ' (the default)'}, which the kubelet turns into the node's resolv.conf (nameserver ${servers}, KDNS-3, KDNS-6), so it never asks cluster DNS.`;
  }
  if (dns.type === 'Host' && v.dnsPolicy === 'Default') return `dnsPolicy Default gives it the node's resolv.conf (nameserver ${servers}, KDNS-6), so it never asks cluster DNS.`;
  if (dns.type === 'None') return `dnsPolicy None gives it only the nameservers of its dnsConfig (${servers}, KDNS-7), and ${step.server} is not cluster DNS.`;
  return `its resolv.conf lists nameserver ${servers}, and ${step.server} is not cluster DNS.`;
}

interface Walked {
  readonly view: PodView;
  readonly dns: PodDns;
  readonly external: Resolution;
  readonly cluster: Resolution;
}

/**
 * The seed 001 scenario before it happens: when cluster DNS is down, which pods keep resolving
 * names outside the cluster and which resolve nothing. One info finding on each workload that
 * keeps resolving external names (hostNetwork with ClusterFirst or Default, None with another
 * resolver, a NodeLocal DNSCache) while other workloads of the same manifest set resolve nothing,
 * naming those. Cluster-type workloads get no finding of their own: that would be one per
 * workload saying the same thing. Lookups are src/sim/dns/resolve.ts with cluster DNS down.
 */
export default defineRule<MessageId>({
  id: 'dns-outage-exposure',
  meta: {
    severity: 'info',
    summary: 'Pods that keep resolving names outside the cluster during a cluster DNS outage while other pods of the same manifests resolve nothing, with the reason for each.',
    sources: [
      'KDNS-3', 'KDNS-4', 'KDNS-6', 'KDNS-7', 'DBG-1', 'CDNS-1',
      'glibc resolv/res_query.c#__res_context_search',
      'kubernetes/kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go (Corefile: forward . /etc/resolv.conf)',
      'kubernetes/dns docs/specification.md',
    ],
    messages: {
      keepsResolving:
        'In a cluster DNS outage this pod still resolves {{external}} through {{via}} but not {{clusterName}}: {{why}} {{losers}} resolve nothing then: {{loserSummary}} Nothing to change if this pod is meant to keep working through an outage (a node agent, a `kubectl debug node/...` shell, DBG-1), but its lookups working says nothing about cluster DNS; to reach Services it needs {{clusterFix}}. To let the other pods keep resolving external names through an outage, run NodeLocal DNSCache.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const { model, cluster } = ctx;
    const views: PodView[] = [];
    return {
      podView(v) {
        if (!model.duplicates.has(v.object)) views.push(v);
      },
      end() {
        const pods: Array<{ view: PodView; dns: PodDns }> = [];
        for (const view of views) {
          const dns = ctx.sims.dns(view);
          if (dns && dns.conf.nameservers.length > 0 && dns.nodeFileErrors.length === 0) pods.push({ view, dns });
        }
        // Without both a pod that asks only cluster DNS and one that asks something else, nothing differs.
        const onlyCluster = (d: PodDns): boolean => d.conf.nameservers.every((n) => serverKindOf(n.value, cluster) === 'cluster-dns');
        if (!pods.some((p) => onlyCluster(p.dns)) || pods.every((p) => onlyCluster(p.dns))) return;

        const objects = model.objects.filter((o) => !model.duplicates.has(o));
        const records = clusterRecords(objects, ctx.sims.placement(), cluster);
        const services = objects.filter((o) => o.kind === 'Service' && o.apiVersion === 'v1');
        const zone = records.zone;
        const fqdn = (name: string, ns: string): string => (zone === '' ? `${name}.${ns}` : `${name}.${ns}.svc.${zone}`);
        const firstService = new Map<string, string>();
        for (const svc of services) {
          const ns = (svc.namespace ?? 'default').toLowerCase();
          if (!firstService.has(ns)) firstService.set(ns, fqdn(svc.name.toLowerCase(), ns));
        }
        const anyService = services[0] ? firstService.get((services[0].namespace ?? 'default').toLowerCase())! : fqdn('kubernetes', 'default');
        const clusterNameOf = (v: PodView): string => firstService.get(v.namespace.toLowerCase()) ?? anyService;
        const env = { cluster, records, scenario: { clusterDNS: 'down' as const } };
        // Asked as absolute names: whether a path outside the cluster exists, without the search list in the way.
        const walked: Walked[] = pods.map(({ view, dns }) => ({
          view, dns,
          external: resolveName(`${externalNameOf(view, records) ?? FALLBACK_EXTERNAL}.`, dns.conf, env),
          cluster: resolveName(`${clusterNameOf(view)}.`, dns.conf, env),
        }));
        // Contrast pods of one install: the workloads of one file, not unrelated manifests checked together.
        const byFile = new Map<string, Walked[]>();
        for (const w of walked) {
          const f = w.view.object.source.file;
          byFile.set(f, [...(byFile.get(f) ?? []), w]);
        }
        for (const group of byFile.values()) reportGroup(group, env);
      },
    };

    function reportGroup(walked: readonly Walked[], env: ResolveEnv): void {
      const survivors = walked.filter((w) => w.external.resolved);
      const losers = walked.filter((w) => !w.external.resolved && !w.cluster.resolved);
      if (survivors.length === 0 || losers.length === 0) return;
      const firstLoser = losers[0]!;
      // The loser's lookup as its application asks it: unqualified, through its search list.
      const loserWalk = resolveName(firstLoser.external.name.replace(/\.$/, ''), firstLoser.dns.conf, env);
      const losersText = `Pods that depend on cluster DNS (${namesText(losers.map((l) => l.view))})`;
      const stepText = (label: string, r: Resolution): string[] => r.steps.map((s) => `${label} ${r.name}: ${s.query} → ${s.server}: ${s.outcome} (${s.why})`);

      for (const w of survivors) {
        const v = w.view;
        // Cluster DNS itself (CoreDNS asks the node's resolver by design) is the outage, not a pod that survives it.
        if (isClusterDns(v)) continue;
        const answered = w.external.steps.find((s) => s.outcome === 'answer')!;
        const wait = w.external.waitedSeconds > 0 ? ` after waiting ${w.external.waitedSeconds} s for cluster DNS` : '';
        const path = v.dnsPolicyWritten ? v.at('dnsPolicy') : v.hostNetwork ? v.at('hostNetwork') : v.specPath;
        ctx.report({
          object: v.object, path, messageId: 'keepsResolving',
          data: {
            external: w.external.name.replace(/\.$/, ''),
            via: `${viaText(answered)}${wait}`,
            clusterName: w.cluster.name.replace(/\.$/, ''),
            why: whyText(v, w.dns, answered),
            losers: losersText,
            loserSummary: loserWalk.summary,
            clusterFix: v.hostNetwork ? 'dnsPolicy: ClusterFirstWithHostNet' : 'dnsPolicy: ClusterFirst',
          },
          evidence: [
            ...stepText('this pod, cluster DNS down:', w.external),
            ...stepText('this pod, cluster DNS down:', w.cluster),
            ...stepText(`${workloadName(firstLoser.view)}, cluster DNS down:`, loserWalk),
            `resolve nothing in an outage: ${losers.slice(0, 10).map((l) => workloadName(l.view)).join(', ')}${losers.length > 10 ? ` and ${losers.length - 10} more` : ''}`,
          ],
        });
      }
    }
  },
});
