// The load driver of benchmarks/service.py: loadtest (https://github.com/alexfernandez/loadtest) sends
// the planned requests at a fixed rate whatever the responses (`requestsPerSecond`: an open loop), and
// this file only says what each request is and when it finished.
//
//   node driver.mjs PLAN.json RESULT.json
//
// PLAN: {url, rate, timeout_ms, connections, idle_ms, bodies: [string], requests: [[class, method, path, key,
// body index or -1]]}. Requests share one pool of at most `connections` keep-alive connections, as behind a
// proxy; a request that waits for one still counts the wait, and idle ones close after `idle_ms` (before
// the server's own keep-alive timeout, so a request never goes out on a connection the server is closing).
// RESULT: per request, in plan order: class, status (0: no response), latency in ms from its intended send
// time (the first send plus k / rate: a request the generator sent late still counts its wait, so there is
// no coordinated omission), why it got no response, and how late the generator sent it. loadtest's timer
// runs on whole milliseconds from just before the first send, so a request may leave up to ~1 ms before
// the time computed here: its latency then counts from the actual send, never less.
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { loadTest } from 'loadtest';

const [planPath, resultPath] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planPath, 'utf8'));
const n = plan.requests.length;
const intervalMs = 1000 / plan.rate;
const bodies = plan.bodies.map((body) => Buffer.from(body));
const status = new Array(n).fill(0);
const latencyMs = new Array(n).fill(null);
const failure = new Array(n).fill(null);
const lagMs = new Array(n).fill(0);
const sentAt = new Array(n).fill(0);
const agent = new Agent({ keepAlive: true, maxSockets: plan.connections, timeout: plan.idle_ms, scheduling: 'lifo' });
let sent = 0;
let t0 = null;

function finish(k, code, why) {
  if (latencyMs[k] !== null) return;
  latencyMs[k] = performance.now() - Math.min(sentAt[k], t0 + k * intervalMs);
  status[k] = code;
  failure[k] = why;
}

// loadtest calls this once per tick of its rate timer, in order: the k-th call sends plan.requests[k].
function requestGenerator(_options, params, request, callback) {
  const now = performance.now();
  if (t0 === null) t0 = now;
  const k = sent++;
  sentAt[k] = now;
  lagMs[k] = Math.max(0, now - (t0 + k * intervalMs));
  const [, method, path, key, bodyIndex] = plan.requests[k];
  const body = bodyIndex >= 0 ? bodies[bodyIndex] : null;
  params.agent = agent;
  params.method = method;
  params.path = path;
  params.headers = { ...params.headers, Authorization: `Bearer ${key}` };
  if (body) {
    params.headers['Content-Type'] = 'application/json';
    params.headers['Content-Length'] = body.length;
  }
  const req = request(params, (res) => {
    res.once('end', () => finish(k, res.statusCode, null));
    res.once('error', (error) => finish(k, 0, error.code || error.name));
    callback(res);
  });
  req.setTimeout(plan.timeout_ms, () => req.destroy(Object.assign(new Error('timeout'), { code: 'Timeout' })));
  req.once('error', (error) => finish(k, 0, error.code || error.name));
  if (body) req.write(body);
  return req;
}

await loadTest({
  url: plan.url,
  requestsPerSecond: plan.rate,
  maxRequests: n,
  maxSeconds: n / plan.rate + plan.timeout_ms / 1000 + 5,
  quiet: true,
  requestGenerator,
});
const elapsedS = (performance.now() - t0) / 1000;
const classes = plan.requests.map((r) => r[0]);
writeFileSync(resultPath, JSON.stringify({ classes, status, latency_ms: latencyMs, failure, lag_ms: lagMs, elapsed_s: elapsedS }));
process.exit(0); // idle keep-alive sockets would hold the process open for seconds
