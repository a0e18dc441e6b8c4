/**
 * One line of `hostnet lab verify`: what hostnet predicted, what the kernel did, and whether they
 * agree. Every probe group (ports, Services, binds, DNS) produces these; verify.ts prints them.
 */
export type ProbeGroup = 'host ports' | 'hostNetwork ports' | 'Services' | 'port conflicts' | 'DNS' | 'DNS outage';

export interface ProbeRow {
  readonly group: ProbeGroup;
  /** What is probed: `host port 8080/TCP on worker-1 (192.168.10.11)`, `getent hosts web` … */
  readonly subject: string;
  /** Who probes: `from outside the cluster`, `pod Deployment default/web (pod 1 of 3)` … */
  readonly from: string;
  /** hostnet's prediction in a few words: `answered by Pod default/x`, `refused`, `resolves to 10.96.0.12`. */
  readonly predicted: string;
  /** What the kernel did, in the same words where it agrees. */
  readonly observed: string;
  readonly agree: boolean;
  /** Why hostnet predicted it (the rule path, the resolver steps), printed when they disagree. */
  readonly why?: string;
}
