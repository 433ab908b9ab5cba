package websocket_test

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/websocket"
)

//go:embed testdata/interop_chromium.html
var chromiumPage string

// peerResult is the JSON line an interop client script prints.
type peerResult struct {
	OK         bool    `json:"ok"`
	Error      string  `json:"error"`
	Protocol   *string `json:"protocol"`
	Extensions string  `json:"extensions"`
	Messages   int     `json:"messages"`
}

const peerMessages = 10 // 5 sizes, text and binary

func script(t *testing.T, name string) string {
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startPeerServer runs a peer echo server and returns its ws:// URL.
func startPeerServer(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "PORT "); ok {
				port <- p
			}
		}
	}()
	select {
	case p := <-port:
		return "ws://127.0.0.1:" + p + "/"
	case <-time.After(30 * time.Second):
		t.Fatalf("peer server did not start: %s", stderr.String())
	}
	return ""
}

// goClientAgainst checks the arsenal client against a peer server.
func goClientAgainst(t *testing.T, url string) {
	ctx := ctxT(t, 60*time.Second)
	c, err := websocket.Dial(ctx, url, &websocket.Options{Subprotocols: []string{"arsenal.v1", "arsenal.v2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Subprotocol() != "arsenal.v2" {
		t.Errorf("subprotocol %q, want arsenal.v2", c.Subprotocol())
	}
	if !c.Compression().Enabled {
		t.Errorf("compression not negotiated")
	}
	t.Logf("negotiated %q, %s", c.Subprotocol(), c.Compression())
	for _, n := range []int{0, 125, 126, 64 << 10, 1 << 20} {
		for _, typ := range []websocket.MessageType{websocket.Text, websocket.Binary} {
			msg := payload(n, typ)
			if err := c.Write(ctx, typ, msg); err != nil {
				t.Fatal(err)
			}
			gt, got, err := c.Read(ctx)
			if err != nil || gt != typ || string(got) != string(msg) {
				t.Fatalf("%d-byte %v echo: got %v %d bytes, %v", n, typ, gt, len(got), err)
			}
		}
	}
	if tr := c.Traffic(); tr.WireIn >= tr.PayloadIn {
		t.Errorf("peer sent %d wire bytes for %d payload bytes: nothing compressed", tr.WireIn, tr.PayloadIn)
	}
	if err := c.CloseWith(websocket.StatusNormalClosure, "done"); err != nil {
		t.Fatal(err)
	}
}

// interopServer is the arsenal server the peer clients talk to.
func interopServer(t *testing.T) (string, *httptest.Server, func() []string) {
	var mu sync.Mutex
	var seen []string
	srv, err := websocket.NewServer(websocket.ServerConfig{
		Subprotocols: []string{"arsenal.v2", "arsenal.v1"},
		Compression:  true,
		MaxPayload:   4 << 20,
		OnOpen: func(c *websocket.Conn) {
			mu.Lock()
			seen = append(seen, c.Subprotocol()+" "+c.Compression().String())
			mu.Unlock()
		},
		OnMessage: echo,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", srv)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(chromiumPage))
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(func() { _ = srv.Close(); hs.Close() })
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", hs, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func checkPeerResult(t *testing.T, raw string, seen []string) {
	t.Helper()
	var res peerResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		t.Fatalf("peer printed %q: %v", raw, err)
	}
	t.Logf("peer: %+v; server saw %q", res, seen)
	if !res.OK || res.Messages != peerMessages {
		t.Fatalf("peer failed after %d messages: %s", res.Messages, res.Error)
	}
	if res.Protocol == nil || *res.Protocol != "arsenal.v2" {
		t.Errorf("peer negotiated protocol %v, want arsenal.v2 (server preference)", res.Protocol)
	}
	if !strings.Contains(res.Extensions, "permessage-deflate") {
		t.Errorf("peer reports extensions %q, want permessage-deflate", res.Extensions)
	}
	if len(seen) != 1 || !strings.HasPrefix(seen[0], "arsenal.v2 permessage-deflate") {
		t.Errorf("server saw %q", seen)
	}
}

func runPeerClient(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.Output(); close(done) }()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("peer client hung: %s", stderr.String())
	}
	if err != nil {
		t.Fatalf("peer client: %v: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

func TestInteropNodeWS(t *testing.T) {
	testenv.RequireNodeModule(t, "ws")
	t.Run("arsenal client to node ws server", func(t *testing.T) {
		goClientAgainst(t, startPeerServer(t, testenv.NodeCommand(t, "node", script(t, "interop_node_server.js"))))
	})
	t.Run("node ws client to arsenal server", func(t *testing.T) {
		url, _, seen := interopServer(t)
		raw := runPeerClient(t, testenv.NodeCommand(t, "node", script(t, "interop_client.js"), url))
		checkPeerResult(t, raw, seen())
	})
}

func TestInteropBun(t *testing.T) {
	t.Run("arsenal client to Bun.serve", func(t *testing.T) {
		goClientAgainst(t, startPeerServer(t, testenv.NodeCommand(t, "bun", script(t, "interop_bun_server.ts"))))
	})
	t.Run("Bun client to arsenal server", func(t *testing.T) {
		url, _, seen := interopServer(t)
		raw := runPeerClient(t, testenv.NodeCommand(t, "bun", script(t, "interop_client.js"), url))
		checkPeerResult(t, raw, seen())
	})
}

func TestInteropPythonWebsockets(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import websockets").Run(); err != nil {
		if testenv.RequireReal() {
			t.Fatalf("python3-websockets missing: %v", err)
		}
		t.Skipf("python3-websockets not installed: %v", err)
	}
	t.Run("arsenal client to python server", func(t *testing.T) {
		goClientAgainst(t, startPeerServer(t, exec.Command(py, script(t, "interop_python.py"), "server")))
	})
	t.Run("python client to arsenal server", func(t *testing.T) {
		url, _, seen := interopServer(t)
		raw := runPeerClient(t, exec.Command(py, script(t, "interop_python.py"), "client", url))
		checkPeerResult(t, raw, seen())
	})
}

func TestInteropChromium(t *testing.T) {
	bin := testenv.RequirePeer(t, "chromium")
	url, hs, seen := interopServer(t)
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancel()
	ctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	defer cancel3()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(hs.URL+"/")); err != nil {
		t.Fatal(err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`runInterop(`+strconvQuote(url)+`)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	checkPeerResult(t, raw, seen())
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }
