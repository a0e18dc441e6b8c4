/**
 * The DNS names a pod uses (env, args, command, and the ConfigMaps it reads), found the same way by
 * host-network-cluster-dns, ndots-query-amplification and unresolvable-service-name, and the
 * helpers that describe a pod's resolver. Not a rule: test/rules-meta.test.ts lists it as such.
 */
import type { Model } from '../model/model.js';
import { isRecord, type PodView } from '../model/pod-view.js';
import type { FieldPath, KubeObject } from '../model/types.js';
import { podDns, renderResolvConf, type KubeletDns, type PodDns, type ResolvConf } from '../sim/dns/resolv-conf.js';

/** Strings longer than this are not scanned (ConfigMap values such as dashboards; pathological env). */
export const MAX_SCANNED_STRING = 1024 * 1024;

/** Host-name-like runs of a string: `http://api.default.svc:8080/x` → `http`, `api.default.svc`, `8080`, `x`. */
const TOKEN = /[A-Za-z0-9_.-]+/g;

/** One host-name-like run of a string and where it starts. */
export interface NameToken {
  readonly token: string;
  readonly index: number;
}

/** The host-name-like runs of a string, in order; nothing for strings over MAX_SCANNED_STRING. */
export function* tokensOf(text: string): Generator<NameToken> {
  if (text.length > MAX_SCANNED_STRING) return;
  for (const m of text.matchAll(TOKEN)) yield { token: m[0], index: m.index };
}

/** One string the containers of a pod read, and where the pod spec holds or references it. */
export interface NameSource {
  /** `env API_URL of container app`, `args[1] of container app`, `ConfigMap cfg key k (envFrom of container app)`. */
  readonly where: string;
  /** The field of the pod that holds the string or references its ConfigMap, from the object root. */
  readonly path: FieldPath;
  readonly text: string;
  /** `command[0]`: a program name, never a host. */
  readonly program: boolean;
  /** The name the container knows the string by: the env variable, or the ConfigMap key of envFrom and volumes. */
  readonly key?: string;
  /** The ConfigMap the string comes from, when it is not in the pod spec, and its key there. */
  readonly configMap?: KubeObject;
  readonly configMapKey?: string;
}

/**
 * Every string a pod's containers and init containers read, in order: per container its env values,
 * the ConfigMap keys its env reads (configMapKeyRef), command and args, the ConfigMaps of envFrom;
 * then the ConfigMaps mounted as volumes (plain or projected, only the listed items when there are
 * any). ConfigMaps are looked up in the pod's namespace among the loaded objects. `visit` returns
 * true to stop. Strings over MAX_SCANNED_STRING are skipped.
 */
export function forEachNameSource(v: PodView, model: Model, visit: (s: NameSource) => boolean | void): void {
  const emit = (s: NameSource): boolean => s.text.length <= MAX_SCANNED_STRING && visit(s) === true;
  const fromConfigMap = (name: unknown, keys: readonly string[] | undefined, via: string, path: FieldPath, envName?: string): boolean => {
    if (typeof name !== 'string' || name === '') return false;
    const cm = model.find('ConfigMap', v.namespace, name);
    const data = cm?.raw.data;
    if (!cm || !isRecord(data)) return false;
    for (const [key, text] of Object.entries(data)) {
      if (typeof text !== 'string' || (keys && !keys.includes(key))) continue;
      if (emit({ where: `ConfigMap ${name} key ${key} (${via})`, path, text, program: false, key: envName ?? key, configMap: cm, configMapKey: key })) return true;
    }
    return false;
  };

  for (const c of v.containers) {
    if (c.kind === 'ephemeralContainer') continue;
    const who = `container ${c.name}`;
    const env = c.raw.env;
    if (Array.isArray(env)) {
      for (let i = 0; i < env.length; i++) {
        const e: unknown = env[i];
        if (!isRecord(e)) continue;
        const name = typeof e.name === 'string' ? e.name : '?';
        if (typeof e.value === 'string' && emit({ where: `env ${name} of ${who}`, path: [...c.path, 'env', i, 'value'], text: e.value, program: false, key: name })) return;
        const ref = isRecord(e.valueFrom) && isRecord(e.valueFrom.configMapKeyRef) ? e.valueFrom.configMapKeyRef : undefined;
        if (ref && typeof ref.key === 'string' && fromConfigMap(ref.name, [ref.key], `env ${name} of ${who}`, [...c.path, 'env', i, 'valueFrom', 'configMapKeyRef'], name)) return;
      }
    }
    for (const field of ['command', 'args'] as const) {
      const list = c.raw[field];
      if (!Array.isArray(list)) continue;
      for (let i = 0; i < list.length; i++) {
        const s: unknown = list[i];
        if (typeof s !== 'string') continue;
        if (emit({ where: `${field}[${i}] of ${who}`, path: [...c.path, field, i], text: s, program: field === 'command' && i === 0 })) return;
      }
    }
    const envFrom = c.raw.envFrom;
    if (Array.isArray(envFrom)) {
      for (let i = 0; i < envFrom.length; i++) {
        const e: unknown = envFrom[i];
        if (isRecord(e) && isRecord(e.configMapRef) && fromConfigMap(e.configMapRef.name, undefined, `envFrom of ${who}`, [...c.path, 'envFrom', i])) return;
      }
    }
  }
  const volumes = v.spec.volumes;
  if (!Array.isArray(volumes)) return;
  for (let i = 0; i < volumes.length; i++) {
    const vol: unknown = volumes[i];
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
      if (fromConfigMap(src.name, keys, `volume ${volName}`, v.at('volumes', i))) return;
    }
  }
}

const HOST_BEFORE = new Set(['', ' ', '\t', '\n', '\r', '=', '"', "'", ',', ';', '(', '[', '{', '`']);
const HOST_AFTER = new Set(['', ' ', '\t', '\n', '\r', '"', "'", ',', ';', ')', ']', '}', '`']);

/**
 * Whether a token stands where a host name stands: the host of a URL (`scheme://host`,
 * `scheme://user@host`), `host:port`, or a value on its own (the whole string, after `=`, between
 * quotes or spaces). Not a path segment (`/etc/app.conf`), a key (`a.b=c`, `a.b: c`), an image or a
 * label key (`quay.io/x`, `app.kubernetes.io/name`), an interpolation (`${a.b}`) or an address
 * (`user@example.com`).
 */
export function inHostPosition(text: string, t: NameToken): boolean {
  const before = t.index === 0 ? '' : text[t.index - 1]!;
  const end = t.index + t.token.length;
  const after = end >= text.length ? '' : text[end]!;
  if (text.startsWith('://', t.index - 3)) {
    // scheme://user:password@host: the first token is the user, not the host.
    const authority = /^[^/?#\s"']*/.exec(text.slice(end))![0];
    return !authority.includes('@');
  }
  if (before === '@') {
    // user@host is a URL's host only inside a URL word.
    const wordStart = Math.max(text.lastIndexOf(' ', t.index), text.lastIndexOf('\n', t.index), -1) + 1;
    return text.slice(wordStart, t.index).includes('://');
  }
  if (after === ':' && /^\d/.test(text.slice(end + 1, end + 2))) return !(before === '/' || before === '$' || before === '{');
  if (!HOST_BEFORE.has(before) || !HOST_AFTER.has(after) || (before === '{' && text[t.index - 2] === '$')) return false;
  if (before !== '=') return true;
  // After `=` only as the value of a flag or a variable (`--server=x`, `HOST=x`), not of a label (`a.b/c=x`).
  const key = /[^\s"',;=]*$/.exec(text.slice(0, t.index - 1))![0];
  return /^(-{1,2}[A-Za-z0-9][\w.-]*|[A-Za-z_][\w.]*)$/.test(key);
}

/** Whether the position lies on a whole-line comment of a config file (`#`, `;`, `//`). */
export function onCommentLine(text: string, index: number): boolean {
  const start = text.lastIndexOf('\n', index - 1) + 1;
  return /^\s*(#|;|\/\/)/.test(text.slice(start, Math.min(index, start + 200)));
}

/** Services of the loaded manifests: namespace → lower-case names. */
export type ServiceIndex = ReadonlyMap<string, ReadonlySet<string>>;

export function serviceIndexOf(model: Model): ServiceIndex {
  const services = new Map<string, Set<string>>();
  for (const o of model.objects) {
    if (o.kind !== 'Service' || typeof o.name !== 'string' || o.name === '') continue;
    const ns = (o.namespace ?? 'default').toLowerCase();
    let set = services.get(ns);
    if (!set) services.set(ns, (set = new Set()));
    set.add(o.name.toLowerCase());
  }
  return services;
}

/** A name that refers to a Service of the manifests. */
export interface ServiceRef {
  readonly name: string;
  readonly namespace: string;
  /** `svc` (a short name), `svc.ns`, `svc.ns.svc`, or the full `svc.ns.svc.<domain>`. */
  readonly form: 'short' | 'svc.ns' | 'svc.ns.svc' | 'full';
  /** `<svc>.<ns>.svc.<domain>`: the name of its record (CDNS-2); `<svc>.<ns>.svc` without a domain. */
  readonly fqdn: string;
}

/** The cluster domain as the records use it: lower case, no leading or trailing dots. */
export function zoneOf(clusterDomain: string): string {
  return clusterDomain.toLowerCase().replace(/^\.+|\.+$/g, '');
}

/**
 * The Service a token names, if any. A short name is a Service of the pod's own namespace, else
 * (with `otherNamespaces`) of the first other namespace that has one by that name.
 */
export function serviceRefOf(token: string, podNamespace: string, services: ServiceIndex, domain: string, otherNamespaces = false): ServiceRef | undefined {
  const t = token.toLowerCase().replace(/\.+$/, '');
  if (t === '') return undefined;
  const labels = t.split('.');
  const ref = (name: string, namespace: string, form: ServiceRef['form']): ServiceRef => ({
    name, namespace, form, fqdn: domain === '' ? `${name}.${namespace}.svc` : `${name}.${namespace}.svc.${domain}`,
  });
  const has = (ns: string, name: string): boolean => services.get(ns)?.has(name) === true;
  if (labels.length === 1) {
    const ns = podNamespace.toLowerCase();
    if (has(ns, t)) return ref(t, ns, 'short');
    if (!otherNamespaces) return undefined;
    for (const [other, names] of services) if (names.has(t)) return ref(t, other, 'short');
    return undefined;
  }
  const [name, ns] = [labels[0]!, labels[1]!];
  if (!has(ns, name)) return undefined;
  if (labels.length === 2) return ref(name, ns, 'svc.ns');
  if (labels[2] !== 'svc') return undefined;
  if (labels.length === 3) return ref(name, ns, 'svc.ns.svc');
  return domain !== '' && labels.slice(3).join('.') === domain ? ref(name, ns, 'full') : undefined;
}

/** A resolv.conf on one line: `search a b; nameserver 10.0.0.2; options ndots:5`. */
export function resolvConfLine(conf: ResolvConf): string {
  const text = renderResolvConf(conf).trim();
  return text === '' ? '(empty)' : text.split('\n').join('; ');
}

/** The nameservers a Host-type pod gets (KDNS-6), said in a few words for a message. */
export function resolverOf(conf: ResolvConf, resolvConfPath: string): string {
  const servers = conf.nameservers;
  if (servers.length === 0) return `no nameserver, since the node's ${resolvConfPath} lists none`;
  const values = servers.map((e) => e.value).join(', ');
  if (servers.every((e) => e.origin === 'kubelet-default')) return `${values}, since the kubelet's resolvConf is empty`;
  if (servers.every((e) => e.origin === 'node')) return `nameserver ${values} from the node's ${resolvConfPath}`;
  return `nameserver ${values}`;
}

/**
 * What host-network-cluster-dns reports: a hostNetwork pod whose ClusterFirst policy gets the Host
 * type (KDNS-3) where ClusterFirstWithHostNet would give it cluster DNS, both as the DNS
 * simulation builds them. Other DNS rules skip these pods so that one problem gives one finding.
 */
export function isSilentHostFallback(v: PodView, dns: PodDns | undefined, kubelet: KubeletDns): boolean {
  if (!dns || !v.hostNetwork || v.dnsPolicy !== 'ClusterFirst' || dns.type !== 'Host') return false;
  // KDNS-5: without clusterDNS the fix falls back to the node's resolver too, and changes nothing.
  const fixed = podDns({ namespace: v.namespace, dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true, dnsConfig: v.spec.dnsConfig }, kubelet);
  return fixed?.type === 'Cluster';
}
