// Bun's RedisClient side of the redis side-by-side benchmark. Run by
// main.go as
//   bun bun_redis.ts <redis-url> <SET|GET|HSET|LPUSH> <callers> <duration-ms>
// With one caller it awaits each command before the next and reports the
// median latency; with many it runs that many concurrent loops, which
// Bun's client auto-pipelines. It prints one JSON line:
//   {"ops": n, "elapsed_ms": t, "p50_us": median}
import { RedisClient } from "bun";

const [url, op, callersArg, durArg] = process.argv.slice(2);
const callers = Number(callersArg);
const durationMs = Number(durArg);
const client = new RedisClient(url, { enableAutoPipelining: true });
await client.connect();

const key = "bun:bench:" + process.pid;
await client.set(key + ":s", "value");
const ops: Record<string, () => Promise<unknown>> = {
  SET: () => client.set(key + ":s", "value"),
  GET: () => client.get(key + ":s"),
  HSET: () => client.send("HSET", [key + ":h", "f", "v"]),
  LPUSH: () => client.send("LPUSH", [key + ":l", "v"]),
};
const fn = ops[op];
if (!fn) throw new Error("unknown op " + op);

// Warm up.
for (let i = 0; i < 200; i++) await fn();

const lat: number[] = [];
let count = 0;
const start = performance.now();
const end = start + durationMs;
if (callers === 1) {
  while (performance.now() < end) {
    const t0 = performance.now();
    await fn();
    lat.push(performance.now() - t0);
    count++;
  }
} else {
  const worker = async () => {
    while (performance.now() < end) {
      await fn();
      count++;
    }
  };
  await Promise.all(Array.from({ length: callers }, worker));
}
const elapsed = performance.now() - start;
lat.sort((a, b) => a - b);
const p50 = lat.length ? lat[Math.floor(lat.length / 2)] * 1000 : 0;
await client.send("DEL", [key + ":s", key + ":h", key + ":l"]);
client.close();
console.log(JSON.stringify({ ops: count, elapsed_ms: elapsed, p50_us: p50 }));
