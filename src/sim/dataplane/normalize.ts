/**
 * Rewrite a rule's arguments into the form iptables-save prints after the kernel has stored them,
 * so a rule written the way kube-proxy or portmap write it (`-m tcp -p tcp -d 10.96.0.1 --dport
 * 443`) is kept as a real node shows it (`-d 10.96.0.1/32 -p tcp -m tcp --dport 443`). The
 * kernel-load test proves this against iptables-restore + iptables-save.
 *
 * What iptables-save does, and so what this does:
 * - `-s`, `-d`, `-i`, `-o`, `-p` (each with a leading `!`) come first, in that order;
 * - addresses get a prefix length (`/32`, `/128`) and lose host bits (`10.244.1.5/24` → `10.244.1.0/24`);
 * - a port option without its protocol match gets `-m tcp` / `-m udp` / `-m sctp` where it appears;
 * - `MARK --or-mark m` is stored as `--set-xmark m/m`, `--xor-mark m` as `--set-xmark m/0x0`,
 *   `--set-mark m` as `--set-xmark m/0xffffffff`;
 * - `REJECT` without `--reject-with` gets the default `icmp-port-unreachable` (`icmp6-…` for IPv6);
 * - `recent` options in the order libxt_recent prints them, with `--mask` and `--rsource` made explicit;
 * - `mark --mark` values in hex, without an all-ones mask;
 * - multiport's `--destination-ports` / `--source-ports` are printed as `--dports` / `--sports`;
 * - `statistic --probability p` is stored as a 31-bit fraction and printed with 11 decimals.
 */
import type { Family } from './ruleset.js';
import { formatAddress, parseAddress } from './addresses.js';

const HOISTED = ['-s', '-d', '-i', '-o', '-p'] as const;
const LONG_FORMS: Readonly<Record<string, string>> = {
  '--source': '-s', '--src': '-s', '--destination': '-d', '--dst': '-d',
  '--in-interface': '-i', '--out-interface': '-o', '--protocol': '-p',
};
const PORT_OPTIONS = new Set(['--dport', '--sport', '--destination-port', '--source-port', '--tcp-flags', '--syn', '--tcp-option']);
const PROTOCOL_MATCHES = new Set(['tcp', 'udp', 'sctp']);

/** `10.96.0.1` → `10.96.0.1/32`; `10.244.1.5/24` → `10.244.1.0/24`; other text unchanged. */
const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

export function canonicalAddress(text: string, family: Family): string {
  // Fast path for the common IPv4 case (185k rules in the bench): plain number arithmetic.
  const m = family === 'ipv4' ? V4.exec(text) : null;
  if (m) {
    const octets = [m[1]!, m[2]!, m[3]!, m[4]!];
    const bits = m[5] === undefined ? 32 : Number(m[5]);
    if (bits <= 32 && octets.every((o) => Number(o) <= 255 && (o.length === 1 || o[0] !== '0'))) {
      if (bits === 32) return m[5] === undefined ? `${text}/32` : text;
      const n = octets.reduce((acc, o) => acc * 256 + Number(o), 0);
      const size = 2 ** (32 - bits);
      const base = n - (n % size);
      return `${Math.floor(base / 16777216)}.${Math.floor(base / 65536) % 256}.${Math.floor(base / 256) % 256}.${base % 256}/${bits}`;
    }
  }
  const a = parseAddress(text.includes('/') ? text : `${text}/${family === 'ipv6' || text.includes(':') ? 128 : 32}`);
  return a ? formatAddress(a) : text;
}

/** `statistic --probability` as the kernel stores it (a 31-bit fraction) and iptables-save prints it (11 decimals). */
export function canonicalProbability(text: string): string {
  let out = probabilityCache.get(text);
  if (out === undefined) {
    const p = Number(text);
    out = !Number.isFinite(p) || p < 0 || p > 1 ? text : (Math.round(p * 0x80000000) / 0x80000000).toFixed(11);
    // A few distinct values in practice (1/n for small n); bounded so arbitrary input cannot grow it.
    if (probabilityCache.size < 4096) probabilityCache.set(text, out);
  }
  return out;
}
const probabilityCache = new Map<string, string>();

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** `--mark v[/m]` as libxt_mark prints it: hex, and no mask when it is all ones. */
function canonicalMark(text: string): string {
  const [v, m] = text.split('/');
  const value = Number(v);
  const mask = m === undefined ? 0xffffffff : Number(m);
  if (!Number.isFinite(value) || !Number.isFinite(mask)) return text;
  return mask >>> 0 === 0xffffffff ? hex(value) : `${hex(value)}/${hex(mask)}`;
}

const RECENT_ACTIONS = ['--set', '--rcheck', '--update', '--remove'];

/**
 * The options of one `-m recent` match in libxt_recent's print order, with its defaults made
 * explicit: `--mask 255.255.255.255` (IPv4) and `--rsource`.
 */
function canonicalRecent(options: readonly string[], family: Family): string[] {
  const has = (o: string): boolean => options.includes(o);
  const valueOf = (o: string): string | undefined => {
    const i = options.indexOf(o);
    return i >= 0 ? options[i + 1] : undefined;
  };
  const out: string[] = [];
  if (options[0] === '!') out.push('!');
  for (const a of RECENT_ACTIONS) if (has(a)) out.push(a);
  const seconds = valueOf('--seconds');
  if (seconds !== undefined) out.push('--seconds', seconds);
  if (has('--reap')) out.push('--reap');
  const hits = valueOf('--hitcount');
  if (hits !== undefined) out.push('--hitcount', hits);
  if (has('--rttl')) out.push('--rttl');
  out.push('--name', valueOf('--name') ?? 'DEFAULT');
  out.push('--mask', valueOf('--mask') ?? (family === 'ipv6' ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' : '255.255.255.255'));
  out.push(has('--rdest') ? '--rdest' : '--rsource');
  return out;
}

/**
 * Whether `text` is an IPv4 prefix exactly as canonicalAddress prints it (`a.b.c.d/n`, no leading
 * zeros, no host bits), parsed without allocating. False for anything else, IPv6 included.
 */
function isCanonicalIPv4Prefix(text: string): boolean {
  let n = 0;
  let i = 0;
  for (let octet = 0; octet < 4; octet++) {
    const start = i;
    let v = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && text.charCodeAt(start) === 48)) return false;
    n = n * 256 + v;
    if (i >= text.length || text.charCodeAt(i) !== (octet < 3 ? 46 : 47)) return false;
    i++;
  }
  const start = i;
  let bits = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    bits = bits * 10 + (c - 48);
    i++;
  }
  const len = i - start;
  if (len === 0 || len > 2 || bits > 32 || (len > 1 && text.charCodeAt(start) === 48)) return false;
  return n % 2 ** (32 - bits) === 0;
}

const HOIST_INDEX: Readonly<Record<string, number>> = { '-s': 0, '-d': 1, '-i': 2, '-o': 3, '-p': 4 };
const hoistIndex = (token: string | undefined): number => (token !== undefined && token.length === 2 ? HOIST_INDEX[token] ?? -1 : -1);

/**
 * Whether normalizeRule would give `args` back token for token: it walks the rule the way
 * normalizeRule does and says no at the first thing normalizeRule would rewrite, move or add.
 * Conservative (a `recent` match, a long option name or a `MARK` rewrite is never "canonical"), so
 * a false answer only costs the full rewrite. It exists for speed: kube-proxy writes its
 * high-volume rules already in iptables-save form, and a 185k-rule ruleset is not copied twice.
 */
function isCanonicalRule(args: readonly string[], family: Family): boolean {
  const n = args.length;
  let i = 0;
  let nextSlot = 0;
  let protocol: string | undefined;
  // The hoisted options (-s -d -i -o -p, each maybe negated) come first, in that order, once each.
  while (i < n) {
    const at = args[i] === '!' ? i + 1 : i;
    const slot = hoistIndex(args[at]);
    if (slot < 0) break;
    if (slot < nextSlot) return false;
    nextSlot = slot + 1;
    const value = args[at + 1];
    if (value === undefined) return false;
    if (slot <= 1 && (family !== 'ipv4' || !isCanonicalIPv4Prefix(value))) return false;
    if (slot === 4) protocol = value.toLowerCase();
    i = at + 2;
  }
  let currentMatch: string | undefined;
  let protocolMatched = false;
  let target: string | undefined;
  let hasRejectWith = false;
  for (; i < n; i++) {
    const token = args[i]!;
    if (token === '!') {
      const next = args[i + 1];
      if (target === undefined && next !== undefined && (hoistIndex(next) >= 0 || LONG_FORMS[next] !== undefined)) return false;
      continue;
    }
    if (token.charCodeAt(0) !== 45) continue;
    if (target === undefined && (hoistIndex(token) >= 0 || (token.length > 2 && LONG_FORMS[token] !== undefined))) return false;
    if (token === '-m') {
      currentMatch = args[i + 1];
      if (currentMatch === 'recent') return false;
      if (currentMatch !== undefined && PROTOCOL_MATCHES.has(currentMatch)) protocolMatched = true;
      i++;
      continue;
    }
    if (token === '-j' || token === '-g') {
      target = args[i + 1];
      currentMatch = undefined;
      i++;
      continue;
    }
    if (token === '--match' || token === '--jump' || token === '--goto') return false;
    if (target === undefined && PORT_OPTIONS.has(token) && !protocolMatched && protocol !== undefined && PROTOCOL_MATCHES.has(protocol) && currentMatch !== 'multiport') return false;
    if (target === 'MARK' && (token === '--or-mark' || token === '--xor-mark' || token === '--set-mark')) return false;
    if (currentMatch === 'multiport' && (token === '--destination-ports' || token === '--source-ports')) return false;
    if (currentMatch === 'mark' && token === '--mark') return false;
    if (currentMatch === 'statistic' && token === '--probability') {
      const value = args[i + 1];
      if (value === undefined || canonicalProbability(value) !== value) return false;
      i++;
      continue;
    }
    if (target === 'REJECT' && token === '--reject-with') hasRejectWith = true;
    if (target === 'DNAT' && token === '--to-destination') {
      if (i + 1 >= n) return false;
      i++;
    }
  }
  return !(target === 'REJECT' && !hasRejectWith);
}

export function normalizeRule(args: readonly string[], family: Family): string[] {
  // Rules already in iptables-save form (most of kube-proxy's) are kept as they are.
  if (isCanonicalRule(args, family)) return args as string[];
  // One slot per hoisted option, in HOISTED order (-s -d -i -o -p).
  const hoisted: (string[] | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  const rest: string[] = [];
  let protocol: string | undefined;
  let currentMatch: string | undefined;
  let protocolMatched = false;
  let target: string | undefined;
  let hasRejectWith = false;
  for (let i = 0; i < args.length; i++) {
    // A value (not an option, not `!`) that no option consumed is kept as it is: the common case.
    if (args[i]!.charCodeAt(0) !== 45 && args[i] !== '!') {
      rest.push(args[i]!);
      continue;
    }
    const negated = args[i] === '!';
    const at = negated ? i + 1 : i;
    const raw = args[at]!;
    const flag = raw.length > 2 ? LONG_FORMS[raw] ?? raw : raw;
    const slot = target === undefined ? (HOISTED as readonly string[]).indexOf(flag) : -1;
    if (slot >= 0) {
      let value = args[at + 1] ?? '';
      if (flag === '-s' || flag === '-d') value = canonicalAddress(value, family);
      if (flag === '-p') protocol = value.toLowerCase();
      hoisted[slot] = negated ? ['!', flag, value] : [flag, value];
      i = at + 1;
      continue;
    }
    if (negated) {
      rest.push('!');
      continue;
    }
    const token = args[i]!;
    if (token === '-m' || token === '--match') {
      currentMatch = args[i + 1];
      if (currentMatch === 'recent') {
        // Gather this match's options (up to the next match or the target) and print them in order.
        let j = i + 2;
        while (j < args.length && !['-m', '--match', '-j', '-g', '--jump', '--goto', ...HOISTED].includes(args[j]!) && !(args[j] === '!' && (HOISTED as readonly string[]).includes(args[j + 1]!))) j++;
        rest.push('-m', 'recent', ...canonicalRecent(args.slice(i + 2, j), family));
        i = j - 1;
        continue;
      }
      if (currentMatch !== undefined && PROTOCOL_MATCHES.has(currentMatch)) protocolMatched = true;
      rest.push('-m', args[++i] ?? '');
      continue;
    }
    if (token === '-j' || token === '-g' || token === '--jump' || token === '--goto') {
      target = args[i + 1];
      currentMatch = undefined;
      rest.push(token.length === 2 ? token : token === '--jump' ? '-j' : '-g', args[++i] ?? '');
      continue;
    }
    if (target === undefined && PORT_OPTIONS.has(token) && !protocolMatched && protocol !== undefined && PROTOCOL_MATCHES.has(protocol) && !(currentMatch === 'multiport')) {
      rest.push('-m', protocol);
      currentMatch = protocol;
      protocolMatched = true;
    }
    if (target === 'MARK' && (token === '--or-mark' || token === '--xor-mark' || token === '--set-mark')) {
      const value = args[++i] ?? '';
      const [bits] = value.split('/');
      const hex = `0x${(Number(bits) >>> 0).toString(16)}`;
      const mask = token === '--or-mark' ? hex : token === '--xor-mark' ? '0x0' : value.includes('/') ? `0x${(Number(value.split('/')[1]) >>> 0).toString(16)}` : '0xffffffff';
      rest.push('--set-xmark', `${hex}/${mask}`);
      continue;
    }
    // multiport stores its port list one way and prints it back with the short option name.
    if (currentMatch === 'multiport' && (token === '--destination-ports' || token === '--source-ports')) {
      rest.push(token === '--destination-ports' ? '--dports' : '--sports');
      continue;
    }
    if (currentMatch === 'mark' && token === '--mark') {
      rest.push(token, canonicalMark(args[++i] ?? ''));
      continue;
    }
    if (currentMatch === 'statistic' && token === '--probability') {
      rest.push(token, canonicalProbability(args[++i] ?? ''));
      continue;
    }
    if (target === 'REJECT' && token === '--reject-with') hasRejectWith = true;
    if (target === 'DNAT' && token === '--to-destination') {
      rest.push(token, args[++i] ?? '');
      continue;
    }
    rest.push(token);
  }
  if (target === 'REJECT' && !hasRejectWith) rest.push('--reject-with', family === 'ipv6' ? 'icmp6-port-unreachable' : 'icmp-port-unreachable');
  const out: string[] = [];
  for (const h of hoisted) if (h) out.push(...h);
  out.push(...rest);
  return out;
}
