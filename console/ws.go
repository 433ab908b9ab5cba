package console

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/websocket"
)

const echoProtocol = "arsenal.echo.v1"

// echoProtocols are the subprotocols the console's echo server speaks.
var echoProtocols = []string{echoProtocol, "arsenal.json.v2", "graphql-transport-ws"}

// wsDemo is the WebSocket tab: the console's own echo server (this
// library's websocket.Server on a loopback port) and the dialer.
type wsDemo struct {
	c *Console

	mu     sync.Mutex
	srv    *websocket.Server
	hs     *http.Server
	url    string
	closed bool
}

func newWSDemo(c *Console) *wsDemo { return &wsDemo{c: c} }

func (d *wsDemo) routes(m *http.ServeMux) {
	m.HandleFunc("POST /api/websocket/connect", d.connect)
}

// echo starts the echo server on first use and returns its URL.
func (d *wsDemo) echo() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.url != "" {
		return d.url, nil
	}
	if d.closed {
		return "", arsenal.Errorf(arsenal.FailedPrecondition, Kind, "echo", "the console is closed")
	}
	srv, err := websocket.NewServer(websocket.ServerConfig{
		Subprotocols: echoProtocols,
		Compression:  true,
		MaxPayload:   1 << 20,
		Upgrade: func(r *http.Request) (any, http.Header, error) {
			seen := map[string]string{}
			for name, vals := range r.Header {
				if strings.HasPrefix(name, "X-") || name == "Authorization" {
					v := strings.Join(vals, ", ")
					if name == "Authorization" {
						v = "(" + fmt.Sprint(len(v)) + " bytes, not shown)"
					}
					seen[name] = v
				}
			}
			return seen, nil, nil
		},
		OnOpen: func(c *websocket.Conn) {
			hello, _ := json.Marshal(map[string]any{"hello": "arsenal echo", "headersSeen": c.Data()})
			_ = c.Send(websocket.Text, hello)
		},
		OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) { _ = c.Send(typ, data) },
	})
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return "", arsenal.Wrap(Kind, "echo", err)
	}
	d.srv = srv
	d.hs = &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go d.hs.Serve(l)
	d.url = "ws://" + l.Addr().String() + "/echo"
	return d.url, nil
}

func (d *wsDemo) echoURLForForm() string {
	if u, err := d.echo(); err == nil {
		return u
	}
	return "ws://127.0.0.1:8080/echo"
}

type wsRequest struct {
	URL          string      `json:"url"` // "" for the echo server, else one of Options.DialURLs
	Subprotocols []string    `json:"subprotocols"`
	Headers      [][2]string `json:"headers"`
	Compression  bool        `json:"compression"`
	Messages     int         `json:"messages"`
}

type wsLogLine struct {
	Dir   string `json:"dir"` // "sent" or "received"
	Bytes int    `json:"bytes"`
	Text  string `json:"text"`
}

type wsView struct {
	URL         string      `json:"url"`
	Subprotocol string      `json:"subprotocol"`
	Extensions  string      `json:"extensions"`
	Compression string      `json:"compression"`
	RTTs        []int64     `json:"rttsNs"`
	PayloadOut  uint64      `json:"payloadOut"`
	WireOut     uint64      `json:"wireOut"`
	PayloadIn   uint64      `json:"payloadIn"`
	WireIn      uint64      `json:"wireIn"`
	Ratio       float64     `json:"ratio"` // wire bytes out / payload bytes out
	Log         []wsLogLine `json:"log"`
	HandshakeNS int64       `json:"handshakeNs"`
}

func (d *wsDemo) connect(w http.ResponseWriter, r *http.Request) {
	var req wsRequest
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if req.Messages <= 0 {
		req.Messages = 10
	}
	if req.Messages > 100 || len(req.Subprotocols) > 16 {
		writeErr(w, arsenal.Errorf(arsenal.InvalidArgument, Kind, "websocket", "at most 100 messages and 16 subprotocols"))
		return
	}
	target := req.URL
	if target == "" {
		u, err := d.echo()
		if err != nil {
			writeErr(w, err)
			return
		}
		target = u
	} else {
		// The page knows the allowed URLs redacted.
		i := slices.IndexFunc(d.c.opts.DialURLs, func(u string) bool { return u == target || arsenal.RedactURL(u) == target })
		if i < 0 {
			writeErr(w, arsenal.Errorf(arsenal.PermissionDenied, Kind, "websocket", "%s is not in Options.DialURLs", arsenal.RedactURL(target)))
			return
		}
		target = d.c.opts.DialURLs[i]
	}
	hdr, err := headerOf(req.Headers)
	if err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := opCtx(r)
	defer cancel()
	start := time.Now()
	conn, err := websocket.Dial(ctx, target, &websocket.Options{Subprotocols: req.Subprotocols, Header: hdr,
		DisableCompression: !req.Compression, CompressionThreshold: -1, ReadLimit: 1 << 20})
	if err != nil {
		writeErr(w, err)
		return
	}
	defer conn.Close()
	v := wsView{URL: arsenal.RedactURL(target), Subprotocol: conn.Subprotocol(), HandshakeNS: time.Since(start).Nanoseconds(),
		Extensions: conn.ResponseHeader().Get("Sec-WebSocket-Extensions"), Compression: conn.Compression().String(),
		RTTs: []int64{}, Log: []wsLogLine{}}
	if cp := conn.Compression(); v.Extensions == "" && cp.Enabled {
		v.Extensions = cp.String()
	}
	if req.URL == "" { // the echo server greets first
		if _, hello, err := conn.Read(ctx); err == nil {
			v.Log = append(v.Log, wsLogLine{Dir: "received", Bytes: len(hello), Text: string(hello)})
		}
	}
	for i := range req.Messages {
		msg := fmt.Sprintf(`{"type":"price","symbol":"ARSL","seq":%d,"bid":101.25,"ask":101.27,"venue":"demo","tags":["json","sample","ws"]}`, i)
		t := time.Now()
		if err := conn.WriteText(ctx, msg); err != nil {
			writeErr(w, err)
			return
		}
		_, data, err := conn.Read(ctx)
		if err != nil {
			writeErr(w, err)
			return
		}
		v.RTTs = append(v.RTTs, time.Since(t).Nanoseconds())
		if i < 3 {
			v.Log = append(v.Log, wsLogLine{Dir: "sent", Bytes: len(msg), Text: msg}, wsLogLine{Dir: "received", Bytes: len(data), Text: string(data)})
		}
	}
	tr := conn.Traffic()
	v.PayloadOut, v.WireOut, v.PayloadIn, v.WireIn = tr.PayloadOut, tr.WireOut, tr.PayloadIn, tr.WireIn
	if tr.PayloadOut > 0 {
		v.Ratio = float64(tr.WireOut) / float64(tr.PayloadOut)
	}
	d.c.live.publish("ws", map[string]any{"type": "connected", "subprotocol": v.Subprotocol, "ratio": v.Ratio})
	writeJSON(w, v)
}

func (d *wsDemo) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.srv != nil {
		d.srv.Close()
		d.hs.Close()
		d.srv, d.hs, d.url = nil, nil, ""
	}
}
