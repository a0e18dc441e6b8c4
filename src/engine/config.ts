/**
 * The `.hostnet.yaml` schema and the resolved, frozen configuration every surface passes down.
 * Validated once at the edge; rules receive only their own options.
 */
import { z } from 'zod';
import type { Severity } from '../model/types.js';

const SeverityOrOff = z.enum(['error', 'warning', 'info', 'off']);

export const RuleSettingSchema = z.union([
  SeverityOrOff,
  z.object({
    severity: SeverityOrOff.optional(),
    options: z.record(z.string(), z.unknown()).optional(),
  }).strict(),
]);

export const ConfigFileSchema = z.object({
  rules: z.record(z.string(), RuleSettingSchema).default({}),
  ignorePaths: z.array(z.string()).default([]),
  cluster: z.string().optional(),
  kubernetesVersion: z.string().regex(/^v?\d+\.\d+/, 'a Kubernetes version such as 1.30').optional(),
  failOn: z.enum(['error', 'warning', 'info']).optional(),
}).strict();

export type ConfigFile = z.input<typeof ConfigFileSchema>;

export interface RuleSetting {
  readonly severity?: Severity | 'off';
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface ResolvedConfig {
  readonly rules: Readonly<Record<string, RuleSetting>>;
  /** `--rule`: when non-empty, only these rules run. */
  readonly only: readonly string[];
  /** `--disable`: these rules never run (wins over everything). */
  readonly disable: readonly string[];
  readonly ignorePaths: readonly string[];
  readonly kubernetesVersion?: string;
  readonly failOn: Severity;
}

export const DEFAULT_CONFIG: ResolvedConfig = Object.freeze({ rules: {}, only: [], disable: [], ignorePaths: [], failOn: 'error' });

export function resolveConfig(file: z.output<typeof ConfigFileSchema> | undefined, flags: Partial<ResolvedConfig> = {}): ResolvedConfig {
  const rules: Record<string, RuleSetting> = {};
  for (const [id, setting] of Object.entries(file?.rules ?? {})) {
    rules[id] = typeof setting === 'string' ? { severity: setting } : setting;
  }
  return deepFreeze({
    rules,
    only: flags.only ?? [],
    disable: flags.disable ?? [],
    ignorePaths: [...(file?.ignorePaths ?? []), ...(flags.ignorePaths ?? [])],
    ...((flags.kubernetesVersion ?? file?.kubernetesVersion) ? { kubernetesVersion: flags.kubernetesVersion ?? file?.kubernetesVersion } : {}),
    failOn: flags.failOn ?? file?.failOn ?? 'error',
  });
}

export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
