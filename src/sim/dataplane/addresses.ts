/**
 * IPv4 and IPv6 addresses and prefixes as the packet filter sees them: a family, a value and a
 * prefix length. Parsing never throws; text that is not an address gives undefined, and the caller
 * says what that means (a hostIP that is not an IP is a finding, not a crash).
 */
import type { Family } from './ruleset.js';

export interface Prefix {
  readonly family: Family;
  /** The address as an unsigned integer (IPv4 fits 32 bits; IPv6 uses all 128). */
  readonly value: bigint;
  readonly bits: number;
}

const WIDTH: Readonly<Record<Family, number>> = { ipv4: 32, ipv6: 128 };

function parseV4(text: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let v = 0n;
  for (const part of m.slice(1)) {
    const n = Number(part);
    if (n > 255 || (part.length > 1 && part.startsWith('0'))) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] | undefined => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (!left || !right) return undefined;
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

/** `10.0.0.1`, `10.0.0.0/8`, `fd00::1`, `fd00::/64`; host bits are cleared. */
export function parseAddress(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const v4 = parseV4(ip);
  const family: Family | undefined = v4 !== undefined ? 'ipv4' : parseV6(ip) !== undefined ? 'ipv6' : undefined;
  if (!family) return undefined;
  const width = WIDTH[family];
  let bits = width;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b) || Number(b) > width) return undefined;
    bits = Number(b);
  }
  const raw = v4 ?? parseV6(ip)!;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { family, value: raw & mask, bits };
}

/** The family of an IP address without a prefix, or undefined when it is not one. */
export function ipFamily(text: string): Family | undefined {
  return text.includes('/') ? undefined : parseAddress(text)?.family;
}

export function formatIP(family: Family, value: bigint): string {
  if (family === 'ipv4') return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(Number((value >> s) & 0xffffn));
  // RFC 5952: the longest run (of two or more) of zero groups becomes `::`.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** `10.0.0.0/8`, `10.0.0.1/32`, `fd00::/64`. */
export function formatAddress(p: Prefix): string {
  return `${formatIP(p.family, p.value)}/${p.bits}`;
}

/** Whether `ip` (an address, no prefix) lies in `prefix`. */
export function contains(prefix: Prefix, ip: Prefix): boolean {
  if (prefix.family !== ip.family) return false;
  const width = BigInt(WIDTH[prefix.family]);
  const shift = width - BigInt(prefix.bits);
  return prefix.bits === 0 || (ip.value >> shift) === (prefix.value >> shift);
}

/** `0.0.0.0` and `::`: the address that means "every address of the node" (PM-4). */
export function isUnspecified(text: string): boolean {
  const a = parseAddress(text);
  return a !== undefined && a.value === 0n && a.bits === WIDTH[a.family];
}

export function isLoopback(text: string): boolean {
  const a = parseAddress(text);
  if (!a) return false;
  return a.family === 'ipv4' ? a.value >> 24n === 127n : a.value === 1n;
}
