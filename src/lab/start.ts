/**
 * Everything a built lab runs: the pods' servers (workloads.ts). `hostnet lab up` starts them
 * once and leaves them running; `lab verify` on a temporary lab starts them itself.
 */
import type { LabSession } from './session.js';
import { labServers, startServers, type LabServer } from './workloads.js';

export interface StartedLab {
  readonly servers: readonly LabServer[];
  readonly problems: readonly string[];
  readonly notes: readonly string[];
  readonly ms: number;
}

export async function startLabProcesses(session: LabSession): Promise<StartedLab> {
  const t0 = performance.now();
  const servers = labServers(session.plan, session.sims);
  const { started, problems } = await startServers(session.h, servers);
  const notes: string[] = [];
  for (const s of started) {
    for (const f of s.failed) notes.push(`${s.pod} could not listen on ${f.port}/${f.protocol} in ${s.ns}: ${f.code}.`);
  }
  return { servers, problems, notes, ms: Math.round(performance.now() - t0) };
}
