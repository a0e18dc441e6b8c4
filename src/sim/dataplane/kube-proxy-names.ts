/**
 * kube-proxy's chain names (KP-2), exactly as it makes them. Like portmap's names these are an
 * interface: a real node's `iptables-save` holds them and hostnet traces through them, so they are
 * never renamed. Ref: kubernetes/kubernetes pkg/proxy/iptables/proxier.go#portProtoHash,
 * #servicePortPolicyClusterChain, #servicePortEndpointChainName; pkg/proxy/types.go#ServicePortName.String.
 */
import * as crypto from 'node:crypto';

/** The per-service-port chain prefixes (proxier.go constants block). */
export type ServicePortChainPrefix = 'KUBE-SVC-' | 'KUBE-SVL-' | 'KUBE-EXT-' | 'KUBE-FW-';
export const SERVICE_ENDPOINT_CHAIN_PREFIX = 'KUBE-SEP-';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * RFC 4648 base32 with the standard alphabet and `=` padding, as Go's `base32.StdEncoding`.
 * Node.js has no base32, and only the first 16 characters matter here, but the whole encoding is
 * kept so the function means what its name says.
 */
export function base32Std(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

/** One-shot `crypto.hash` (Node 20.12+) skips a Hash object per name; createHash where it is missing. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;
const sha256 = (text: string): Buffer => (oneShot ? oneShot('sha256', text, 'buffer') : crypto.createHash('sha256').update(text, 'utf8').digest());

/** First 16 characters of base32(SHA-256(text)): the hash part of every kube-proxy service chain. */
function hash16(text: string): string {
  // 16 base32 characters are exactly the first 10 bytes (80 bits): encode only those.
  return base32Std(sha256(text).subarray(0, 10));
}

/**
 * `ns/name:port`, or `ns/name` when the port has no name: ServicePortName.String, the string that
 * is hashed into the chain names and written into every rule comment.
 */
export function servicePortNameOf(namespace: string, name: string, portName: string): string {
  return portName === '' ? `${namespace}/${name}` : `${namespace}/${name}:${portName}`;
}

/**
 * `KUBE-SVC-…`, `KUBE-SVL-…`, `KUBE-EXT-…`, `KUBE-FW-…` for one service port: the prefix and the
 * hash of the service port name followed by the protocol in lower case (`tcp`, `udp`, `sctp`).
 * The four chains of one port share the hash (portProtoHash).
 */
export function servicePortChainName(prefix: ServicePortChainPrefix, servicePortName: string, protocol: string): string {
  return prefix + portProtoHash(servicePortName, protocol);
}

/** The hash the four chains of one service port share (portProtoHash): compute it once, prefix it four times. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return hash16(servicePortName + protocol.toLowerCase());
}

/** `KUBE-SEP-…` for one endpoint (`ip:port`) of a service port (servicePortEndpointChainName). */
export function servicePortEndpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return SERVICE_ENDPOINT_CHAIN_PREFIX + hash16(servicePortName + protocol.toLowerCase() + endpoint);
}
