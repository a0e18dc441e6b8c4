/**
 * Stand-in addresses for what the cluster allocates at creation time: a Service's clusterIP (when
 * the manifest does not write one) and pod IPs from each node's podCIDR. Deterministic, so the
 * same manifests always get the same addresses; every use says they are stand-ins.
 */

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCIDR(s: string): { base: number; size: number } | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const ip = parseIPv4(m[1]!);
  const bits = Number(m[2]);
  if (ip === undefined || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), size };
}

export function inCIDR(ip: string, cidr: string): boolean {
  const n = parseIPv4(ip);
  const c = parseCIDR(cidr);
  return n !== undefined && c !== undefined && n >= c.base && n < c.base + c.size;
}

/** FNV-1a, for spreading stand-ins (clusterIPs, nodePorts) over their range deterministically. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A clusterIP stand-in inside the first service CIDR, away from the first ten addresses (kubernetes, DNS). */
export function standInClusterIP(namespace: string, name: string, serviceCIDRs: readonly string[], taken: Set<string>): string | undefined {
  const c = serviceCIDRs.map(parseCIDR).find((x) => x !== undefined);
  if (!c || c.size < 32) return undefined;
  const span = c.size - 20;
  let i = fnv1a(`${namespace}/${name}`) % span;
  for (let tries = 0; tries < span; tries++, i = (i + 1) % span) {
    const ip = formatIPv4(c.base + 10 + i);
    if (!taken.has(ip)) {
      taken.add(ip);
      return ip;
    }
  }
  return undefined;
}
