import { isRecord, type PodView } from '../model/pod-view.js';
import type { KubeObject } from '../model/types.js';
import { defineRule } from './define-rule.js';

/** Strings longer than this are not scanned (ConfigMap values such as dashboards; pathological env). */
export const MAX_SCANNED_STRING = 1024 * 1024;
/** Evidence items kept per pod: the message names the first, `evidence` lists them all. */
const MAX_EVIDENCE = 5;

/** Host-name-like runs of a string: `http://api.default.svc:8080/x` → `http`, `api.default.svc`, `8080`, `x`. */
const TOKEN = /[A-Za-z0-9_.-]+/g;
const NAME_CHAR = /[A-Za-z0-9_.-]/;

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The resolver a Host-type pod gets (KDNS-6), said in a few words for the message. */
export function nodeResolverOf(resolvConf: { readonly path: string; readonly content: string }): string {
  if (resolvConf.path === '') return "127.0.0.1, since the kubelet's resolvConf is empty";
  const servers: string[] = [];
  for (const line of resolvConf.content.slice(0, 64 * 1024).split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) servers.push(m[1]!);
  }
  return servers.length > 0 ? `nameserver ${servers.slice(0, 3).join(', ')} from the node's ${resolvConf.path}` : `the node's ${resolvConf.path}`;
}

export interface Options {
  /** Report hostNetwork pods that show no need for cluster DNS, as info. */
  readonly infoFindings: boolean;
}

export default defineRule<'needsClusterDns' | 'nodeResolver', Options>({
  id: 'host-network-cluster-dns',
  meta: {
    severity: 'warning',
    summary: 'A hostNetwork pod with dnsPolicy ClusterFirst (the default) silently gets the node\'s resolver instead of cluster DNS, so Service names do not resolve.',
    sources: ['KDNS-3', 'KDNS-6', 'DEF-1', 'VAL-15', 'kubernetes/kubernetes pkg/kubelet/network/dns/dns.go#getPodDNSType'],
    peers: [{ tool: 'kyverno', id: 'other/dns-policy-and-dns-config', relation: 'related' }],
    messages: {
      needsClusterDns:
        'This hostNetwork pod has {{policy}}, so the kubelet gives it the node\'s resolver ({{resolver}}) instead of cluster DNS, yet it uses cluster names: {{evidence}}{{more}}. Those names will not resolve; set dnsPolicy: ClusterFirstWithHostNet.',
      nodeResolver:
        'This hostNetwork pod has {{policy}}, so the kubelet gives it the node\'s resolver ({{resolver}}) instead of cluster DNS, and Service names such as {{example}} will not resolve. Nothing in the loaded manifests shows that it needs them; if it does, set dnsPolicy: ClusterFirstWithHostNet.',
    },
    optionDocs: {
      infoFindings: 'Also report, as info, hostNetwork pods that show no need for cluster DNS (default true); false keeps only the warnings.',
    },
  },
  defaultOptions: { infoFindings: true },
  create(ctx) {
    const { cluster, model } = ctx;
    const domain = cluster.clusterDomain.toLowerCase().replace(/^\.+|\.+$/g, '');
    const resolver = nodeResolverOf(cluster.resolvConf);
    const example = domain === '' ? 'kubernetes.default.svc' : `kubernetes.default.svc.${domain}`;

    // Service names by namespace, built once (the rule stays linear in the number of objects).
    const services = new Map<string, Set<string>>();
    for (const o of model.objects) {
      if (o.kind !== 'Service' || typeof o.name !== 'string' || o.name === '') continue;
      const ns = o.namespace ?? 'default';
      let set = services.get(ns);
      if (!set) services.set(ns, (set = new Set()));
      set.add(o.name.toLowerCase());
    }

    /** Why a token names something only cluster DNS answers, or undefined. */
    const clusterName = (token: string, podNamespace: string, bare: boolean): string | undefined => {
      const t = token.toLowerCase().replace(/\.+$/, '');
      if (t === '') return undefined;
      const labels = t.split('.');
      if (labels.length === 1) {
        // A short name resolves through the pod's own namespace search entry (KDNS-4) only.
        return bare && services.get(podNamespace)?.has(t) ? `the Service ${podNamespace}/${t}` : undefined;
      }
      if (services.get(labels[1]!)?.has(labels[0]!) && (labels.length === 2 || labels[2] === 'svc')) return `the Service ${labels[1]}/${labels[0]}`;
      if (labels.indexOf('svc', 1) !== -1) return 'a .svc name';
      if (domain !== '' && (t === domain || t.endsWith(`.${domain}`))) return `the cluster domain ${domain}`;
      return undefined;
    };

    /** The first cluster name in a string, as `"token"` (plus what it is when that is not obvious). */
    const scanString = (s: string, podNamespace: string, bare = true): string | undefined => {
      if (s.length > MAX_SCANNED_STRING) return undefined;
      // Qualified names (api.ns.svc...) are stronger evidence than a bare word that happens to be a
      // Service name (the "redis" of "redis://redis.cache.svc"), so a bare match is only a fallback.
      let bareHit: string | undefined;
      for (const m of s.matchAll(TOKEN)) {
        const what = clusterName(m[0], podNamespace, bare);
        if (what === undefined) continue;
        const hit = what.startsWith('the Service') ? `${quote(m[0])} (${what})` : quote(m[0]);
        if (m[0].includes('.')) return hit;
        bareHit ??= hit;
      }
      return bareHit;
    };

    // ConfigMap values: `.svc` or `.<domain>` followed by a non-name character. Scanned once per ConfigMap.
    const configPattern = new RegExp(`\\.svc(?![A-Za-z0-9_-])${domain === '' ? '' : `|\\.${escapeRegExp(domain)}(?![A-Za-z0-9_-])`}`, 'i');
    const configCache = new Map<KubeObject, Map<string, string>>();
    const configHits = (cm: KubeObject): Map<string, string> => {
      let hits = configCache.get(cm);
      if (hits) return hits;
      hits = new Map();
      const data = cm.raw.data;
      if (isRecord(data)) {
        for (const [key, value] of Object.entries(data)) {
          if (typeof value !== 'string' || value.length > MAX_SCANNED_STRING) continue;
          const m = configPattern.exec(value);
          if (!m) continue;
          // Quote the host-name-like run around the match, at most 40 characters either side.
          let start = m.index;
          while (start > 0 && NAME_CHAR.test(value[start - 1]!) && m.index - start < 40) start--;
          const matchEnd = m.index + m[0].length;
          let end = matchEnd;
          while (end < value.length && NAME_CHAR.test(value[end]!) && end - matchEnd < 40) end++;
          const cutLeft = start > 0 && NAME_CHAR.test(value[start - 1]!) ? '...' : '';
          const cutRight = end < value.length && NAME_CHAR.test(value[end]!) ? '...' : '';
          hits.set(key, JSON.stringify(`${cutLeft}${value.slice(start, end)}${cutRight}`));
        }
      }
      configCache.set(cm, hits);
      return hits;
    };

    const evidenceOf = (v: PodView): string[] => {
      const out: string[] = [];
      const add = (e: string | undefined): boolean => {
        if (e !== undefined) out.push(e);
        return out.length >= MAX_EVIDENCE;
      };
      const fromConfigMap = (name: unknown, keys: readonly string[] | undefined, via: string): boolean => {
        if (typeof name !== 'string' || name === '') return false;
        const cm = model.find('ConfigMap', v.namespace, name);
        if (!cm) return false;
        const hits = configHits(cm);
        for (const [key, q] of hits) {
          if (keys && !keys.includes(key)) continue;
          if (add(`ConfigMap ${name} key ${key} (${via}) mentions ${q}`)) return true;
          break;
        }
        return false;
      };

      for (const c of v.containers) {
        if (c.kind === 'ephemeralContainer') continue;
        const who = `container ${c.name}`;
        const env = c.raw.env;
        if (Array.isArray(env)) {
          for (const e of env) {
            if (!isRecord(e)) continue;
            const name = typeof e.name === 'string' ? e.name : '?';
            if (typeof e.value === 'string') {
              const q = scanString(e.value, v.namespace);
              if (q && add(`env ${name} of ${who} mentions ${q}`)) return out;
            }
            const ref = isRecord(e.valueFrom) && isRecord(e.valueFrom.configMapKeyRef) ? e.valueFrom.configMapKeyRef : undefined;
            if (ref && typeof ref.key === 'string' && fromConfigMap(ref.name, [ref.key], `env ${name} of ${who}`)) return out;
          }
        }
        for (const field of ['command', 'args'] as const) {
          const list = c.raw[field];
          if (!Array.isArray(list)) continue;
          for (let i = 0; i < list.length; i++) {
            const s = list[i];
            if (typeof s !== 'string') continue;
            // The executable (command[0]) is a program name, never a host: no bare Service names there.
            const q = scanString(s, v.namespace, !(field === 'command' && i === 0));
            if (q && add(`${field}[${i}] of ${who} mentions ${q}`)) return out;
          }
        }
        const envFrom = c.raw.envFrom;
        if (Array.isArray(envFrom)) {
          for (const e of envFrom) {
            if (isRecord(e) && isRecord(e.configMapRef) && fromConfigMap(e.configMapRef.name, undefined, `envFrom of ${who}`)) return out;
          }
        }
      }
      const volumes = v.spec.volumes;
      if (Array.isArray(volumes)) {
        for (const vol of volumes) {
          if (!isRecord(vol)) continue;
          const volName = typeof vol.name === 'string' ? vol.name : '?';
          const sources: unknown[] = [vol.configMap];
          if (isRecord(vol.projected) && Array.isArray(vol.projected.sources)) {
            for (const s of vol.projected.sources) if (isRecord(s)) sources.push(s.configMap);
          }
          for (const src of sources) {
            if (!isRecord(src)) continue;
            const keys = Array.isArray(src.items)
              ? src.items.flatMap((it) => (isRecord(it) && typeof it.key === 'string' ? [it.key] : []))
              : undefined;
            if (fromConfigMap(src.name, keys, `volume ${volName}`)) return out;
          }
        }
      }
      return out;
    };

    return {
      podView(v) {
        if (!v.hostNetwork || v.dnsPolicy !== 'ClusterFirst') return;
        // KDNS-5: without clusterDNS every pod falls back to the node's resolver; the fix would not help.
        if (cluster.clusterDNS.length === 0) return;
        const policy = v.dnsPolicyWritten ? 'dnsPolicy: ClusterFirst' : 'no dnsPolicy (ClusterFirst by default)';
        const path = v.dnsPolicyWritten ? v.at('dnsPolicy') : v.at('hostNetwork');
        const fix = 'dnsPolicy: ClusterFirstWithHostNet';
        const evidence = evidenceOf(v);
        if (evidence.length > 0) {
          const more = evidence.length > 1 ? ` (and ${evidence.length - 1} more)` : '';
          ctx.report({
            object: v.object, path, messageId: 'needsClusterDns', severity: 'warning', fix,
            data: { policy, resolver, evidence: evidence[0]!, more }, evidence,
          });
        } else if (ctx.options.infoFindings !== false) {
          ctx.report({ object: v.object, path, messageId: 'nodeResolver', severity: 'info', fix, data: { policy, resolver, example } });
        }
      },
    };
  },
});
