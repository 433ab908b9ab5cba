// Echo server on node's ws package: permessage-deflate on, picks
// arsenal.v2 when offered, prints "PORT n".
const { WebSocketServer } = require("ws");
const wss = new WebSocketServer({
  host: "127.0.0.1", port: 0, maxPayload: 64 << 20,
  perMessageDeflate: { threshold: 0 },
  handleProtocols: (protocols) => (protocols.has("arsenal.v2") ? "arsenal.v2" : false),
});
wss.on("listening", () => console.log("PORT " + wss.address().port));
wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
