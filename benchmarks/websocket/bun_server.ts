// Bun.serve echo server for the websocket bench; "compress" turns on
// permessage-deflate (Bun compresses a send only when asked). Prints PORT n.
const compress = process.argv[2] === "compress";
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req, server) {
    if (server.upgrade(req)) return;
    return new Response("not a websocket", { status: 400 });
  },
  websocket: {
    perMessageDeflate: compress,
    maxPayloadLength: 64 << 20,
    idleTimeout: 0,
    message(ws, msg) { ws.send(msg, compress); },
  },
});
console.log("PORT " + server.port);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
