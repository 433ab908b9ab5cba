// Echo server on Bun.serve: permessage-deflate on, picks arsenal.v2 when
// offered, prints "PORT n".
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req, server) {
    const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((s) => s.trim());
    const headers = offered.includes("arsenal.v2") ? { "Sec-WebSocket-Protocol": "arsenal.v2" } : {};
    if (server.upgrade(req, { headers })) return;
    return new Response("not a websocket", { status: 400 });
  },
  websocket: {
    perMessageDeflate: true,
    maxPayloadLength: 64 << 20,
    message(ws, msg) { ws.send(msg, true); }, // Bun compresses only when asked
  },
});
console.log("PORT " + server.port);
