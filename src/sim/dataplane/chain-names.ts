/**
 * Chain names of the CNI portmap plugin, exactly as it makes them. These names are an interface:
 * a real node's `iptables-save` holds them, and hostnet parses and traces through them, so they
 * must never be renamed. Ref: containernetworking/plugins pkg/utils/utils.go
 * (MustFormatChainNameWithPrefix, MustFormatHashWithPrefix) and plugins/meta/portmap (PM-*).
 */
import { createHash } from 'node:crypto';

/** The top-level chains portmap creates (PM-5). Never rename. */
export const CNI_HOSTPORT_DNAT = 'CNI-HOSTPORT-DNAT';
export const CNI_HOSTPORT_SETMARK = 'CNI-HOSTPORT-SETMARK';
export const CNI_HOSTPORT_MASQ = 'CNI-HOSTPORT-MASQ';

/** iptables chain names are at most 28 characters; the CNI utilities fill them to exactly that. */
const MAX_CHAIN_LENGTH = 28;
const CHAIN_PREFIX = 'CNI-';

/** `prefix` followed by the hex SHA-512 of `toHash`, cut to `length` (MustFormatHashWithPrefix). */
export function formatHashWithPrefix(length: number, prefix: string, toHash: string): string {
  if (prefix.length >= length || length > 128) throw new Error(`hostnet bug: chain name prefix ${prefix} does not fit in ${length} characters`);
  return `${prefix}${createHash('sha512').update(toHash, 'utf8').digest('hex')}`.slice(0, length);
}

/** `CNI-<prefix><hash of network name + container id>`, 28 characters (MustFormatChainNameWithPrefix). */
export function chainNameWithPrefix(netName: string, containerId: string, prefix: string): string {
  return formatHashWithPrefix(MAX_CHAIN_LENGTH, CHAIN_PREFIX + prefix, netName + containerId);
}

/** The per-sandbox DNAT chain, `CNI-DN-…` (PM-5). */
export function portmapDnatChainName(netName: string, containerId: string): string {
  return chainNameWithPrefix(netName, containerId, 'DN-');
}

/** The per-sandbox SNAT chain of the plugin's older hairpin mode, `CNI-SN-…`. */
export function portmapSnatChainName(netName: string, containerId: string): string {
  return chainNameWithPrefix(netName, containerId, 'SN-');
}
