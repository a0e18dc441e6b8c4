/**
 * Everything a built lab runs: DNS (dnsmasq as the nodes' resolver and as cluster DNS, each pod's
 * resolv.conf, dns.ts) and the pods' servers (workloads.ts). `hostnet lab up` starts them once and
 * leaves them running; `lab verify` on a temporary lab starts them itself.
 */
import { clusterDnsPods, planLabDns, startLabDns, type LabDnsPlan } from './dns.js';
import type { LabSession } from './session.js';
import { labServers, startServers, type LabServer } from './workloads.js';

export interface StartedLab {
  readonly servers: readonly LabServer[];
  readonly dns: LabDnsPlan;
  readonly problems: readonly string[];
  readonly notes: readonly string[];
  readonly ms: number;
}

/** What runs in the lab, pure: the same for the run that starts it and a later `lab verify`. */
export function labProcesses(session: Pick<LabSession, 'plan' | 'model' | 'sims'>): { servers: LabServer[]; dns: LabDnsPlan } {
  const { plan, model, sims } = session;
  const dns = planLabDns(plan, model, sims);
  // Cluster DNS pods serve port 53 with dnsmasq, not with the echo server.
  return { servers: labServers(plan, sims, new Set(clusterDnsPods(plan, model, sims))), dns };
}

export async function startLabProcesses(session: LabSession): Promise<StartedLab> {
  const t0 = performance.now();
  const { servers, dns } = labProcesses(session);
  const dnsStarted = await startLabDns(session.h, session.plan, dns);
  const { started, problems } = await startServers(session.h, servers);
  const notes: string[] = [...dnsStarted.notes];
  for (const s of started) {
    for (const f of s.failed) notes.push(`${s.pod} could not listen on ${f.port}/${f.protocol} in ${s.ns}: ${f.code}.`);
  }
  return { servers, dns, problems: [...dnsStarted.problems, ...problems], notes, ms: Math.round(performance.now() - t0) };
}
