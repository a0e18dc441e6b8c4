import { versionAtLeast } from '../model/cluster.js';
import { isRecord } from '../model/pod-view.js';
import { defineRule } from './define-rule.js';

/** VAL-16 limits on dnsConfig as written (MaxDNSNameservers, MaxDNSSearchPaths, MaxDNSSearchListChars). */
export const MAX_NAMESERVERS = 3;
const MAX_SEARCH_ENTRY = 253;

/** Search limits for a target version: ExpandedDNSConfig is on by default from 1.26 (VAL-16). */
export function searchLimits(version: string): { readonly paths: number; readonly chars: number } {
  return versionAtLeast(version, '1.26') ? { paths: 32, chars: 2048 } : { paths: 6, chars: 256 };
}

export interface ParsedIP {
  /** Some octet or group was written with leading zeros (`010.0.0.1`): accepted by the old sloppy parser only. */
  readonly leadingZeros: boolean;
  /** `::ffff:a.b.c.d`, in any spelling (netip's Is4In6). */
  readonly mapped: boolean;
  /** The standard spelling: dotted decimal, or RFC 5952 IPv6; a mapped address as its IPv4 form. */
  readonly canonical: string;
}

function parseIPv4Sloppy(s: string): { bytes: number[]; leadingZeros: boolean } | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  let leadingZeros = false;
  for (const p of parts) {
    if (!/^[0-9]{1,10}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    if (p.length > 1 && p.startsWith('0')) leadingZeros = true;
    bytes.push(n);
  }
  return { bytes, leadingZeros };
}

function formatIPv6(words: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: readonly number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart === -1) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/**
 * An IP address as the API server's legacy-field parser reads it (k8s.io/utils ParseIPSloppy: IPv4
 * octets may carry leading zeros, no zones, no brackets), with what strict validation would object
 * to (apimachinery `IsValidIPForLegacyField`). Undefined when it is not an IP address at all.
 */
export function parseIP(s: string): ParsedIP | undefined {
  if (s.length > 100) return undefined;
  if (!s.includes(':')) {
    const v4 = parseIPv4Sloppy(s);
    return v4 && { leadingZeros: v4.leadingZeros, mapped: false, canonical: v4.bytes.join('.') };
  }
  if (s.includes('%') || s.includes(':::')) return undefined;
  const ellipsis = s.indexOf('::');
  if (ellipsis !== -1 && s.indexOf('::', ellipsis + 1) !== -1) return undefined;
  const head = ellipsis === -1 ? s : s.slice(0, ellipsis);
  const tail = ellipsis === -1 ? '' : s.slice(ellipsis + 2);
  let leadingZeros = false;
  const side = (part: string, v4Allowed: boolean): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && v4Allowed && g.includes('.')) {
        const v4 = parseIPv4Sloppy(g);
        if (!v4) return undefined;
        if (v4.leadingZeros) leadingZeros = true;
        words.push((v4.bytes[0]! << 8) | v4.bytes[1]!, (v4.bytes[2]! << 8) | v4.bytes[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,8}$/.test(g)) return undefined;
      const n = parseInt(g, 16);
      if (n > 0xffff) return undefined;
      if (g.length > 4) leadingZeros = true;
      words.push(n);
    }
    return words;
  };
  const before = side(head, ellipsis === -1);
  const after = side(tail, true);
  if (!before || !after) return undefined;
  let words: number[];
  if (ellipsis === -1) {
    if (before.length !== 8) return undefined;
    words = before;
  } else {
    const missing = 8 - before.length - after.length;
    if (missing < 1) return undefined;
    words = [...before, ...new Array<number>(missing).fill(0), ...after];
  }
  const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  const canonical = mapped
    ? [words[6]! >> 8, words[6]! & 0xff, words[7]! >> 8, words[7]! & 0xff].join('.')
    : formatIPv6(words);
  return { leadingZeros, mapped, canonical };
}

const LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const LABEL_UNDERSCORE = '_?[a-z0-9](?:[-_a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const SUBDOMAIN_UNDERSCORE = new RegExp(`^${LABEL_UNDERSCORE}(?:\\.${LABEL_UNDERSCORE})*$`);

/** Length in bytes as Go counts it (`len(string)`), which is what the limits compare. */
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** Why a search entry is rejected and what to write instead; undefined when it is accepted. */
export function searchProblem(value: unknown, relaxed: boolean): { problem: string; fix: string } | undefined {
  if (typeof value !== 'string') return { problem: 'is not a string', fix: 'Write the domain as a string, e.g. "example.com"' };
  if (relaxed && value === '.') return undefined;
  const trimmed = value.endsWith('.') ? value.slice(0, -1) : value;
  if (value === '.') return { problem: 'is a lone "."', fix: 'Remove it (Kubernetes accepts a lone "." only from 1.33, RelaxedDNSSearchValidation)' };
  if (trimmed === '') return { problem: 'is empty', fix: 'Remove the empty entry' };
  const length = utf8Length(trimmed);
  if (length > MAX_SEARCH_ENTRY) return { problem: `is ${length} characters long (at most ${MAX_SEARCH_ENTRY})`, fix: 'Shorten or remove it' };
  const re = relaxed ? SUBDOMAIN_UNDERSCORE : SUBDOMAIN;
  if (re.test(trimmed)) return undefined;
  const lower = trimmed.toLowerCase();
  if (re.test(lower)) return { problem: 'has upper-case letters', fix: `Write it in lower case: "${lower}"` };
  if (!relaxed && SUBDOMAIN_UNDERSCORE.test(lower)) {
    return { problem: 'has an underscore', fix: 'Remove the underscore; Kubernetes accepts underscores in search domains only from 1.33 (RelaxedDNSSearchValidation)' };
  }
  return {
    problem: 'is not a DNS-1123 subdomain',
    fix: relaxed
      ? 'Use only lower-case letters, digits, \'-\', \'_\' and \'.\', each label starting and ending with a letter or digit (a leading \'_\' is allowed)'
      : 'Use only lower-case letters, digits, \'-\' and \'.\', each label starting and ending with a letter or digit',
  };
}

/** A JSON rendering of a user value, cut short for messages. */
function show(v: unknown): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function optionSuggestion(v: unknown): string {
  if (typeof v === 'string' && /^[A-Za-z0-9_-]+(:\S+)?$/.test(v)) {
    const [name, value] = v.split(':', 2) as [string, string | undefined];
    return value === undefined ? `{name: ${name}}` : `{name: ${name}, value: "${value}"}`;
  }
  return '{name: ndots, value: "2"}';
}

export default defineRule({
  id: 'dns-config-limits',
  meta: {
    severity: 'error',
    summary: 'dnsConfig must stay within the API server\'s limits: at most 3 nameserver IPs, bounded search domains that are DNS names, and options with names.',
    sources: ['VAL-16', 'KDNS-9', 'kubernetes/kubernetes pkg/apis/core/validation/validation.go#validatePodDNSConfig', 'kubernetes/apimachinery pkg/util/validation/ip.go#IsValidIPForLegacyField', 'kubernetes/enhancements keps/sig-network/4427-relaxed-dns-search-validation', 'kubernetes/enhancements keps/sig-network/4858-ip-cidr-validation'],
    peers: [{ tool: 'kubeconform', id: 'schema types', relation: 'related' }],
    messages: {
      dnsConfigNotObject:
        'dnsConfig is {{value}}, but it must be an object with nameservers, searches and options, so the API server rejects this {{kind}}. Write it as a mapping, e.g. dnsConfig: {nameservers: [1.1.1.1]}.',
      notAList:
        'dnsConfig.{{field}} is {{value}}, but it must be a list, so the API server rejects this {{kind}}. Write it as a YAML list, e.g. {{field}}: [{{example}}].',
      tooManyNameservers:
        'dnsConfig.nameservers lists {{count}} entries but at most 3 are allowed, so the API server rejects this {{kind}}. Keep at most 3; this limit applies to dnsConfig as written, and the kubelet separately truncates the merged resolv.conf (KDNS-9).',
      nameserverInvalid:
        'dnsConfig nameserver {{value}} is not an IP address, so the API server rejects this {{kind}}: nameservers must be IPv4 or IPv6 addresses, not host names. Write the resolver\'s IP address instead.',
      nameserverNonStandard:
        'dnsConfig nameserver {{value}} {{problem}}; Kubernetes {{version}} rejects it (StrictIPCIDRValidation, on by default from 1.36), so the API server rejects this {{kind}}. Write it as "{{canonical}}".',
      nameserverNonStandardWarning:
        'dnsConfig nameserver {{value}} {{problem}}; Kubernetes {{version}} accepts it with a warning, but 1.36 and later reject it (StrictIPCIDRValidation). Write it as "{{canonical}}".',
      tooManySearches:
        'dnsConfig.searches lists {{count}} domains but Kubernetes {{version}} allows at most {{max}}, so the API server rejects this {{kind}}. Remove entries; this limit applies to dnsConfig as written, and the kubelet separately truncates the merged search list (KDNS-9).',
      searchesTooLong:
        'dnsConfig.searches is {{length}} characters long when joined by single spaces, but Kubernetes {{version}} allows at most {{max}}, so the API server rejects this {{kind}}. Shorten or remove entries; this limit applies to dnsConfig as written, and the kubelet separately truncates the merged search line (KDNS-9).',
      invalidSearch:
        'dnsConfig search domain {{value}} {{problem}}, so the API server of Kubernetes {{version}} rejects this {{kind}}: each entry, less one trailing dot, must be a lower-case DNS-1123 subdomain of at most 253 characters. {{fix}}.',
      optionNotObject:
        'dnsConfig.options[{{index}}] is {{value}}, but each option must be an object with a name and an optional value, so the API server rejects this {{kind}}. Write it as {{suggestion}}.',
      optionWithoutName:
        'dnsConfig.options[{{index}}] {{problem}}, so the API server rejects this {{kind}}: every option needs a non-empty name, such as ndots or edns0. Add the name, or remove the entry.',
      optionValueNotString:
        'dnsConfig.options[{{index}}].value is {{value}}, not a string, so the API server rejects this {{kind}} (the field is a string). {{fix}}.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const version = ctx.cluster.kubernetesVersion;
    const limits = searchLimits(version);
    const relaxed = versionAtLeast(version, '1.33');
    const strictIP = versionAtLeast(version, '1.36');
    return {
      podView(v) {
        const dnsConfig = v.spec.dnsConfig;
        if (dnsConfig === undefined || dnsConfig === null) return;
        const base = { kind: v.kind };
        if (!isRecord(dnsConfig)) {
          ctx.report({ object: v.object, path: v.at('dnsConfig'), messageId: 'dnsConfigNotObject', data: { ...base, value: show(dnsConfig) } });
          return;
        }
        const list = (field: 'nameservers' | 'searches' | 'options', example: (value: unknown) => string): unknown[] => {
          const value = dnsConfig[field];
          if (value === undefined || value === null) return [];
          if (Array.isArray(value)) return value;
          ctx.report({ object: v.object, path: v.at('dnsConfig', field), messageId: 'notAList', data: { ...base, field, value: show(value), example: example(value) } });
          return [];
        };

        // Nameservers: count, then each entry.
        const nameservers = list('nameservers', (x) => (typeof x === 'string' && parseIP(x) ? x : '1.1.1.1'));
        if (nameservers.length > MAX_NAMESERVERS) {
          ctx.report({
            object: v.object, path: v.at('dnsConfig', 'nameservers', MAX_NAMESERVERS), messageId: 'tooManyNameservers',
            data: { ...base, count: nameservers.length },
          });
        }
        nameservers.forEach((ns, i) => {
          const path = v.at('dnsConfig', 'nameservers', i);
          const ip = typeof ns === 'string' ? parseIP(ns) : undefined;
          if (!ip) {
            ctx.report({ object: v.object, path, messageId: 'nameserverInvalid', data: { ...base, value: show(ns) } });
            return;
          }
          if (!ip.leadingZeros && !ip.mapped) return;
          const problem = ip.mapped
            ? 'is an IPv4-mapped IPv6 address, which some software treats as IPv4 and some as IPv6'
            : (ns as string).includes(':')
              ? 'has leading zeros, which strict IP parsing refuses as ambiguous'
              : 'has a leading zero in an IPv4 octet, which libc resolvers read as octal (010 is 8)';
          const data = { ...base, value: show(ns), problem, version, canonical: ip.canonical };
          if (strictIP) ctx.report({ object: v.object, path, messageId: 'nameserverNonStandard', data, fix: ip.canonical });
          else ctx.report({ object: v.object, path, messageId: 'nameserverNonStandardWarning', data, severity: 'warning', fix: ip.canonical });
        });

        // Searches: count, joined length, then each entry.
        const searches = list('searches', (x) => (typeof x === 'string' ? x.split(/[\s,]+/).filter(Boolean).slice(0, 3).join(', ') || 'example.com' : 'example.com'));
        if (searches.length > limits.paths) {
          ctx.report({
            object: v.object, path: v.at('dnsConfig', 'searches', limits.paths), messageId: 'tooManySearches',
            data: { ...base, count: searches.length, version, max: limits.paths },
          });
        }
        const strings = searches.filter((s): s is string => typeof s === 'string');
        const joined = strings.reduce((n, s) => n + utf8Length(s), 0) + Math.max(0, strings.length - 1);
        if (joined > limits.chars) {
          ctx.report({
            object: v.object, path: v.at('dnsConfig', 'searches'), messageId: 'searchesTooLong',
            data: { ...base, length: joined, version, max: limits.chars },
          });
        }
        searches.forEach((s, i) => {
          const p = searchProblem(s, relaxed);
          if (!p) return;
          ctx.report({
            object: v.object, path: v.at('dnsConfig', 'searches', i), messageId: 'invalidSearch',
            data: { ...base, value: show(s), problem: p.problem, fix: p.fix, version },
          });
        });

        // Options: each needs a name; values are strings.
        const options = list('options', () => '{name: ndots, value: "2"}');
        options.forEach((o, i) => {
          const path = v.at('dnsConfig', 'options', i);
          if (!isRecord(o)) {
            ctx.report({ object: v.object, path, messageId: 'optionNotObject', data: { ...base, index: i, value: show(o), suggestion: optionSuggestion(o) } });
            return;
          }
          const name = o.name;
          if (typeof name !== 'string' || name === '') {
            const problem = name === undefined || name === null ? 'has no name' : name === '' ? 'has an empty name' : `has name ${show(name)}, which is not a string`;
            const at = name === undefined ? path : [...path, 'name'];
            ctx.report({ object: v.object, path: at, messageId: 'optionWithoutName', data: { ...base, index: i, problem } });
          }
          const value = o.value;
          if (value !== undefined && value !== null && typeof value !== 'string') {
            const fix = typeof value === 'number' || typeof value === 'boolean' ? `Quote it: value: "${String(value)}"` : 'Write it as a string';
            ctx.report({ object: v.object, path: [...path, 'value'], messageId: 'optionValueNotString', data: { ...base, index: i, value: show(value), fix } });
          }
        });
      },
    };
  },
});
