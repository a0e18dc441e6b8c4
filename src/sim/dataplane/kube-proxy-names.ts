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

const SHA256_K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const sha256W = new Int32Array(64);
const sha256H = new Int32Array(8);
const sha256Block = new Int32Array(16);

/**
 * SHA-256 (FIPS 180-4) of a short ASCII string, the first 10 bytes of the digest into `out`. The
 * names kube-proxy hashes are ASCII and under 56 bytes, one block; a call into node:crypto per name
 * costs more than the 64 rounds themselves (60k names in the 10k-Service bench). Returns false
 * for anything else (non-ASCII or longer), and the caller uses node:crypto.
 */
function sha256ShortAscii(text: string, out: Uint8Array): boolean {
  const n = text.length;
  if (n > 55) return false;
  const m = sha256Block;
  m.fill(0);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) return false;
    m[i >> 2]! |= c << (24 - 8 * (i & 3));
  }
  m[n >> 2]! |= 0x80 << (24 - 8 * (n & 3));
  m[15] = n * 8;
  const w = sha256W;
  for (let t = 0; t < 16; t++) w[t] = m[t]!;
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15]!;
    const y = w[t - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
  }
  let a = 0x6a09e667 | 0, b = 0xbb67ae85 | 0, c = 0x3c6ef372 | 0, d = 0xa54ff53a | 0;
  let e = 0x510e527f | 0, f = 0x9b05688c | 0, g = 0x1f83d9ab | 0, h = 0x5be0cd19 | 0;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + SHA256_K[t]! + w[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  const hs = sha256H;
  hs[0] = (a + 0x6a09e667) | 0; hs[1] = (b + (0xbb67ae85 | 0)) | 0; hs[2] = (c + 0x3c6ef372) | 0;
  for (let i = 0; i < 10; i++) out[i] = (hs[i >> 2]! >>> (24 - 8 * (i & 3))) & 255;
  return true;
}
const digest10 = new Uint8Array(10);

/** First 16 characters of base32(SHA-256(text)): the hash part of every kube-proxy service chain. */
function hash16(text: string): string {
  // 16 base32 characters are exactly the first 10 bytes (80 bits): encode only those.
  return base32Std(sha256ShortAscii(text, digest10) ? digest10 : sha256(text).subarray(0, 10));
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
