// Open N idle TCP connections to the server (sending nothing), then ask it
// something over a fresh connection while they are all still open. Prints
// "opened=<n> status=<code>" and exits 0 when the request was answered.
// The request comes from FROM (another loopback address, 127.0.0.2) when
// given: the server limits the connections of one address.
// usage: node idle.mjs PORT N TOKEN [FROM]
import net from 'node:net';
import http from 'node:http';

const [port, n, token, from] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4], process.argv[5]];
const socks = [];
let opened = 0, failed = 0;

await new Promise((resolve) => {
  let pending = n;
  for (let i = 0; i < n; i++) {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('connect', () => { opened++; if (--pending === 0) resolve(); });
    s.on('error', () => { failed++; if (--pending === 0) resolve(); });
    s.on('close', () => {});
    socks.push(s);
  }
});

const status = await new Promise((resolve) => {
  const req = http.get({ host: '127.0.0.1', port, path: '/v1/me', agent: false,
    ...(from ? { localAddress: from } : {}),
    headers: { Authorization: `Bearer ${token}` }, timeout: 10000 }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode));
  });
  req.on('timeout', () => { req.destroy(); resolve('timeout'); });
  req.on('error', (e) => resolve(`error:${e.code}`));
});

console.log(`opened=${opened} failed=${failed} status=${status}`);
for (const s of socks) s.destroy();
process.exit(status === 200 ? 0 : 1);
