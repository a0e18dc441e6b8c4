import type { PodView } from '../model/pod-view.js';
import type { FieldPath } from '../model/types.js';
import { expandQuery, ndotsOf } from '../sim/dns/query.js';
import type { ResolvConf } from '../sim/dns/resolv-conf.js';
import { defineRule } from './define-rule.js';
import {
  forEachNameSource, inHostPosition, onCommentLine, resolvConfLine, serviceIndexOf, serviceRefOf, tokensOf, zoneOf,
  type ServiceIndex,
} from './dns-names.js';

/** Names the message spells out; the rest are counted. */
const NAMED = 3;
/** Names the evidence walks through. */
const MAX_EVIDENCE_NAMES = 10;

/** Last labels that are file types, not top-level domains (`entrypoint.sh`, `config.yaml`, `main.go`). */
const FILE_EXTENSIONS = new Set([
  'sh', 'bash', 'py', 'pl', 'rb', 'js', 'mjs', 'ts', 'go', 'rs', 'java', 'kt', 'class', 'jar', 'war', 'php', 'lua', 'c', 'cc', 'cpp', 'h', 'hpp',
  'conf', 'cfg', 'cnf', 'ini', 'toml', 'yaml', 'yml', 'json', 'xml', 'properties', 'env', 'txt', 'md', 'log', 'csv', 'tsv', 'html', 'htm', 'css',
  'tmpl', 'tpl', 'j2', 'template', 'in', 'pid', 'sock', 'lock', 'db', 'sqlite', 'sql', 'pem', 'crt', 'cert', 'key', 'csr', 'crl', 'der', 'jks',
  'p12', 'pfx', 'pub', 'gz', 'tgz', 'tar', 'zip', 'bz2', 'xz', 'zst', 'bin', 'so', 'dll', 'exe', 'img', 'iso', 'png', 'jpg', 'jpeg', 'gif', 'svg',
  'ico', 'service', 'socket', 'timer', 'rules', 'd', 'old', 'bak', 'tmp', 'swp', 'disabled', 'local', 'localdomain',
  'rs', 'cs', 'vb', 'fs', 'ml', 'hs', 'jl', 'el', 'ex', 'tf', 'pb', 'ps', 'sc', 'gs', 'ui', 'sq', 'js', 'qs', 'nc',
]);

/**
 * Top-level domains of three letters or more that names in manifests end with: the generic ones,
 * the common new ones, and the private ones of internal networks. Two-letter last labels count
 * as country codes unless they are file types.
 */
const TLDS = new Set([
  'com', 'net', 'org', 'edu', 'gov', 'mil', 'int', 'info', 'biz', 'name', 'pro', 'mobi', 'asia', 'arpa',
  'dev', 'app', 'cloud', 'tech', 'online', 'site', 'xyz', 'top', 'shop', 'store', 'blog', 'news', 'live', 'network', 'systems',
  'services', 'solutions', 'software', 'digital', 'email', 'link', 'host', 'website', 'space', 'zone', 'works', 'agency',
  'company', 'group', 'global', 'world', 'studio', 'media', 'team', 'tools', 'center', 'support', 'today', 'run', 'page',
  'google', 'amazon', 'aws', 'azure', 'microsoft', 'apple',
  'internal', 'intranet', 'corp', 'lan', 'home', 'private', 'example', 'test',
]);

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Keys whose values are names but not hosts a pod looks up: a trust domain, an API group, a lease name. */
const NOT_A_HOST_KEY = /(domain|domains|suffix|zone|realm|group|groups|resource_?name|lease|id|uid|kind|api_?version|namespace|label|annotation|class|audience)$/i;

/**
 * Whether a token looks like a name outside the cluster: lower-case labels, a dot, a last label
 * that is a top-level domain (not a file type), not an IP address, not under the cluster domain
 * or a `.svc` name, not a Service of the manifests (`svc.ns`), not an API group or label prefix
 * (`*.k8s.io`, `*.kubernetes.io`), and not already absolute (a trailing dot).
 */
export function isExternalName(token: string, domain: string, services: ServiceIndex): boolean {
  if (token.endsWith('.') || !token.includes('.') || token.length > 253) return false;
  const labels = token.split('.');
  if (!labels.every((l) => LABEL.test(l))) return false;
  const last = labels[labels.length - 1]!;
  if (!(last.length === 2 ? /^[a-z]{2}$/.test(last) && !FILE_EXTENSIONS.has(last) : TLDS.has(last))) return false;
  if (labels.indexOf('svc', 1) !== -1) return false;
  if (domain !== '' && (token === domain || token.endsWith(`.${domain}`))) return false;
  if (/(^|\.)(k8s\.io|kubernetes\.io)$/.test(token)) return false;
  return serviceRefOf(token, '', services, domain) === undefined;
}

/**
 * The external-looking names of a string, in order, each once. A name counts as the host of a
 * URL or as `host:port` anywhere; as a value on its own (`API=api.example.com`, `host:
 * db.example.com`), only when its key does not say it is something else (`trust_domain`,
 * `resourceName`). In a config file (a ConfigMap value) comment lines are skipped, and a value on
 * its own must end its line, so lists such as known_hosts files and prose do not count.
 */
export function externalNamesOf(text: string, domain: string, services: ServiceIndex, opts: { readonly configFile?: boolean; readonly key?: string } = {}): string[] {
  const out: string[] = [];
  let lineStart = 0;
  let lineEnd = -1;
  let comment = false;
  for (const t of tokensOf(text)) {
    if (t.index > lineEnd) {
      lineStart = text.lastIndexOf('\n', t.index) + 1;
      lineEnd = text.indexOf('\n', t.index);
      if (lineEnd === -1) lineEnd = text.length;
      comment = opts.configFile === true && onCommentLine(text, t.index);
    }
    if (comment || out.includes(t.token) || !isExternalName(t.token, domain, services) || !inHostPosition(text, t)) continue;
    const end = t.index + t.token.length;
    const strong = text.startsWith('://', t.index - 3) || text[t.index - 1] === '@' || (text[end] === ':' && /^\d/.test(text.slice(end + 1, end + 2)));
    if (!strong) {
      const before = text.slice(lineStart, t.index);
      const keyMatch = /([A-Za-z0-9_.-]+)["']?\s*[:=]\s*["']?$/.exec(before);
      const key = keyMatch ? keyMatch[1] : before.trim() === '' ? opts.key : undefined;
      if (key !== undefined && NOT_A_HOST_KEY.test(key)) continue;
      if (opts.configFile && !/^["'`]?[,;)\]}]*\s*(#.*)?$/.test(text.slice(end, lineEnd))) continue;
    }
    out.push(t.token);
  }
  return out;
}

/** The pod's resolv.conf with ndots replaced, as dnsConfig.options would replace it (KDNS-8). */
function withNdots(conf: ResolvConf, ndots: number): ResolvConf {
  return { ...conf, options: [...conf.options.filter((o) => !o.value.startsWith('ndots:')), { value: `ndots:${ndots}`, origin: 'dnsConfig' }] };
}

const quoted = (names: readonly string[]): string => {
  const q = names.map((n) => `"${n}"`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
};

/**
 * Names outside the cluster that a pod of the Cluster DNS type looks up with fewer dots than its
 * ndots (5 from the kubelet, KDNS-4): the resolver tries every search domain first, so each lookup
 * costs several NXDOMAIN round trips to cluster DNS before the real one (glibc and musl alike).
 */
export default defineRule<'amplified'>({
  id: 'ndots-query-amplification',
  meta: {
    severity: 'info',
    summary: 'Names outside the cluster that the pod looks up go through its whole search list first under ndots:5, multiplying the queries each lookup sends.',
    sources: [
      'KDNS-4', 'KDNS-8', 'KDNS-11',
      'glibc resolv/res_query.c#__res_context_search',
      'musl src/network/lookup_name.c#name_from_dns_search',
    ],
    peers: [{ tool: 'kyverno', id: 'other/dns-policy-and-dns-config', relation: 'related' }],
    messages: {
      amplified:
        'This pod looks up {{names}}{{more}} outside the cluster, and its resolv.conf has ndots:{{ndots}} with {{searchCount}} search domains, so a name with fewer than {{ndots}} dots is tried under every search domain before it is asked as written: {{first}} (in {{where}}) is asked as {{queries}}; that is {{count}} names, each as A and AAAA, {{packets}} queries where 2 would do. Write the name with a trailing dot ("{{absolute}}") so it is asked only as written, or lower ndots for this pod with dnsConfig.options: [{name: ndots, value: "{{suggested}}"}].',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const { model, cluster } = ctx;
    const domain = zoneOf(cluster.clusterDomain);
    const services = serviceIndexOf(model);
    // ConfigMap values are read by many pods: scan each value once.
    const configCache = new Map<string, string[]>();

    return {
      podView(v: PodView) {
        const dns = ctx.sims.dns(v);
        // Host-type pods have the node's ndots (usually 1); None pods chose their own.
        if (!dns || dns.type !== 'Cluster') return;
        const conf = dns.conf;
        const ndots = ndotsOf(conf);
        const found = new Map<string, { where: string; path: FieldPath; queries: readonly string[] }>();
        forEachNameSource(v, model, (s) => {
          if (s.program) return;
          let names: string[];
          if (s.configMap) {
            names = configCache.get(s.text) ?? externalNamesOf(s.text, domain, services, { configFile: true });
            configCache.set(s.text, names);
          } else {
            names = externalNamesOf(s.text, domain, services, { key: s.key });
          }
          for (const name of names) {
            if (found.has(name)) continue;
            const queries = expandQuery(name, conf).queries;
            // Amplified when the name itself is not the first query (fewer dots than ndots).
            if (queries[0] !== name) found.set(name, { where: s.where, path: s.path, queries });
          }
        });
        if (found.size === 0) return;

        const names = [...found.keys()];
        const [firstName, first] = [...found][0]!;
        const minDots = Math.min(...names.map((n) => n.split('.').length - 1));
        const suggested = Math.max(1, Math.min(2, minDots));
        const lowered = withNdots(conf, suggested);
        const more = names.length > NAMED ? ` and ${names.length - NAMED} more` : '';
        ctx.report({
          object: v.object, path: first.path, messageId: 'amplified',
          data: {
            names: more === '' ? quoted(names) : names.slice(0, NAMED).map((n) => `"${n}"`).join(', '), more, ndots, searchCount: conf.searches.length,
            first: `"${firstName}"`, where: first.where, queries: first.queries.join(', '),
            count: first.queries.length, packets: first.queries.length * 2,
            absolute: `${firstName}.`, suggested,
          },
          fix: `dnsConfig: {options: [{name: ndots, value: "${suggested}"}]}`,
          evidence: [
            `resolv.conf the kubelet writes (type ${dns.type}, KDNS-4): ${resolvConfLine(conf)}`,
            ...[...found].slice(0, MAX_EVIDENCE_NAMES).map(([name, f]) => `${f.where}: "${name}" is asked as ${f.queries.join(', ')} (glibc; musl sends the same)`),
            ...names.slice(0, MAX_EVIDENCE_NAMES).map((n) => `with ndots:${suggested}: "${n}" is asked as ${expandQuery(n, lowered).queries.join(', ')}`),
          ],
        });
      },
    };
  },
});
