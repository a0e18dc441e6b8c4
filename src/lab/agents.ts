/**
 * The small programs the lab runs inside its namespaces, as source text for `node -e`: they need
 * no file on disk, so they run the same from a checkout, from dist and under the test runner.
 * Plain JavaScript with only node: built-ins; the lab starts them with process.execPath.
 */

/**
 * A pod's (or a hostNetwork pod's) server: listens on 0.0.0.0 on each TCP and UDP port it is given
 * and answers every connection or datagram with `served-by=<id> client=<address>`. Prints one line
 * `ready {"bound":[…],"failed":[…]}` once every bind was tried, then serves until killed.
 * argv[1]: {"id": string, "listen": [{"port": number, "protocol": "TCP"|"UDP"}]}
 */
export const ECHO_SERVER = `
const net = require('node:net'), dgram = require('node:dgram');
const cfg = JSON.parse(process.argv[1]);
const bound = [], failed = [];
let pending = cfg.listen.length;
const done = () => { if (--pending === 0) console.log('ready ' + JSON.stringify({ bound, failed })); };
const reply = (addr) => 'served-by=' + cfg.id + ' client=' + String(addr).replace(/^::ffff:/, '') + '\\n';
for (const l of cfg.listen) {
  if (l.protocol === 'UDP') {
    const s = dgram.createSocket('udp4');
    s.on('message', (m, r) => s.send(reply(r.address), r.port, r.address));
    s.once('error', (e) => { failed.push({ ...l, code: e.code }); done(); });
    s.bind(l.port, '0.0.0.0', () => { bound.push(l); done(); });
  } else {
    const s = net.createServer((c) => { c.on('error', () => {}); c.end(reply(c.remoteAddress)); });
    s.once('error', (e) => { failed.push({ ...l, code: e.code }); done(); });
    s.listen({ port: l.port, host: '0.0.0.0', exclusive: true }, () => { bound.push(l); done(); });
  }
}
if (pending === 0) console.log('ready ' + JSON.stringify({ bound, failed }));
`;

/**
 * Probes, all at once: for each target, a TCP connection (or a UDP datagram) from an optional
 * source address, and what came of it: `reply` with the text, `refused`, `unreachable` or
 * `timeout`. Prints one JSON array.
 * argv[1]: {"timeoutMs": number, "targets": [{"key": string, "ip": string, "port": number, "protocol": "TCP"|"UDP", "src"?: string}]}
 */
export const PROBE_CLIENT = `
const net = require('node:net'), dgram = require('node:dgram');
const cfg = JSON.parse(process.argv[1]);
const kindOf = (code) => code === 'ECONNREFUSED' ? 'refused' : (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') ? 'unreachable' : 'error:' + code;
function tcp(t) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
    let data = '', settled = false;
    const finish = (r) => { if (!settled) { settled = true; c.destroy(); resolve({ key: t.key, ms: ms(), ...r }); } };
    const c = net.connect({ host: t.ip, port: t.port, ...(t.src ? { localAddress: t.src } : {}) });
    c.setTimeout(cfg.timeoutMs, () => finish(data ? { kind: 'reply', text: data } : { kind: 'timeout' }));
    c.on('data', (d) => { data += d; });
    c.on('end', () => finish(data ? { kind: 'reply', text: data } : { kind: 'closed' }));
    c.on('error', (e) => finish({ kind: kindOf(e.code) }));
  });
}
function udp(t) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const s = dgram.createSocket('udp4');
    let settled = false;
    const finish = (r) => { if (!settled) { settled = true; clearTimeout(timer); s.close(); resolve({ key: t.key, ms: Number(process.hrtime.bigint() - t0) / 1e6, ...r }); } };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), cfg.timeoutMs);
    s.on('message', (m) => finish({ kind: 'reply', text: String(m) }));
    s.on('error', (e) => finish({ kind: kindOf(e.code) }));
    s.bind(0, t.src || undefined, () => s.connect(t.port, t.ip, (e) => { if (e) finish({ kind: kindOf(e.code) }); else s.send('probe'); }));
  });
}
Promise.all(cfg.targets.map((t) => (t.protocol === 'UDP' ? udp(t) : tcp(t)))).then((r) => { process.stdout.write(JSON.stringify(r)); });
`;

/**
 * Bind attempts: tries to listen on each address, reports `ok` or the error code, and lets go at
 * once. The kernel's view of a port conflict. Prints one JSON array.
 * argv[1]: {"binds": [{"key": string, "ip": string, "port": number, "protocol": "TCP"|"UDP"}]}
 */
export const BIND_PROBE = `
const net = require('node:net'), dgram = require('node:dgram');
const cfg = JSON.parse(process.argv[1]);
const one = (b) => new Promise((resolve) => {
  if (b.protocol === 'UDP') {
    const s = dgram.createSocket('udp4');
    s.once('error', (e) => resolve({ key: b.key, result: e.code }));
    s.bind(b.port, b.ip, () => { s.close(); resolve({ key: b.key, result: 'ok' }); });
  } else {
    const s = net.createServer();
    s.once('error', (e) => resolve({ key: b.key, result: e.code }));
    s.listen({ port: b.port, host: b.ip, exclusive: true }, () => s.close(() => resolve({ key: b.key, result: 'ok' })));
  }
});
(async () => { const out = []; for (const b of cfg.binds) out.push(await one(b)); process.stdout.write(JSON.stringify(out)); })();
`;
