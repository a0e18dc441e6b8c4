/**
 * The API server's defaulting that host networking depends on (DEF-*), per apiVersion.
 * Ref: kubernetes/kubernetes pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go and the
 * removed extensions/v1beta1, apps/v1beta1, apps/v1beta2 defaulters.
 */
import type { WorkloadKind } from './kinds.js';

export type IntOrString = number | string;

export interface UpdateStrategy {
  /** `RollingUpdate`, `Recreate`, `OnDelete`, or `None` for kinds that have no strategy. */
  readonly type: string;
  readonly maxSurge?: IntOrString;
  readonly maxUnavailable?: IntOrString;
  /** True when the type came from the API server's defaulting rather than the manifest. */
  readonly typeDefaulted: boolean;
  readonly path: readonly string[];
}

/** DEF-1: empty dnsPolicy becomes ClusterFirst, for Pods and templates alike. */
export const DEFAULT_DNS_POLICY = 'ClusterFirst';
/** DEF-2: container port protocol. */
export const DEFAULT_PROTOCOL = 'TCP';

interface StrategyDefaults {
  readonly field: 'strategy' | 'updateStrategy' | undefined;
  readonly type: string;
  /** Used whenever the type is RollingUpdate, written or defaulted. */
  readonly maxSurge?: IntOrString;
  readonly maxUnavailable?: IntOrString;
}

/** What each kind and apiVersion defaults its update strategy to (DEF-5 and the legacy groups). */
export function strategyDefaults(kind: WorkloadKind, apiVersion: string): StrategyDefaults {
  switch (kind) {
    case 'Deployment':
      // extensions/v1beta1 defaulted both to 1; every apps/* version uses 25%.
      return apiVersion === 'extensions/v1beta1'
        ? { field: 'strategy', type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 1 }
        : { field: 'strategy', type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' };
    case 'DaemonSet':
      // extensions/v1beta1 DaemonSets default to OnDelete: template changes roll only when pods are deleted.
      return apiVersion === 'extensions/v1beta1'
        ? { field: 'updateStrategy', type: 'OnDelete', maxSurge: 0, maxUnavailable: 1 }
        : { field: 'updateStrategy', type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 };
    case 'StatefulSet':
      return apiVersion === 'apps/v1beta1'
        ? { field: 'updateStrategy', type: 'OnDelete' }
        : { field: 'updateStrategy', type: 'RollingUpdate' };
    default:
      return { field: undefined, type: 'None' };
  }
}
