// Interop client for node (ws package) and Bun (global WebSocket): connects
// with two subprotocols, sends text and binary messages of 0, 125, 126,
// 64 KiB and 1 MiB, checks every echo byte for byte, and prints one JSON
// line: {"ok":..,"protocol":..,"extensions":..,"messages":..,"error":..}.
const WS = globalThis.WebSocket ?? require("ws");
const url = process.argv[2];
const sizes = [0, 125, 126, 65536, 1 << 20];
const cases = [];
for (const n of sizes) { cases.push({ text: true, n }); cases.push({ text: false, n }); }
function make(c) {
  if (c.text) { let s = ""; const a = "abcdefghijklmnopqrstuvwxyz"; while (s.length < c.n) s += a; return s.slice(0, c.n); }
  const b = new Uint8Array(c.n); for (let i = 0; i < c.n; i++) b[i] = (i * 31 + (i >> 8)) & 255; return b;
}
function same(c, data) {
  const want = make(c);
  if (c.text) return typeof data === "string" && data === want;
  if (typeof data === "string") return false;
  const got = new Uint8Array(data instanceof ArrayBuffer ? data : data.buffer ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data);
  if (got.length !== want.length) return false;
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return false;
  return true;
}
const ws = new WS(url, ["arsenal.v1", "arsenal.v2"]);
ws.binaryType = "arraybuffer";
let i = 0;
const done = (ok, error) => {
  console.log(JSON.stringify({ ok, error, protocol: ws.protocol, extensions: ws.extensions, messages: i }));
  try { ws.close(1000, "done"); } catch {}
  setTimeout(() => process.exit(0), 200);
};
ws.onopen = () => ws.send(make(cases[0]));
ws.onmessage = (ev) => {
  if (!same(cases[i], ev.data)) return done(false, `echo ${i} (${JSON.stringify(cases[i])}) differs`);
  i++;
  if (i === cases.length) return done(true, "");
  ws.send(make(cases[i]));
};
ws.onerror = (e) => done(false, "error: " + (e.message || e.type));
setTimeout(() => done(false, "timeout"), 60000);
