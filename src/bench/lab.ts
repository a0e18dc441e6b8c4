/**
 * The lab's build budget: a 4-node cluster (the embedded default) with a 20-replica Deployment
 * built in network namespaces and torn down again. Needs root and the tools; otherwise the reason
 * why it cannot run here.
 */
import { labUnavailable } from '../lab/exec.js';
import { labDown, labUp } from '../lab/lab.js';
import { planLab } from '../lab/plan.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { buildModel } from '../model/model.js';
import { loadText } from '../load/objects.js';
import { simulations } from '../sim/simulations.js';

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 20
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: x, ports: [{containerPort: 80}]}]
`;

export interface LabBuildMeasure {
  readonly skipped?: string;
  readonly nodes: number;
  readonly pods: number;
  readonly upMs: number[];
  readonly downMs: number[];
  readonly problems: string[];
}

export async function measureLabBuild(rounds: number): Promise<LabBuildMeasure> {
  const why = labUnavailable();
  const model = buildModel(loadText('bench-lab.yaml', DEPLOYMENT).objects, DEFAULT_CLUSTER);
  const sims = simulations(model);
  const out: LabBuildMeasure = { nodes: DEFAULT_CLUSTER.nodes.length, pods: sims.running().length, upMs: [], downMs: [], problems: [], ...(why ? { skipped: why } : {}) };
  if (why) return out;
  for (let r = 0; r < rounds; r++) {
    const planned = planLab(`bench${process.pid.toString(36)}${r}`.slice(0, 12), model, sims);
    if (!planned.ok) return { ...out, problems: [...planned.problems] };
    const up = await labUp(planned.plan);
    const down = await labDown(planned.plan.labId);
    if (!up.ok || !down.ok) return { ...out, problems: [...up.problems, ...down.problems] };
    out.upMs.push(up.timings.totalMs);
    out.downMs.push(down.ms);
  }
  return out;
}
