/**
 * One iptables rule's arguments compiled once into checks a packet can be held against, and the
 * evaluation of those checks. The tracer (trace.ts) walks chains; this file decides "does this rule
 * match this packet" and "what does its target do", nothing else.
 *
 * The argument list is the one iptables-save prints after `-A <chain>` (ruleset.ts), so a real
 * node's rules arrive here with modules hostnet knows (tcp, multiport, addrtype, mark, conntrack,
 * statistic, recent, nfacct, comment …) and modules it does not (physdev, set, owner, u32 …).
 * Nothing here throws: an option that cannot be read becomes an assumption that the rule matches,
 * which the tracer reports as a note when the rule is taken.
 *
 * What each match means follows the kernel's xt_* modules and iptables' extension manuals
 * (iptables-extensions(8)); the first packet of a NEW connection is the only packet modelled, so
 * stateful matches are decided for that packet: `--ctstate NEW` holds, `recent --rcheck` does
 * not (nothing recorded the client yet), `connmark` is 0, `--syn` holds for TCP.
 */
import { parseAddress, type Prefix } from './addresses.js';
import type { Family } from './ruleset.js';

// ---------------------------------------------------------------------------------------------
// Addresses in a form that is quick to compare. IPv4 stays a 32-bit number (no bigint per rule).

export interface Addr {
  readonly family: Family;
  /** IPv4 as an unsigned 32-bit number; unused for IPv6. */
  readonly v4: number;
  /** IPv6 as a 128-bit bigint; 0n for IPv4. */
  readonly v6: bigint;
}

export interface Cidr {
  readonly family: Family;
  readonly v4net: number;
  readonly v4mask: number;
  readonly v6net: bigint;
  readonly v6mask: bigint;
}

export function toAddr(ip: string): Addr | undefined {
  if (ip.includes('/')) return undefined;
  const p = parseAddress(ip);
  if (!p) return undefined;
  return p.family === 'ipv4' ? { family: 'ipv4', v4: Number(p.value), v6: 0n } : { family: 'ipv6', v4: 0, v6: p.value };
}

function toCidr(p: Prefix): Cidr {
  if (p.family === 'ipv4') {
    const mask = p.bits === 0 ? 0 : (0xffffffff << (32 - p.bits)) >>> 0;
    return { family: 'ipv4', v4net: (Number(p.value) & mask) >>> 0, v4mask: mask, v6net: 0n, v6mask: 0n };
  }
  const mask = p.bits === 0 ? 0n : ((1n << BigInt(p.bits)) - 1n) << BigInt(128 - p.bits);
  return { family: 'ipv6', v4net: 0, v4mask: 0, v6net: p.value & mask, v6mask: mask };
}

/** `10.0.0.0/8`, `10.0.0.1` (a host), `fd00::/64`; undefined when it is not an address. */
export function parseCidr(text: string): Cidr | undefined {
  const p = parseAddress(text);
  return p ? toCidr(p) : undefined;
}

export function cidrContains(c: Cidr, a: Addr): boolean {
  if (c.family !== a.family) return false;
  return c.family === 'ipv4' ? ((a.v4 & c.v4mask) >>> 0) === c.v4net : (a.v6 & c.v6mask) === c.v6net;
}

function addrValue(a: Addr): bigint {
  return a.family === 'ipv4' ? BigInt(a.v4) : a.v6;
}

function isMulticast(a: Addr): boolean {
  return a.family === 'ipv4' ? a.v4 >>> 28 === 0xe : a.v6 >> 120n === 0xffn;
}

// ---------------------------------------------------------------------------------------------
// What a rule can look at.

/** The interface a packet is on at a hook, as far as the trace knows it. */
export type Iface =
  /** No interface at this hook (the output interface in PREROUTING/INPUT, the input one in OUTPUT/POSTROUTING). */
  | { readonly kind: 'none' }
  | { readonly kind: 'known'; readonly name: string }
  /** Some interface the trace cannot name; `notLo` when it is certainly not the loopback. */
  | { readonly kind: 'unknown'; readonly notLo: boolean };

export interface MatchContext {
  readonly family: Family;
  readonly src: Addr;
  readonly dst: Addr;
  readonly protocol: string;
  readonly sport: number | undefined;
  readonly dport: number;
  readonly mark: number;
  readonly ctmark: number;
  /** addrtype LOCAL of the current source and destination (TraceEnv.isLocal). */
  readonly srcLocal: boolean;
  readonly dstLocal: boolean;
  /** conntrack's view: `NEW`, plus the virtual `DNAT`/`SNAT` once NAT is set up; `UNTRACKED` alone after NOTRACK. */
  readonly ctstates: ReadonlySet<string>;
  /** The connection's original tuple (conntrack --ctorig*). */
  readonly origSrc: Addr;
  readonly origDst: Addr;
  readonly origSport: number | undefined;
  readonly origDport: number;
  readonly inIface: Iface;
  readonly outIface: Iface;
  /** `recent` lists this packet's source was added to earlier in the trace (`--set`). */
  readonly recent: ReadonlySet<string>;
}

// ---------------------------------------------------------------------------------------------
// Compiled form.

type PortRange = readonly [number, number];

export type Check =
  | { readonly k: 'addr'; readonly which: 'src' | 'dst'; readonly neg: boolean; readonly cidr: Cidr }
  | { readonly k: 'proto'; readonly neg: boolean; readonly proto: string }
  | { readonly k: 'iface'; readonly dir: 'in' | 'out'; readonly neg: boolean; readonly name: string }
  | { readonly k: 'fragment'; readonly neg: boolean }
  | { readonly k: 'port'; readonly which: 'sport' | 'dport' | 'any'; readonly neg: boolean; readonly ranges: readonly PortRange[] }
  | { readonly k: 'tcpflags'; readonly neg: boolean; readonly mask: readonly string[]; readonly comp: readonly string[] }
  | { readonly k: 'addrtype'; readonly which: 'src' | 'dst'; readonly neg: boolean; readonly types: readonly string[] }
  | { readonly k: 'mark'; readonly conn: boolean; readonly neg: boolean; readonly value: number; readonly mask: number }
  | { readonly k: 'ctstate'; readonly neg: boolean; readonly states: readonly string[] }
  | { readonly k: 'ctdir'; readonly neg: boolean; readonly dir: string }
  | { readonly k: 'ctaddr'; readonly which: 'origsrc' | 'origdst'; readonly neg: boolean; readonly cidr: Cidr }
  | { readonly k: 'ctport'; readonly which: 'origsrc' | 'origdst'; readonly neg: boolean; readonly ranges: readonly PortRange[] }
  | { readonly k: 'recent'; readonly neg: boolean; readonly name: string; readonly op: 'set' | 'check' | 'remove' }
  | { readonly k: 'iprange'; readonly which: 'src' | 'dst'; readonly neg: boolean; readonly family: Family; readonly lo: bigint; readonly hi: bigint }
  | { readonly k: 'pkttype'; readonly neg: boolean; readonly type: string };

export type Target =
  /** No `-j`/`-g`: the rule only counts packets. */
  | { readonly kind: 'none' }
  | { readonly kind: 'jump'; readonly chain: string }
  | { readonly kind: 'goto'; readonly chain: string }
  | { readonly kind: 'ACCEPT' }
  | { readonly kind: 'DROP' }
  | { readonly kind: 'REJECT'; readonly with: string }
  | { readonly kind: 'RETURN' }
  | { readonly kind: 'DNAT'; readonly ip?: string; readonly port?: number; readonly range: boolean }
  | { readonly kind: 'SNAT'; readonly ip?: string }
  | { readonly kind: 'MASQUERADE' }
  | { readonly kind: 'REDIRECT'; readonly port?: number }
  /** MARK in the kernel's only form: mark = (mark & ~mask) ^ value. */
  | { readonly kind: 'MARK'; readonly value: number; readonly mask: number }
  | { readonly kind: 'CONNMARK'; readonly op: 'xset' | 'save' | 'restore'; readonly value: number; readonly mask: number; readonly nfmask: number; readonly ctmask: number }
  | { readonly kind: 'NOTRACK' }
  /** A target extension that changes nothing the trace follows (LOG, NFLOG, TCPMSS …). */
  | { readonly kind: 'continue'; readonly name: string };

export interface CompiledRule {
  readonly checks: readonly Check[];
  /** Product of the rule's `-m statistic` chances; undefined when it has none. */
  readonly chance?: number;
  readonly target: Target;
  /** Parts hostnet does not model and assumes to match, as phrases ("the physdev match"). */
  readonly assumed: readonly string[];
  /** `recent --set` lists the rule adds the source to when it matches. */
  readonly recentSet: readonly string[];
}

/** Target extensions that never end the walk and change nothing the trace follows. */
const CONTINUING_TARGETS = new Set([
  'LOG', 'NFLOG', 'ULOG', 'TRACE', 'AUDIT', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'TCPMSS', 'CHECKSUM', 'SET',
  'ECN', 'IDLETIMER', 'LED', 'SECMARK', 'CONNSECMARK', 'RATEEST', 'TEE', 'SYNPROXY', 'NETMAP', 'NFQUEUE', 'QUEUE', 'CT',
]);

/** How many values each option of the modules hostnet reads takes. */
const OPTION_ARITY: Readonly<Record<string, number>> = {
  '--comment': 1,
  '--dport': 1, '--destination-port': 1, '--sport': 1, '--source-port': 1, '--tcp-flags': 2, '--syn': 0, '--tcp-option': 1,
  '--dports': 1, '--destination-ports': 1, '--sports': 1, '--source-ports': 1, '--ports': 1,
  '--src-type': 1, '--dst-type': 1, '--limit-iface-in': 0, '--limit-iface-out': 0,
  '--mark': 1,
  '--ctstate': 1, '--state': 1, '--ctstatus': 1, '--ctproto': 1, '--ctdir': 1, '--ctexpire': 1,
  '--ctorigsrc': 1, '--ctorigdst': 1, '--ctreplsrc': 1, '--ctrepldst': 1,
  '--ctorigsrcport': 1, '--ctorigdstport': 1, '--ctreplsrcport': 1, '--ctrepldstport': 1,
  '--mode': 1, '--probability': 1, '--every': 1, '--packet': 1,
  '--name': 1, '--set': 0, '--rcheck': 0, '--update': 0, '--remove': 0, '--seconds': 1, '--hitcount': 1, '--rttl': 0,
  '--reap': 0, '--rsource': 0, '--rdest': 0, '--mask': 1,
  '--nfacct-name': 1,
  '--src-range': 1, '--dst-range': 1,
  '--limit': 1, '--limit-burst': 1,
  '--pkt-type': 1,
};

/** Modules whose every option is read (unknown options of them are still assumptions). */
const KNOWN_MODULES = new Set(['comment', 'tcp', 'udp', 'sctp', 'multiport', 'addrtype', 'mark', 'connmark', 'conntrack', 'state', 'statistic', 'recent', 'nfacct', 'iprange', 'limit', 'pkttype']);

function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n <= 0xffffffff ? n >>> 0 : undefined;
}

/** `0x4000/0x4000`, `0x4000` (mask all ones). */
function parseMarkMask(text: string | undefined): { value: number; mask: number } | undefined {
  if (text === undefined) return undefined;
  const [v, m] = text.split('/');
  const value = parseNumber(v);
  const mask = m === undefined ? 0xffffffff : parseNumber(m);
  return value === undefined || mask === undefined ? undefined : { value, mask };
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** `80`, `80:90`, `80:` (to 65535), `:90` (from 0). */
function parsePortRange(text: string): PortRange | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const p = parsePort(text);
    return p === undefined ? undefined : [p, p];
  }
  const lo = colon === 0 ? 0 : parsePort(text.slice(0, colon));
  const hi = colon === text.length - 1 ? 65535 : parsePort(text.slice(colon + 1));
  return lo === undefined || hi === undefined ? undefined : [Math.min(lo, hi), Math.max(lo, hi)];
}

/** multiport's `80,443,1000:2000`. */
function parsePortList(text: string): PortRange[] | undefined {
  const out: PortRange[] = [];
  for (const part of text.split(',')) {
    const r = parsePortRange(part);
    if (!r) return undefined;
    out.push(r);
  }
  return out.length > 0 ? out : undefined;
}

const PROTOCOL_NUMBERS: Readonly<Record<string, string>> = { '6': 'tcp', '17': 'udp', '132': 'sctp', '1': 'icmp', '58': 'ipv6-icmp', '0': 'all' };

function protocolName(text: string): string {
  const t = text.toLowerCase();
  return PROTOCOL_NUMBERS[t] ?? (t === 'icmpv6' ? 'ipv6-icmp' : t);
}

/** DNAT's `--to-destination`: `1.2.3.4`, `1.2.3.4:80`, `1.2.3.4-1.2.3.9:80-90`, `[fd00::1]:80`, `fd00::1`, `:80`. */
export function parseNatDestination(text: string): { ip?: string; port?: number; range: boolean } | undefined {
  let host = text;
  let ports: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      ports = rest.slice(1);
    }
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const colon = text.indexOf(':');
    host = text.slice(0, colon);
    ports = text.slice(colon + 1);
  }
  let range = false;
  let ip: string | undefined;
  if (host !== '') {
    const dash = host.indexOf('-');
    if (dash >= 0) range = true;
    ip = dash >= 0 ? host.slice(0, dash) : host;
    if (!parseAddress(ip) || ip.includes('/')) return undefined;
  }
  let port: number | undefined;
  if (ports !== undefined && ports !== '') {
    const dash = ports.indexOf('-');
    if (dash >= 0) range = true;
    port = parsePort(dash >= 0 ? ports.slice(0, dash) : ports);
    if (port === undefined) return undefined;
  }
  if (ip === undefined && port === undefined) return undefined;
  return { ...(ip !== undefined ? { ip } : {}), ...(port !== undefined ? { port } : {}), range };
}

function parseIpRange(text: string): { family: Family; lo: bigint; hi: bigint } | undefined {
  const [a, b] = text.split('-');
  const lo = a !== undefined ? toAddr(a) : undefined;
  const hi = b !== undefined ? toAddr(b) : lo;
  if (!lo || !hi || lo.family !== hi.family) return undefined;
  return { family: lo.family, lo: addrValue(lo), hi: addrValue(hi) };
}

// ---------------------------------------------------------------------------------------------
// A prefilter that needs no compilation.

/** `10.96.0.20/32` → [net, mask] as unsigned 32-bit numbers, by hand (no regex, no bigint); undefined otherwise. */
function quickV4Prefix(text: string): [number, number] | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch >= 48 && ch <= 57) {
      part = part * 10 + (ch - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else if (ch === 46 && digits > 0 && dots < 3) {
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else break;
  }
  if (dots !== 3 || digits === 0) return undefined;
  value = value * 256 + part;
  let bits = 32;
  if (i < text.length) {
    if (text.charCodeAt(i) !== 47 || i + 1 === text.length || text.length - i > 3) return undefined;
    bits = 0;
    for (let j = i + 1; j < text.length; j++) {
      const ch = text.charCodeAt(j);
      if (ch < 48 || ch > 57) return undefined;
      bits = bits * 10 + (ch - 48);
    }
    if (bits > 32) return undefined;
  }
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [(value & mask) >>> 0, mask];
}

/**
 * A quick first test for IPv4 packets, read from the leading `-s`/`-d` arguments iptables-save
 * puts first: the rule can only match when `(dst & mask) === net`. Both are 0 when the rule has no
 * plain IPv4 `-d` there (always true). It lets the tracer run past a 10,000-rule KUBE-SERVICES
 * chain without compiling, let alone evaluating, every rule.
 */
export function dstPrefilter4(args: readonly string[]): { readonly net: number; readonly mask: number } {
  for (let i = 0; i + 1 < args.length && i < 6; i++) {
    const t = args[i]!;
    if (t === '-m' || t === '-j' || t === '-g') break;
    if ((t === '-d' || t === '--destination' || t === '--dst') && (i === 0 || args[i - 1] !== '!')) {
      const v = args[i + 1]!;
      if (v === '!') break;
      const q = quickV4Prefix(v);
      return q ? { net: q[0], mask: q[1] } : { net: 0, mask: 0 };
    }
  }
  return { net: 0, mask: 0 };
}

// ---------------------------------------------------------------------------------------------
// Compilation.

const cache = new WeakMap<readonly string[], CompiledRule>();

/** The compiled form of one rule, computed once per argument array (the ruleset's own arrays). */
export function compileRule(args: readonly string[]): CompiledRule {
  let c = cache.get(args);
  if (!c) {
    c = compile(args);
    cache.set(args, c);
  }
  return c;
}

const SHORT_FORMS: Readonly<Record<string, string>> = {
  '--source': '-s', '--src': '-s', '--destination': '-d', '--dst': '-d', '--protocol': '-p',
  '--in-interface': '-i', '--out-interface': '-o', '--fragment': '-f', '--match': '-m', '--jump': '-j', '--goto': '-g',
};

function compile(args: readonly string[]): CompiledRule {
  const checks: Check[] = [];
  const assumed: string[] = [];
  const recentSet: string[] = [];
  let chance: number | undefined;
  let target: Target = { kind: 'none' };
  let targetName: string | undefined;
  const targetOpts = new Map<string, string | true>();
  let module: string | undefined;
  let neg = false;
  // statistic and recent take several options that only mean something together.
  let stat: { mode?: string; probability?: number; every?: number; neg: boolean } | undefined;
  let recent: { name: string; op?: 'set' | 'check' | 'remove'; neg: boolean } | undefined;
  const flushModule = (): void => {
    if (stat) {
      let p: number | undefined;
      if (stat.mode === 'random' && stat.probability !== undefined) p = stat.probability;
      else if (stat.mode === 'nth' && stat.every !== undefined && stat.every > 0) p = 1 / stat.every;
      if (p === undefined) assumed.push('a statistic match hostnet cannot read');
      else chance = (chance ?? 1) * (stat.neg ? 1 - p : p);
      stat = undefined;
    }
    if (recent) {
      if (recent.op === 'set') {
        if (recent.neg) checks.push({ k: 'recent', neg: false, name: recent.name, op: 'check' });
        else recentSet.push(recent.name);
      } else if (recent.op) checks.push({ k: 'recent', neg: recent.neg, name: recent.name, op: recent.op });
      recent = undefined;
    }
  };
  const value = (i: number): [string | undefined, number, boolean] => {
    // Old iptables wrote the `!` after the option (`--dport ! 22`); accept both.
    if (args[i] === '!') return [args[i + 1], i + 1, true];
    return [args[i], i, false];
  };
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    if (raw === '!') {
      neg = true;
      continue;
    }
    const tok = SHORT_FORMS[raw] ?? raw;
    if (targetName !== undefined) {
      // Target options: `--to-destination 10.244.1.5:80`, `--set-xmark 0x4000/0x4000`, `--random-fully`.
      if (tok.startsWith('--')) {
        const next = args[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          targetOpts.set(tok, next);
          i++;
        } else targetOpts.set(tok, true);
      }
      neg = false;
      continue;
    }
    switch (tok) {
      case '-s':
      case '-d': {
        const [v, at, n2] = value(i + 1);
        i = at;
        const cidr = v !== undefined ? parseCidr(v) : undefined;
        if (cidr) checks.push({ k: 'addr', which: tok === '-s' ? 'src' : 'dst', neg: neg !== n2, cidr });
        else assumed.push(`the address "${v ?? ''}", which is not an IP address or prefix`);
        break;
      }
      case '-p': {
        const [v, at, n2] = value(i + 1);
        i = at;
        checks.push({ k: 'proto', neg: neg !== n2, proto: protocolName(v ?? 'all') });
        break;
      }
      case '-i':
      case '-o': {
        const [v, at, n2] = value(i + 1);
        i = at;
        checks.push({ k: 'iface', dir: tok === '-i' ? 'in' : 'out', neg: neg !== n2, name: v ?? '' });
        break;
      }
      case '-f':
        checks.push({ k: 'fragment', neg });
        break;
      case '-4':
      case '-6':
      case '--ipv4':
      case '--ipv6':
        break;
      case '-c':
      case '--set-counters':
        i += 2;
        break;
      case '-m': {
        flushModule();
        module = args[++i] ?? '';
        if (module === 'statistic') stat = { neg: false };
        if (!KNOWN_MODULES.has(module)) assumed.push(`the ${module} match`);
        break;
      }
      case '-j':
      case '-g': {
        flushModule();
        targetName = args[++i] ?? '';
        if (tok === '-g') target = { kind: 'goto', chain: targetName };
        break;
      }
      default: {
        if (!tok.startsWith('-')) break; // a stray value
        i = moduleOption(module, tok, i);
      }
    }
    neg = false;
  }
  flushModule();
  if (targetName !== undefined && target.kind !== 'goto') target = compileTarget(targetName, targetOpts, assumed);
  // Every compiled rule has the same shape (chance present even when undefined): the walk stays monomorphic.
  return { checks, chance, target, assumed, recentSet };

  /** One option of the current module; returns the index of its last value. */
  function moduleOption(mod: string | undefined, opt: string, i: number): number {
    const arity = OPTION_ARITY[opt];
    const known = mod !== undefined && KNOWN_MODULES.has(mod) && arity !== undefined;
    if (!known) {
      // An unknown option (or any option of an unknown module): skip its values.
      if (mod !== undefined && KNOWN_MODULES.has(mod)) assumed.push(`the ${mod} option ${opt}`);
      let j = i;
      while (j + 1 < args.length && args[j + 1] !== '!' && !args[j + 1]!.startsWith('-')) j++;
      return j;
    }
    const [v, at, n2] = arity > 0 ? value(i + 1) : [undefined, i, false];
    const n = neg !== n2;
    const last = arity === 2 ? at + 1 : at;
    switch (opt) {
      case '--comment':
      case '--nfacct-name':
      case '--limit':
      case '--limit-burst':
      case '--seconds':
      case '--hitcount':
      case '--rttl':
      case '--reap':
      case '--rsource':
      case '--mask':
        // Comments and accounting always hold; a first packet is within any limit.
        return last;
      case '--rdest':
        assumed.push('recent --rdest');
        return last;
      case '--dport':
      case '--destination-port':
      case '--sport':
      case '--source-port': {
        const r = v !== undefined ? parsePortRange(v) : undefined;
        if (r) checks.push({ k: 'port', which: opt === '--dport' || opt === '--destination-port' ? 'dport' : 'sport', neg: n, ranges: [r] });
        else assumed.push(`the port "${v ?? ''}"`);
        return last;
      }
      case '--dports':
      case '--destination-ports':
      case '--sports':
      case '--source-ports':
      case '--ports': {
        const r = v !== undefined ? parsePortList(v) : undefined;
        const which = opt === '--ports' ? 'any' : opt === '--dports' || opt === '--destination-ports' ? 'dport' : 'sport';
        if (r) checks.push({ k: 'port', which, neg: n, ranges: r });
        else assumed.push(`the port list "${v ?? ''}"`);
        return last;
      }
      case '--syn':
        checks.push({ k: 'tcpflags', neg: n, mask: ['SYN', 'RST', 'ACK', 'FIN'], comp: ['SYN'] });
        return last;
      case '--tcp-flags': {
        const mask = (v ?? '').toUpperCase().split(',');
        const comp = (args[last] ?? '').toUpperCase().split(',').filter((f) => f !== 'NONE');
        checks.push({ k: 'tcpflags', neg: n, mask: mask.includes('ALL') ? ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH', 'ECE', 'CWR'] : mask, comp: comp.includes('ALL') ? ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH', 'ECE', 'CWR'] : comp });
        return last;
      }
      case '--src-type':
      case '--dst-type':
        checks.push({ k: 'addrtype', which: opt === '--src-type' ? 'src' : 'dst', neg: n, types: (v ?? '').toUpperCase().split(',') });
        return last;
      case '--limit-iface-in':
      case '--limit-iface-out':
        assumed.push(`addrtype ${opt}, which hostnet ignores (the address is checked against every interface)`);
        return last;
      case '--mark': {
        const m = parseMarkMask(v);
        if (m) checks.push({ k: 'mark', conn: mod === 'connmark', neg: n, value: m.value, mask: m.mask });
        else assumed.push(`the mark "${v ?? ''}"`);
        return last;
      }
      case '--ctstate':
      case '--state':
        checks.push({ k: 'ctstate', neg: n, states: (v ?? '').toUpperCase().split(',') });
        return last;
      case '--ctdir':
        checks.push({ k: 'ctdir', neg: n, dir: (v ?? '').toUpperCase() });
        return last;
      case '--ctproto':
        checks.push({ k: 'proto', neg: n, proto: protocolName(v ?? 'all') });
        return last;
      case '--ctorigsrc':
      case '--ctorigdst': {
        const cidr = v !== undefined ? parseCidr(v) : undefined;
        if (cidr) checks.push({ k: 'ctaddr', which: opt === '--ctorigsrc' ? 'origsrc' : 'origdst', neg: n, cidr });
        else assumed.push(`conntrack ${opt} "${v ?? ''}"`);
        return last;
      }
      case '--ctorigsrcport':
      case '--ctorigdstport': {
        const r = v !== undefined ? parsePortRange(v) : undefined;
        if (r) checks.push({ k: 'ctport', which: opt === '--ctorigsrcport' ? 'origsrc' : 'origdst', neg: n, ranges: [r] });
        else assumed.push(`conntrack ${opt} "${v ?? ''}"`);
        return last;
      }
      case '--ctstatus':
      case '--ctexpire':
      case '--ctreplsrc':
      case '--ctrepldst':
      case '--ctreplsrcport':
      case '--ctrepldstport':
      case '--tcp-option':
        assumed.push(`${mod} ${opt}`);
        return last;
      case '--mode':
        if (stat) stat.mode = v;
        return last;
      case '--probability': {
        const p = v !== undefined && /^[0-9.]+$/.test(v) ? Number(v) : NaN;
        if (stat && p >= 0 && p <= 1) {
          stat.probability = p;
          stat.neg = n;
        }
        return last;
      }
      case '--every': {
        const e = parseNumber(v);
        if (stat && e !== undefined) {
          stat.every = e;
          stat.neg = n;
        }
        return last;
      }
      case '--packet':
        return last;
      case '--name':
        if (recent) recent = { ...recent, name: v ?? 'DEFAULT' };
        else recent = { name: v ?? 'DEFAULT', neg: false };
        return last;
      case '--set':
      case '--rcheck':
      case '--update':
      case '--remove': {
        const op = opt === '--set' ? 'set' : opt === '--remove' ? 'remove' : 'check';
        recent = { name: recent?.name ?? 'DEFAULT', op, neg: n };
        return last;
      }
      case '--src-range':
      case '--dst-range': {
        const r = v !== undefined ? parseIpRange(v) : undefined;
        if (r) checks.push({ k: 'iprange', which: opt === '--src-range' ? 'src' : 'dst', neg: n, ...r });
        else assumed.push(`the address range "${v ?? ''}"`);
        return last;
      }
      case '--pkt-type':
        checks.push({ k: 'pkttype', neg: n, type: (v ?? '').toLowerCase() });
        return last;
      default:
        assumed.push(`${mod} ${opt}`);
        return last;
    }
  }
}

function compileTarget(name: string, opts: ReadonlyMap<string, string | true>, assumed: string[]): Target {
  const str = (k: string): string | undefined => {
    const v = opts.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return { kind: name };
    case 'REJECT':
      return { kind: 'REJECT', with: str('--reject-with') ?? 'icmp-port-unreachable' };
    case 'DNAT': {
      const to = str('--to-destination');
      const d = to !== undefined ? parseNatDestination(to) : undefined;
      if (!d) {
        assumed.push(`DNAT to "${to ?? ''}", which hostnet cannot read (the destination is left unchanged)`);
        return { kind: 'DNAT', range: false };
      }
      return { kind: 'DNAT', ...d };
    }
    case 'SNAT': {
      const to = str('--to-source');
      const d = to !== undefined ? parseNatDestination(to) : undefined;
      return d?.ip !== undefined ? { kind: 'SNAT', ip: d.ip } : { kind: 'SNAT' };
    }
    case 'MASQUERADE':
      return { kind: 'MASQUERADE' };
    case 'REDIRECT': {
      const p = str('--to-ports');
      const port = p !== undefined ? parsePort(p.split('-')[0]!) : undefined;
      return port !== undefined ? { kind: 'REDIRECT', port } : { kind: 'REDIRECT' };
    }
    case 'MARK': {
      // iptables-save prints --set-xmark; the other spellings come from hand-written rules.
      const xs = parseMarkMask(str('--set-xmark') ?? str('--set-mark'));
      if (xs) return { kind: 'MARK', value: xs.value, mask: xs.mask };
      const or = parseNumber(str('--or-mark'));
      if (or !== undefined) return { kind: 'MARK', value: or, mask: or };
      const xor = parseNumber(str('--xor-mark'));
      if (xor !== undefined) return { kind: 'MARK', value: xor, mask: 0 };
      const and = parseNumber(str('--and-mark'));
      if (and !== undefined) return { kind: 'MARK', value: 0, mask: ~and >>> 0 };
      assumed.push('a MARK target hostnet cannot read (the mark is left unchanged)');
      return { kind: 'continue', name };
    }
    case 'CONNMARK': {
      const nfmask = parseNumber(str('--nfmask')) ?? parseNumber(str('--mask')) ?? 0xffffffff;
      const ctmask = parseNumber(str('--ctmask')) ?? parseNumber(str('--mask')) ?? 0xffffffff;
      if (opts.has('--save-mark')) return { kind: 'CONNMARK', op: 'save', value: 0, mask: 0, nfmask, ctmask };
      if (opts.has('--restore-mark')) return { kind: 'CONNMARK', op: 'restore', value: 0, mask: 0, nfmask, ctmask };
      const xs = parseMarkMask(str('--set-xmark') ?? str('--set-mark'));
      if (xs) return { kind: 'CONNMARK', op: 'xset', value: xs.value, mask: xs.mask, nfmask, ctmask };
      assumed.push('a CONNMARK target hostnet cannot read');
      return { kind: 'continue', name };
    }
    case 'NOTRACK':
      return { kind: 'NOTRACK' };
    case 'CT':
      return opts.has('--notrack') ? { kind: 'NOTRACK' } : { kind: 'continue', name };
    default:
      if (CONTINUING_TARGETS.has(name)) return { kind: 'continue', name };
      return { kind: 'jump', chain: name };
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

/** `veth+` matches every name starting with `veth`; `+` alone matches all. */
function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** The address type the kernel's addrtype match would report, as far as hostnet knows it. */
function addrType(a: Addr, local: boolean): string {
  if (local) return 'LOCAL';
  if (isMulticast(a)) return 'MULTICAST';
  if (a.family === 'ipv4' && a.v4 === 0xffffffff) return 'BROADCAST';
  return 'UNICAST';
}

const inRanges = (p: number, ranges: readonly PortRange[]): boolean => ranges.some(([lo, hi]) => p >= lo && p <= hi);

/**
 * Whether the packet meets every check of the rule (statistic chances aside: the tracer branches
 * on those). Checks that cannot be decided for this packet are taken as matching, and a phrase
 * saying why is pushed to `assumed`.
 */
export function ruleMatches(rule: CompiledRule, ctx: MatchContext, assumed: string[]): boolean {
  const { checks } = rule;
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    let m: boolean;
    switch (c.k) {
      case 'addr':
        m = cidrContains(c.cidr, c.which === 'src' ? ctx.src : ctx.dst);
        break;
      case 'proto':
        m = c.proto === 'all' || c.proto === ctx.protocol;
        break;
      case 'iface': {
        const f = c.dir === 'in' ? ctx.inIface : ctx.outIface;
        if (f.kind === 'known') m = ifaceMatches(c.name, f.name);
        else if (f.kind === 'none') m = false;
        else if (f.notLo && c.name === 'lo') m = false;
        else {
          assumed.push(`the ${c.dir === 'in' ? 'input' : 'output'} interface ${c.name}, which the trace does not know for this packet`);
          continue;
        }
        break;
      }
      case 'fragment':
        m = false; // the first packet is never a non-first fragment
        break;
      case 'port': {
        if (c.which === 'dport') m = inRanges(ctx.dport, c.ranges);
        else if (c.which === 'any' && inRanges(ctx.dport, c.ranges)) m = true;
        else if (ctx.sport === undefined) {
          assumed.push('the source port, which the packet does not give');
          continue;
        } else m = inRanges(ctx.sport, c.ranges);
        break;
      }
      case 'tcpflags':
        // A connection's first TCP packet carries SYN alone: (flags & mask) == comp.
        m = ctx.protocol === 'tcp' && c.comp.every((f) => c.mask.includes(f)) && c.mask.every((f) => (f === 'SYN') === c.comp.includes(f));
        break;
      case 'addrtype': {
        const a = c.which === 'src' ? ctx.src : ctx.dst;
        const t = addrType(a, c.which === 'src' ? ctx.srcLocal : ctx.dstLocal);
        if (c.types.includes(t)) m = true;
        else if (c.types.every((x) => x === 'LOCAL' || x === 'UNICAST' || x === 'MULTICAST' || x === 'BROADCAST')) m = false;
        else {
          assumed.push(`the address type ${c.types.join(',')}, which hostnet cannot tell for ${c.which === 'src' ? 'the source' : 'the destination'}`);
          continue;
        }
        break;
      }
      case 'mark':
        m = (((c.conn ? ctx.ctmark : ctx.mark) & c.mask) >>> 0) === ((c.value & c.mask) >>> 0);
        break;
      case 'ctstate':
        m = c.states.some((s) => ctx.ctstates.has(s));
        break;
      case 'ctdir':
        m = c.dir === 'ORIGINAL';
        break;
      case 'ctaddr':
        m = cidrContains(c.cidr, c.which === 'origsrc' ? ctx.origSrc : ctx.origDst);
        break;
      case 'ctport': {
        const p = c.which === 'origsrc' ? ctx.origSport : ctx.origDport;
        if (p === undefined) {
          assumed.push('the source port, which the packet does not give');
          continue;
        }
        m = inRanges(p, c.ranges);
        break;
      }
      case 'recent':
        m = c.op !== 'set' && ctx.recent.has(c.name);
        break;
      case 'iprange': {
        const a = c.which === 'src' ? ctx.src : ctx.dst;
        const v = addrValue(a);
        m = a.family === c.family && v >= c.lo && v <= c.hi;
        break;
      }
      case 'pkttype': {
        const t = isMulticast(ctx.dst) ? 'multicast' : ctx.dst.family === 'ipv4' && ctx.dst.v4 === 0xffffffff ? 'broadcast' : 'unicast';
        m = c.type === t;
        break;
      }
    }
    if (m === c.neg) return false;
  }
  return true;
}
