"""Interop peer on Debian python3-websockets.

server: echo server with permessage-deflate, picks arsenal.v2; prints PORT n.
client URL: sends text and binary messages of 0, 125, 126, 64 KiB, 1 MiB,
checks each echo and prints one JSON line.
"""
import asyncio, json, sys
import websockets

SIZES = [0, 125, 126, 65536, 1 << 20]

def make(text, n):
    if text:
        a = "abcdefghijklmnopqrstuvwxyz"
        return (a * (n // 26 + 1))[:n]
    return bytes(((i * 31 + (i >> 8)) & 255) for i in range(n))

async def echo(ws, path=None):
    async for msg in ws:
        await ws.send(msg)

async def server():
    async with websockets.serve(echo, "127.0.0.1", 0, subprotocols=["arsenal.v2"],
                                compression="deflate", max_size=None) as s:
        port = s.sockets[0].getsockname()[1]
        print("PORT %d" % port, flush=True)
        await asyncio.Future()

async def client(url):
    res = {"ok": False, "error": "", "protocol": None, "extensions": "", "messages": 0}
    try:
        async with websockets.connect(url, subprotocols=["arsenal.v1", "arsenal.v2"],
                                      compression="deflate", max_size=None) as ws:
            res["protocol"] = ws.subprotocol
            res["extensions"] = ws.response_headers.get("Sec-WebSocket-Extensions", "")
            for n in SIZES:
                for text in (True, False):
                    want = make(text, n)
                    await ws.send(want)
                    got = await ws.recv()
                    if got != want:
                        res["error"] = "echo of %d-byte %s differs" % (n, "text" if text else "binary")
                        print(json.dumps(res)); return
                    res["messages"] += 1
            await ws.close(1000, "done")
            res["ok"] = True
    except Exception as e:
        res["error"] = repr(e)
    print(json.dumps(res), flush=True)

if sys.argv[1] == "server":
    asyncio.run(server())
else:
    asyncio.run(client(sys.argv[2]))
