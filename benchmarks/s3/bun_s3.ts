// Bun's S3Client side of the s3 side-by-side benchmark. Run by main.go as
//   bun bun_s3.ts <mode> <args...>
// with S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and S3_BUCKET set.
// It prints one JSON line: {"count": n, "elapsed_ms": t, "hwm_kb": peakRSS}.
import { S3Client } from "bun";
import { readFileSync } from "fs";

const client = new S3Client({
  accessKeyId: process.env.S3_ACCESS_KEY_ID,
  secretAccessKey: process.env.S3_SECRET_ACCESS_KEY,
  endpoint: process.env.S3_ENDPOINT,
  bucket: process.env.S3_BUCKET,
  region: "us-east-1",
});

function hwmKB(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) : 0;
}

async function pool(n: number, conc: number, op: (i: number) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: conc }, async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      await op(i);
    }
  });
  await Promise.all(workers);
}

const [mode, ...args] = process.argv.slice(2);
const start = performance.now();
let count = 0;
switch (mode) {
  case "list": {
    // list <prefix>: every object under prefix, page by page.
    let token: string | undefined;
    for (;;) {
      const page: any = await client.list({ prefix: args[0], maxKeys: 1000, continuationToken: token });
      count += page.contents?.length ?? 0;
      if (!page.isTruncated) break;
      token = page.nextContinuationToken;
    }
    break;
  }
  case "put": {
    // put <n> <conc> <prefix>: n 1 KiB objects.
    const n = Number(args[0]), conc = Number(args[1]);
    const body = new Uint8Array(1024).fill(98);
    await pool(n, conc, async (i) => {
      await client.write(`${args[2]}${i}`, body);
    });
    count = n;
    break;
  }
  case "get": {
    // get <n> <conc> <nkeys> <prefix>: n reads spread over nkeys objects.
    const n = Number(args[0]), conc = Number(args[1]), nkeys = Number(args[2]);
    await pool(n, conc, async (i) => {
      const b = await client.file(`${args[3]}${i % nkeys}`).bytes();
      if (b.length !== 1024) throw new Error(`short read ${b.length}`);
    });
    count = n;
    break;
  }
  case "upload": {
    // upload <bytes> <partSize> <queueSize> <key>: a streaming upload.
    const total = Number(args[0]);
    const chunk = new Uint8Array(1 << 20);
    crypto.getRandomValues(chunk.subarray(0, 65536));
    for (let i = 65536; i < chunk.length; i += 65536) chunk.copyWithin(i, 0, 65536);
    const w = client.file(args[3]).writer({ partSize: Number(args[1]), queueSize: Number(args[2]), retry: 3 });
    for (let sent = 0; sent < total; sent += chunk.length) {
      const r: any = w.write(chunk);
      if (r && typeof r.then === "function") await r;
      count += chunk.length;
    }
    await w.end();
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
const elapsed = performance.now() - start;
console.log(JSON.stringify({ count, elapsed_ms: elapsed, hwm_kb: hwmKB() }));
