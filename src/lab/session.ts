/**
 * A lab that lives only as long as one command (`lab verify`, `lab bench`, the tests): built,
 * used, and torn down in `finally`, also on SIGINT and SIGTERM, so an interrupted run leaves
 * nothing behind. A run killed with SIGKILL cannot clean up; its state file says what it made and
 * `hostnet lab doctor` / `lab cleanup` find it.
 */
import type { Model } from '../model/model.js';
import type { Simulations } from '../sim/simulations.js';
import { DEFAULT_STATE_DIR, labDown, labUp, type LabDownResult, type LabUpResult } from './lab.js';
import type { LabPlan } from './plan.js';
import { handleOf, type LabHandle } from './runtime.js';

export interface LabSession {
  readonly h: LabHandle;
  readonly plan: LabPlan;
  readonly model: Model;
  readonly sims: Simulations;
}

export type SessionResult<T> =
  | { readonly ok: true; readonly value: T; readonly up: LabUpResult; readonly down: LabDownResult }
  | { readonly ok: false; readonly problems: readonly string[]; readonly up?: LabUpResult; readonly down?: LabDownResult };

const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export async function withTemporaryLab<T>(
  plan: LabPlan, model: Model, sims: Simulations, use: (s: LabSession) => Promise<T>, options: { stateDir?: string } = {},
): Promise<SessionResult<T>> {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const h = handleOf(plan.labId, stateDir);
  let downing: Promise<LabDownResult> | undefined;
  const teardown = (): Promise<LabDownResult> => (downing ??= labDown(plan.labId, { stateDir }));
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`hostnet lab: ${signal} received; tearing lab ${plan.labId} down before exiting.\n`);
    void teardown().finally(() => process.exit(SIGNAL_EXIT[signal] ?? 1));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    const up = await labUp(plan, { stateDir });
    if (!up.ok) return { ok: false, problems: up.problems, up };
    let value: T;
    try {
      value = await use({ h, plan, model, sims });
    } catch (e) {
      const down = await teardown();
      return { ok: false, problems: [`The lab run failed (a bug in hostnet): ${e instanceof Error ? e.stack ?? e.message : String(e)}`, ...down.problems], up, down };
    }
    const down = await teardown();
    if (!down.ok) return { ok: false, problems: down.problems, up, down };
    return { ok: true, value, up, down };
  } finally {
    await teardown();
    for (const s of signals) process.off(s, onSignal);
  }
}
