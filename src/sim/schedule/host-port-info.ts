/**
 * The host ports in use on one node, keyed the way kube-scheduler keys them (SCHED-2) and checked
 * the way it checks them (SCHED-3), indexed by protocol/port so a check is a map lookup. Unlike
 * upstream it remembers who holds each port, which is what a user needs to know.
 * Ref: kubernetes/kubernetes pkg/scheduler/framework/types.go#HostPortInfo.
 */

export interface PortHolder<P> {
  readonly hostIP: string;
  readonly protocol: string;
  readonly port: number;
  readonly holder: P;
}

/** SCHED-2: an empty hostIP is 0.0.0.0, an empty protocol TCP; hostIP stays a raw string. */
export function sanitize(hostIP: string, protocol: string): [string, string] {
  return [hostIP === '' ? '0.0.0.0' : hostIP, protocol === '' ? 'TCP' : protocol];
}

/** SCHED-3 for two sanitized hostIPs on the same protocol/port: the same address, or either is 0.0.0.0. */
export function hostIPsOverlap(a: string, b: string): boolean {
  return a === b || a === '0.0.0.0' || b === '0.0.0.0';
}

export class HostPortInfo<P> {
  /** `TCP/80` → holders on every hostIP. */
  private readonly byPort = new Map<string, PortHolder<P>[]>();

  add(hostIP: string, protocol: string, port: number, holder: P): void {
    if (port <= 0) return;
    const [ip, proto] = sanitize(hostIP, protocol);
    const key = `${proto}/${port}`;
    let list = this.byPort.get(key);
    if (!list) this.byPort.set(key, (list = []));
    list.push({ hostIP: ip, protocol: proto, port, holder });
  }

  remove(holder: P): void {
    for (const [key, list] of this.byPort) {
      const kept = list.filter((h) => h.holder !== holder);
      if (kept.length === 0) this.byPort.delete(key);
      else if (kept.length !== list.length) this.byPort.set(key, kept);
    }
  }

  /**
   * SCHED-3: a wanted 0.0.0.0 conflicts with the port on any hostIP; a specific hostIP conflicts
   * with the same hostIP or 0.0.0.0. Returns the holders it conflicts with (empty: no conflict).
   */
  conflicts(hostIP: string, protocol: string, port: number): PortHolder<P>[] {
    if (port <= 0) return [];
    const [ip, proto] = sanitize(hostIP, protocol);
    const list = this.byPort.get(`${proto}/${port}`);
    if (!list) return [];
    if (ip === '0.0.0.0') return list;
    return list.filter((h) => hostIPsOverlap(h.hostIP, ip));
  }

  /** Every port held, sorted by protocol, port and hostIP. */
  all(): PortHolder<P>[] {
    const out = [...this.byPort.values()].flat();
    return out.sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port || a.hostIP.localeCompare(b.hostIP));
  }
}
