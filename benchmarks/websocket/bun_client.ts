// Bun WebSocket client for the websocket bench. Modes:
//   echo URL CONNS MS     -> {"rate": round trips per second}
//   handshake URL N       -> {"p50_us": .., "p99_us": ..}
//   json URL FILE         -> {"ok": 1} after echoing every message of FILE
const [mode, url, a, b] = process.argv.slice(2);
const open = () => new Promise<WebSocket>((res, rej) => {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => res(ws);
  ws.onerror = (e) => rej(new Error("connect failed"));
});
if (mode === "echo") {
  const conns = Number(a), ms = Number(b);
  const msg = new Uint8Array(1024).map((_, i) => (i * 31) & 255);
  const socks = await Promise.all(Array.from({ length: conns }, open));
  let count = 0, stop = false;
  const start = performance.now();
  for (const ws of socks) {
    ws.onmessage = () => { count++; if (!stop) ws.send(msg); };
    ws.send(msg);
  }
  await Bun.sleep(ms);
  stop = true;
  const rate = count / ((performance.now() - start) / 1000);
  for (const ws of socks) ws.close();
  console.log(JSON.stringify({ rate }));
} else if (mode === "handshake") {
  const n = Number(a);
  const d: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const ws = await open();
    d.push((performance.now() - t) * 1000);
    ws.close();
  }
  d.sort((x, y) => x - y);
  console.log(JSON.stringify({ p50_us: d[Math.floor(n * 0.5)], p99_us: d[Math.min(n - 1, Math.floor(n * 0.99))] }));
} else if (mode === "json") {
  const set: string[] = JSON.parse(await Bun.file(a).text());
  const ws = await open();
  for (const m of set) {
    await new Promise<void>((res) => { ws.onmessage = () => res(); ws.send(m); });
  }
  ws.close();
  await Bun.sleep(100);
  console.log(JSON.stringify({ ok: 1 }));
}
process.exit(0);
