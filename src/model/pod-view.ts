/**
 * Every pod-bearing kind reduced to one PodView: the pod spec with the defaults that matter
 * applied as values beside the raw spec (never by mutating it), where it came from, how many
 * replicas, which update strategy. Rules and simulators read PodViews; only this module knows where
 * each kind keeps its template.
 */
import { DEFAULT_DNS_POLICY, DEFAULT_PROTOCOL, strategyDefaults, type UpdateStrategy } from './defaults.js';
import { isWorkloadKind, POD_SPEC_PATH, type WorkloadKind } from './kinds.js';
import type { FieldPath, KubeObject } from './types.js';

export type ContainerKind = 'container' | 'initContainer' | 'ephemeralContainer';

export interface PortView {
  readonly index: number;
  /** Path of this `ports[]` entry from the object root. */
  readonly path: FieldPath;
  readonly raw: Readonly<Record<string, unknown>>;
  readonly name: unknown;
  readonly containerPort: unknown;
  /** `hostPort` as written (undefined when absent). */
  readonly hostPort: unknown;
  /** Protocol after DEF-2 (TCP when absent). */
  readonly protocol: unknown;
  /** `hostIP` as written, '' when absent (DEF-4: no default). */
  readonly hostIP: unknown;
}

export interface ContainerView {
  readonly kind: ContainerKind;
  readonly index: number;
  readonly name: string;
  /** Path of this container from the object root. */
  readonly path: FieldPath;
  readonly raw: Readonly<Record<string, unknown>>;
  /** An init container with `restartPolicy: Always` (a sidecar): it runs beside the main containers. */
  readonly restartable: boolean;
  readonly ports: readonly PortView[];
}

/** A host port as the scheduler counts it (SCHED-1, SCHED-2). */
export interface HostPort {
  /** hostIP as a raw string, `0.0.0.0` when empty (SCHED-2). */
  readonly hostIP: string;
  readonly port: number;
  readonly protocol: string;
  /** True when DEF-3 implied it from a containerPort on a hostNetwork pod. */
  readonly implied: boolean;
  readonly container: ContainerView;
  readonly portView: PortView;
}

export interface PodView {
  readonly object: KubeObject;
  readonly kind: WorkloadKind;
  /** Path of the pod spec from the object root. */
  readonly specPath: FieldPath;
  /** Path of the pod metadata (template metadata for workloads). */
  readonly metadataPath: FieldPath;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly podMetadata: Readonly<Record<string, unknown>>;
  /** A workload template rather than a Pod: validation differs (VAL-8) and DEF-3 is not written into it. */
  readonly isTemplate: boolean;
  /** `metadata.namespace`, or `default` when the manifest leaves it to `kubectl -n`. */
  readonly namespace: string;
  readonly hostNetwork: boolean;
  /** After DEF-1. */
  readonly dnsPolicy: unknown;
  readonly dnsPolicyWritten: boolean;
  readonly containers: readonly ContainerView[];
  /** Host ports the scheduler reserves: regular and sidecar containers, hostPort > 0 after DEF-3. */
  readonly hostPorts: readonly HostPort[];
  /** Desired pods; undefined for DaemonSets (one per eligible node) and CronJobs. */
  readonly replicas: number | undefined;
  readonly strategy: UpdateStrategy;
  /** Build a path below the pod spec: `view.at('containers', 0)`. */
  at(...rel: FieldPath): FieldPath;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value at `path` below `root`, or undefined. */
export function getPath(root: unknown, path: FieldPath): unknown {
  let node = root;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

const CONTAINER_LISTS: ReadonlyArray<[string, ContainerKind]> = [
  ['initContainers', 'initContainer'],
  ['containers', 'container'],
  ['ephemeralContainers', 'ephemeralContainer'],
];

function containersOf(spec: Record<string, unknown>, specPath: FieldPath): ContainerView[] {
  const out: ContainerView[] = [];
  for (const [field, kind] of CONTAINER_LISTS) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c, index) => {
      if (!isRecord(c)) return;
      const path = [...specPath, field, index];
      const ports: PortView[] = [];
      if (Array.isArray(c.ports)) {
        c.ports.forEach((p, pi) => {
          if (!isRecord(p)) return;
          ports.push({
            index: pi,
            path: [...path, 'ports', pi],
            raw: p,
            name: p.name,
            containerPort: p.containerPort,
            hostPort: p.hostPort,
            // DEF-2: an absent or empty protocol becomes TCP.
            protocol: p.protocol === undefined || p.protocol === null || p.protocol === '' ? DEFAULT_PROTOCOL : p.protocol,
            hostIP: p.hostIP ?? '',
          });
        });
      }
      out.push({
        kind, index, path, raw: c, ports,
        name: typeof c.name === 'string' ? c.name : `${field}[${index}]`,
        restartable: kind === 'initContainer' && c.restartPolicy === 'Always',
      });
    });
  }
  return out;
}

function positivePort(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 65535 ? v : undefined;
}

/** SCHED-1/SCHED-2 host ports, with DEF-3 applied for hostNetwork pods. */
function hostPortsOf(containers: readonly ContainerView[], hostNetwork: boolean): HostPort[] {
  const out: HostPort[] = [];
  for (const c of containers) {
    if (c.kind === 'ephemeralContainer' || (c.kind === 'initContainer' && !c.restartable)) continue;
    for (const p of c.ports) {
      let port = positivePort(p.hostPort);
      let implied = false;
      if (port === undefined && hostNetwork && (p.hostPort === undefined || p.hostPort === 0 || p.hostPort === null)) {
        port = positivePort(p.containerPort);
        implied = port !== undefined;
      }
      if (port === undefined) continue;
      out.push({
        hostIP: typeof p.hostIP === 'string' && p.hostIP !== '' ? p.hostIP : '0.0.0.0',
        port,
        protocol: typeof p.protocol === 'string' && p.protocol !== '' ? p.protocol : DEFAULT_PROTOCOL,
        implied, container: c, portView: p,
      });
    }
  }
  return out;
}

function replicasOf(kind: WorkloadKind, raw: Record<string, unknown>): number | undefined {
  const spec = isRecord(raw.spec) ? raw.spec : {};
  switch (kind) {
    case 'Pod': return 1;
    case 'DaemonSet': case 'CronJob': return undefined;
    case 'Job': {
      // The Job controller runs min(parallelism, completions) pods at once; parallelism defaults to 1.
      const parallelism = typeof spec.parallelism === 'number' ? spec.parallelism : 1;
      return typeof spec.completions === 'number' ? Math.min(parallelism, spec.completions) : parallelism;
    }
    default: return typeof spec.replicas === 'number' ? spec.replicas : 1;
  }
}

function strategyOf(kind: WorkloadKind, apiVersion: string, raw: Record<string, unknown>): UpdateStrategy {
  const d = strategyDefaults(kind, apiVersion);
  if (d.field === undefined) return { type: 'None', typeDefaulted: true, path: [] };
  const written = getPath(raw, ['spec', d.field]);
  const s = isRecord(written) ? written : {};
  const type = typeof s.type === 'string' ? s.type : d.type;
  const ru = isRecord(s.rollingUpdate) ? s.rollingUpdate : {};
  const intOrString = (v: unknown): number | string | undefined => (typeof v === 'number' || typeof v === 'string' ? v : undefined);
  return {
    type,
    typeDefaulted: typeof s.type !== 'string',
    path: ['spec', d.field],
    ...(type === 'RollingUpdate'
      ? {
          maxSurge: intOrString(ru.maxSurge) ?? d.maxSurge,
          maxUnavailable: intOrString(ru.maxUnavailable) ?? d.maxUnavailable,
        }
      : {}),
  };
}

/** The PodView of a workload object, or undefined when the kind carries no pods or has no pod spec. */
export function podViewOf(object: KubeObject): PodView | undefined {
  if (!isWorkloadKind(object.kind)) return undefined;
  const kind = object.kind;
  const specPath = POD_SPEC_PATH[kind];
  const spec = getPath(object.raw, specPath);
  if (!isRecord(spec)) return undefined;
  const metadataPath = [...specPath.slice(0, -1), 'metadata'];
  const podMetadata = getPath(object.raw, metadataPath);
  const hostNetwork = spec.hostNetwork === true;
  const containers = containersOf(spec, specPath);
  const dnsPolicyWritten = spec.dnsPolicy !== undefined && spec.dnsPolicy !== null && spec.dnsPolicy !== '';
  return {
    object, kind, specPath, metadataPath, spec,
    podMetadata: isRecord(podMetadata) ? podMetadata : {},
    isTemplate: kind !== 'Pod',
    namespace: object.namespace ?? 'default',
    hostNetwork,
    dnsPolicy: dnsPolicyWritten ? spec.dnsPolicy : DEFAULT_DNS_POLICY,
    dnsPolicyWritten,
    containers,
    hostPorts: hostPortsOf(containers, hostNetwork),
    replicas: replicasOf(kind, object.raw as Record<string, unknown>),
    strategy: strategyOf(kind, object.apiVersion, object.raw as Record<string, unknown>),
    at: (...rel) => [...specPath, ...rel],
  };
}
