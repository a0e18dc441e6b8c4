/**
 * The pods' processes in a lab: one echo server per pod namespace, and one per hostNetwork pod in
 * its node's namespace (RT-6: a hostNetwork pod is a process on the node). Each listens on the
 * pod's declared container ports and on the ports Services send it (targetPorts resolved per pod,
 * EPS-*), and answers with the pod's name, so a probe sees which pod it reached.
 */
import { readFileSync } from 'node:fs';
import type { Simulations } from '../sim/simulations.js';
import type { RunningPod } from '../sim/services/types.js';
import { ECHO_SERVER } from './agents.js';
import type { LabPlan } from './plan.js';
import { startDaemon, type LabHandle } from './runtime.js';

export type LabProtocol = 'TCP' | 'UDP';

export interface LabListen {
  readonly port: number;
  readonly protocol: LabProtocol;
}

export interface LabServer {
  /** The RunningPod name, which the server answers with. */
  readonly pod: string;
  readonly node: string;
  /** The namespace it runs in: the pod's own, or its node's for hostNetwork pods. */
  readonly ns: string;
  readonly hostNetwork: boolean;
  readonly listen: readonly LabListen[];
}

const protocolOf = (p: unknown): LabProtocol | undefined => {
  const v = typeof p === 'string' ? p.toUpperCase() : 'TCP';
  return v === 'TCP' || v === 'UDP' ? v : undefined;
};

function portsOf(pod: RunningPod, sims: Simulations): LabListen[] {
  const seen = new Map<string, LabListen>();
  const add = (port: unknown, protocol: unknown): void => {
    const proto = protocolOf(protocol);
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535 || !proto) return;
    seen.set(`${proto}/${port}`, { port, protocol: proto });
  };
  for (const c of pod.view.containers) {
    // Init containers have exited by the time the pod serves; restartable ones (sidecars) keep running.
    if (c.kind === 'initContainer' && !c.restartable) continue;
    for (const p of c.ports) add(p.containerPort, p.protocol);
  }
  for (const se of sims.endpoints()) {
    for (const pe of se.ports) {
      for (const ep of pe.endpoints) if (ep.pods.some((p) => p.name === pod.name)) add(ep.port, pe.port.protocol);
    }
  }
  return [...seen.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/**
 * Which servers the lab runs, pure. `skip` names pods whose port 53 another program serves (the
 * cluster DNS pods, which run dnsmasq there).
 */
export function labServers(plan: LabPlan, sims: Simulations, skip53: ReadonlySet<string> = new Set()): LabServer[] {
  const podNs = new Map(plan.pods.map((p) => [p.pod, p.ns]));
  const nodeNs = new Map(plan.nodes.map((n) => [n.node, n.ns]));
  const out: LabServer[] = [];
  for (const pod of sims.running()) {
    const ns = pod.hostNetwork ? nodeNs.get(pod.node) : podNs.get(pod.name);
    if (!ns) continue;
    const listen = portsOf(pod, sims).filter((l) => !(l.port === 53 && skip53.has(pod.name)));
    if (listen.length === 0) continue;
    out.push({ pod: pod.name, node: pod.node, ns, hostNetwork: pod.hostNetwork, listen });
  }
  return out;
}

export interface StartedServer extends LabServer {
  readonly pid: number;
  /** Ports the kernel refused to bind, with the error (EADDRINUSE …). */
  readonly failed: readonly (LabListen & { readonly code: string })[];
}

/** Start every server, a few at a time (each is a Node process), and wait for each to report its binds. */
export async function startServers(h: LabHandle, servers: readonly LabServer[], parallel = 4): Promise<{ started: StartedServer[]; problems: string[] }> {
  const started: StartedServer[] = [];
  const problems: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < servers.length) {
      const i = next++;
      const s = servers[i]!;
      const config = JSON.stringify({ id: s.pod, listen: s.listen });
      const d = await startDaemon(h, s.ns, `server-${i}`, [process.execPath, '-e', ECHO_SERVER, config], /^ready /m);
      if ('problem' in d) {
        problems.push(`The server of ${s.pod} did not start: ${d.problem}`);
        continue;
      }
      const line = readFileSync(d.log, 'utf8').split('\n').find((l) => l.startsWith('ready ')) ?? 'ready {"failed":[]}';
      const report = JSON.parse(line.slice('ready '.length)) as { failed: (LabListen & { code: string })[] };
      started.push({ ...s, pid: d.pid, failed: report.failed });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, servers.length) }, worker));
  return { started, problems };
}
