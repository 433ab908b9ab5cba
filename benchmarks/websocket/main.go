// Command websocket compares Arsenal's WebSocket component with
// gorilla/websocket, coder/websocket and Bun (Bun.serve and Bun's client)
// side by side: echo round trips per second (1 KiB, 100 connections),
// handshake latency p50/p99, memory per idle connection (heap and RSS of
// the server process divided by connections), and bytes on the wire for a
// realistic JSON message set with compression on.
//
// Each server runs in a child process (this binary re-executed with
// -serve, or bun), so its memory is measured alone. Results are JSON lines
// on stdout; progress goes to stderr.
//
//	cd benchmarks && go run ./websocket [-quick]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"

	benchlines "github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/websocket"
)

var (
	quick   = flag.Bool("quick", false, "short run for development")
	serve   = flag.String("serve", "", "internal: run an echo server of this implementation")
	comp    = flag.Bool("compress", false, "internal: server negotiates compression")
	goImpls = []string{"arsenal", "gorilla/websocket", "coder/websocket"}
)

func main() {
	flag.Parse()
	if *serve != "" {
		runServer(*serve, *comp)
		return
	}
	if err := bench(); err != nil {
		fmt.Fprintln(os.Stderr, "websocket bench:", err)
		os.Exit(1)
	}
}

// ---- output ----

// lines writes the results in the runner's JSON-lines format.
var lines = benchlines.NewLineWriter(os.Stdout)

func emit(workload, impl, metric string, value float64, better string) {
	_ = lines.Write(benchlines.Line{Domain: "websocket", Workload: workload, Impl: impl, Metric: metric, Value: value, Better: better})
}

func check(name string, pass bool, detail string) {
	_ = lines.Check("websocket", name, pass, detail)
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// ---- child servers ----

func runServer(impl string, compress bool) {
	mux := http.NewServeMux()
	mux.HandleFunc("/mem", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = json.NewEncoder(w).Encode(map[string]uint64{"heap": ms.HeapInuse + ms.StackInuse, "goroutines": uint64(runtime.NumGoroutine())})
	})
	switch impl {
	case "arsenal":
		srv, err := websocket.NewServer(websocket.ServerConfig{
			Compression: compress, MaxPayload: 64 << 20,
			OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
				_ = c.Write(context.Background(), typ, data)
			},
		})
		if err != nil {
			panic(err)
		}
		mux.Handle("/", srv)
	case "gorilla/websocket":
		up := gorilla.Upgrader{EnableCompression: compress, CheckOrigin: func(*http.Request) bool { return true }}
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			for {
				mt, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				if err := c.WriteMessage(mt, data); err != nil {
					return
				}
			}
		})
	case "coder/websocket":
		mode := coder.CompressionDisabled
		if compress {
			mode = coder.CompressionContextTakeover
		}
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			c, err := coder.Accept(w, r, &coder.AcceptOptions{InsecureSkipVerify: true, CompressionMode: mode, CompressionThreshold: 1})
			if err != nil {
				return
			}
			defer c.CloseNow()
			c.SetReadLimit(64 << 20)
			ctx := context.Background()
			for {
				mt, data, err := c.Read(ctx)
				if err != nil {
					return
				}
				if err := c.Write(ctx, mt, data); err != nil {
					return
				}
			}
		})
	default:
		panic("unknown impl " + impl)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	_ = http.Serve(ln, mux)
}

type child struct {
	cmd  *exec.Cmd
	port int
	in   io.WriteCloser
}

func (c *child) url() string { return fmt.Sprintf("ws://127.0.0.1:%d/", c.port) }

func (c *child) stop() {
	_ = c.in.Close()
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

func startChild(cmd *exec.Cmd) (*child, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	in, _ := cmd.StdinPipe()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "PORT "); ok {
			n, _ := strconv.Atoi(p)
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return &child{cmd: cmd, port: n, in: in}, nil
		}
	}
	_ = cmd.Process.Kill()
	return nil, fmt.Errorf("%s did not print its port", cmd.Path)
}

func nodeDir() string {
	if d := os.Getenv("ARSENAL_NODE_DIR"); d != "" {
		return d
	}
	return "/opt/arsenal-tools/node"
}

func bunPath() string { return filepath.Join(nodeDir(), "node_modules", ".bin", "bun") }

func scriptPath(name string) string {
	// go run from benchmarks: the script sits next to this file.
	for _, p := range []string{filepath.Join("websocket", name), name} {
		if _, err := os.Stat(p); err == nil {
			a, _ := filepath.Abs(p)
			return a
		}
	}
	return name
}

func startServer(impl string, compress bool) (*child, error) {
	if impl == "bun" {
		args := []string{scriptPath("bun_server.ts")}
		if compress {
			args = append(args, "compress")
		}
		return startChild(exec.Command(bunPath(), args...))
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve", impl}
	if compress {
		args = append(args, "-compress")
	}
	return startChild(exec.Command(self, args...))
}

func bunAvailable() bool {
	_, err := os.Stat(bunPath())
	return err == nil
}

// runBunClient runs bun_client.ts and decodes its JSON result.
func runBunClient(args ...string) (map[string]float64, error) {
	cmd := exec.Command(bunPath(), append([]string{scriptPath("bun_client.ts")}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var res map[string]float64
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	err = json.Unmarshal([]byte(lines[len(lines)-1]), &res)
	return res, err
}

// ---- Go clients ----

// echoClient is one connection able to do a round trip.
type echoClient interface {
	roundTrip(msg []byte) error
	close()
}

type arsenalClient struct {
	c    *websocket.Conn
	recv chan struct{}
}

func (a *arsenalClient) roundTrip(msg []byte) error {
	if err := a.c.Write(context.Background(), websocket.Binary, msg); err != nil {
		return err
	}
	select {
	case <-a.recv:
		return nil
	case <-a.c.Done():
		return a.c.Err()
	}
}
func (a *arsenalClient) close() { _ = a.c.Close() }

type gorillaClient struct{ c *gorilla.Conn }

func (g *gorillaClient) roundTrip(msg []byte) error {
	if err := g.c.WriteMessage(gorilla.BinaryMessage, msg); err != nil {
		return err
	}
	_, _, err := g.c.ReadMessage()
	return err
}
func (g *gorillaClient) close() { _ = g.c.Close() }

type coderClient struct{ c *coder.Conn }

func (k *coderClient) roundTrip(msg []byte) error {
	ctx := context.Background()
	if err := k.c.Write(ctx, coder.MessageBinary, msg); err != nil {
		return err
	}
	_, _, err := k.c.Read(ctx)
	return err
}
func (k *coderClient) close() { _ = k.c.CloseNow() }

func dialClient(impl, url string, compress bool) (echoClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch impl {
	case "arsenal":
		a := &arsenalClient{recv: make(chan struct{}, 1)}
		c, err := websocket.Dial(ctx, url, &websocket.Options{DisableCompression: !compress, PingInterval: -1, ReadLimit: 64 << 20,
			CompressionThreshold: -1,
			OnMessage:            func(*websocket.Conn, websocket.MessageType, []byte) { a.recv <- struct{}{} }})
		if err != nil {
			return nil, err
		}
		a.c = c
		return a, nil
	case "gorilla/websocket":
		d := gorilla.Dialer{EnableCompression: compress, HandshakeTimeout: 10 * time.Second}
		c, _, err := d.DialContext(ctx, url, nil)
		if err != nil {
			return nil, err
		}
		return &gorillaClient{c}, nil
	case "coder/websocket":
		mode := coder.CompressionDisabled
		if compress {
			mode = coder.CompressionContextTakeover
		}
		c, _, err := coder.Dial(ctx, url, &coder.DialOptions{CompressionMode: mode, CompressionThreshold: 1})
		if err != nil {
			return nil, err
		}
		c.SetReadLimit(64 << 20)
		return &coderClient{c}, nil
	}
	return nil, fmt.Errorf("unknown impl %s", impl)
}

// ---- workloads ----

// arsenalEchoRate drives arsenal's client through its event API, as
// Bun's client is driven: OnMessage sends the next message.
func arsenalEchoRate(url string, conns int, d time.Duration) (float64, error) {
	msg := make([]byte, 1024)
	rand.New(rand.NewSource(1)).Read(msg)
	var count atomic.Int64
	var stop atomic.Bool
	clients := make([]*websocket.Conn, conns)
	for i := range clients {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := websocket.Dial(ctx, url, &websocket.Options{DisableCompression: true, PingInterval: -1,
			OnMessage: func(c *websocket.Conn, _ websocket.MessageType, _ []byte) {
				count.Add(1)
				if !stop.Load() {
					_ = c.Write(context.Background(), websocket.Binary, msg)
				}
			}})
		cancel()
		if err != nil {
			return 0, err
		}
		clients[i] = c
	}
	start := time.Now()
	for _, c := range clients {
		if err := c.Write(context.Background(), websocket.Binary, msg); err != nil {
			return 0, err
		}
	}
	time.Sleep(d)
	stop.Store(true)
	n := count.Load()
	el := time.Since(start)
	for _, c := range clients {
		_ = c.Close()
	}
	return float64(n) / el.Seconds(), nil
}

func echoRate(impl, url string, conns int, d time.Duration) (float64, error) {
	if impl == "arsenal" {
		return arsenalEchoRate(url, conns, d)
	}
	clients := make([]echoClient, conns)
	for i := range clients {
		c, err := dialClient(impl, url, false)
		if err != nil {
			return 0, err
		}
		clients[i] = c
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	msg := make([]byte, 1024)
	rand.New(rand.NewSource(1)).Read(msg)
	var count atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := c.roundTrip(msg); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				count.Add(1)
			}
		}()
	}
	time.Sleep(d)
	stop.Store(true)
	n := count.Load()
	el := time.Since(start)
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return 0, e.(error)
	}
	return float64(n) / el.Seconds(), nil
}

func handshakes(impl, url string, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		c, err := dialClient(impl, url, false)
		if err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
		c.close()
	}
	slices.Sort(out)
	return out, nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func rss(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func heap(port int) (uint64, bool) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/mem", port))
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var m map[string]uint64
	if json.NewDecoder(resp.Body).Decode(&m) != nil {
		return 0, false
	}
	return m["heap"], true
}

// idleMemory opens n idle connections to a fresh server child and returns
// heap and RSS growth per connection.
func idleMemory(impl string, n int) (heapPer, rssPer float64, err error) {
	ch, err := startServer(impl, false)
	if err != nil {
		return 0, 0, err
	}
	defer ch.stop()
	time.Sleep(300 * time.Millisecond)
	h0, hasHeap := heap(ch.port)
	r0 := rss(ch.cmd.Process.Pid)
	conns := make([]net.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var failed atomic.Int64
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := rawDial(ch.port)
			if err != nil {
				failed.Add(1)
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	if f := failed.Load(); f > 0 {
		return 0, 0, fmt.Errorf("%d of %d connections failed", f, n)
	}
	time.Sleep(time.Second)
	h1, _ := heap(ch.port)
	r1 := rss(ch.cmd.Process.Pid)
	if hasHeap {
		heapPer = float64(int64(h1)-int64(h0)) / float64(n)
	} else {
		heapPer = -1
	}
	return heapPer, float64(int64(r1)-int64(r0)) / float64(n), nil
}

// rawDial opens a WebSocket connection with a minimal hand-written
// handshake, so the client side costs the same for every server.
func rawDial(port int) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", port)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 101 {
		c.Close()
		if err == nil {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// jsonSet is a deterministic set of realistic JSON messages: market ticks,
// chat messages, presence updates and order-book deltas.
func jsonSet(n int) [][]byte {
	r := rand.New(rand.NewSource(42))
	users := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}
	syms := []string{"BTC-USD", "ETH-USD", "SOL-USD", "DOGE-USD"}
	words := strings.Fields("the quick brown fox jumps over lazy dog market price looks good today shipping the release tonight please review my pull request before lunch")
	out := make([][]byte, n)
	for i := range out {
		var v any
		ts := 1717000000000 + int64(i)*137
		switch i % 4 {
		case 0:
			v = map[string]any{"type": "trade", "symbol": syms[r.Intn(len(syms))], "price": 60000 + r.Float64()*500, "size": r.Float64() * 3, "side": []string{"buy", "sell"}[r.Intn(2)], "ts": ts, "tradeId": 900000 + i}
		case 1:
			k := 3 + r.Intn(12)
			ws := make([]string, k)
			for j := range ws {
				ws[j] = words[r.Intn(len(words))]
			}
			v = map[string]any{"type": "chat", "room": "general", "from": users[r.Intn(len(users))], "text": strings.Join(ws, " "), "ts": ts, "id": fmt.Sprintf("msg-%08d", i), "mentions": []string{}, "edited": false}
		case 2:
			v = map[string]any{"type": "presence", "user": users[r.Intn(len(users))], "status": []string{"online", "away", "busy"}[r.Intn(3)], "lastSeen": ts, "device": map[string]any{"os": "linux", "app": "web", "version": "3.14.2"}}
		default:
			levels := make([][2]float64, 5)
			for j := range levels {
				levels[j] = [2]float64{60000 + float64(r.Intn(1000))/10, float64(r.Intn(1000)) / 100}
			}
			v = map[string]any{"type": "book", "symbol": syms[r.Intn(len(syms))], "bids": levels, "seq": 5000 + i, "ts": ts}
		}
		out[i], _ = json.Marshal(v)
	}
	return out
}

// countingProxy forwards TCP to target and counts bytes both ways.
type countingProxy struct {
	ln    net.Listener
	bytes atomic.Int64
}

func newProxy(target string) (*countingProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				u, err := net.Dial("tcp", target)
				if err != nil {
					c.Close()
					return
				}
				go func() { n, _ := io.Copy(u, c); p.bytes.Add(n); u.Close() }()
				n, _ := io.Copy(c, u)
				p.bytes.Add(n)
				c.Close()
			}()
		}
	}()
	return p, nil
}

// wireBytes sends the JSON set through a counting proxy (client to server
// and the echoes back) and returns the bytes after the handshake.
func wireBytes(impl string, compress bool, set [][]byte) (int64, error) {
	srvImpl := impl
	ch, err := startServer(srvImpl, compress)
	if err != nil {
		return 0, err
	}
	defer ch.stop()
	p, err := newProxy(fmt.Sprintf("127.0.0.1:%d", ch.port))
	if err != nil {
		return 0, err
	}
	defer p.ln.Close()
	url := "ws://" + p.ln.Addr().String() + "/"
	if impl == "bun" {
		f, err := os.CreateTemp("", "jsonset-*.json")
		if err != nil {
			return 0, err
		}
		defer os.Remove(f.Name())
		strs := make([]string, len(set))
		for i, m := range set {
			strs[i] = string(m)
		}
		_ = json.NewEncoder(f).Encode(strs)
		f.Close()
		if _, err := runBunClient("json", url, f.Name()); err != nil {
			return 0, err
		}
		time.Sleep(200 * time.Millisecond)
		return p.bytes.Load(), nil
	}
	c, err := dialClient(impl, url, compress)
	if err != nil {
		return 0, err
	}
	for _, m := range set {
		if err := c.roundTrip(m); err != nil {
			return 0, err
		}
	}
	c.close()
	time.Sleep(200 * time.Millisecond)
	return p.bytes.Load(), nil
}

func bench() error {
	conns, dur, rounds, hsN, idleN, jsonN := 100, 1500*time.Millisecond, 7, 1000, 10000, 2000
	if *quick {
		dur, rounds, hsN, idleN, jsonN = time.Second, 1, 300, 2000, 500
	}
	impls := append([]string(nil), goImpls...)
	if bunAvailable() {
		impls = append(impls, "bun")
	} else {
		logf("bun not found at %s: Bun is left out", bunPath())
	}

	// 1. Echo round trips, interleaved rounds.
	echoWL := fmt.Sprintf("echo round trips, 1 KiB, %d connections (each implementation's own client and server)", conns)
	servers := map[string]*child{}
	for _, impl := range impls {
		ch, err := startServer(impl, false)
		if err != nil {
			return err
		}
		defer ch.stop()
		servers[impl] = ch
	}
	rates := map[string][]float64{}
	for r := 0; r < rounds; r++ {
		for _, impl := range impls {
			var rate float64
			var err error
			if impl == "bun" {
				var res map[string]float64
				res, err = runBunClient("echo", servers[impl].url(), strconv.Itoa(conns), strconv.Itoa(int(dur.Milliseconds())))
				rate = res["rate"]
			} else {
				rate, err = echoRate(impl, servers[impl].url(), conns, dur)
			}
			if err != nil {
				return fmt.Errorf("echo %s: %w", impl, err)
			}
			logf("echo round %d %-18s %10.0f round trips/s", r+1, impl, rate)
			rates[impl] = append(rates[impl], rate)
		}
	}
	med := func(v []float64) float64 { s := slices.Clone(v); slices.Sort(s); return s[len(s)/2] }
	bestGo := 0.0
	for _, impl := range impls {
		m := med(rates[impl])
		emit(echoWL, impl, "round trips/s", m, "higher")
		if impl != "arsenal" && impl != "bun" {
			bestGo = max(bestGo, m)
		}
	}
	// The check takes the median of the per-round ratios against the Go
	// peer with the best median: rounds interleave the implementations,
	// so each ratio compares runs seconds apart, under the same load.
	a := med(rates["arsenal"])
	bestName := ""
	for _, impl := range impls {
		if impl != "arsenal" && impl != "bun" && med(rates[impl]) == bestGo {
			bestName = impl
		}
	}
	ratios := benchlines.Ratios(rates["arsenal"], rates[bestName])
	pr := benchlines.SpreadOf(ratios)
	check("echo throughput >= best Go peer", pr.Median >= 1, fmt.Sprintf("%.2fx %s (median of %d interleaved rounds, IQR %.2f-%.2f; medians: arsenal %.0f/s, %s %.0f/s)", pr.Median, bestName, len(ratios), pr.Q1, pr.Q3, a, bestName, bestGo))

	// 2. Handshake latency.
	hsWL := fmt.Sprintf("handshake latency, %d sequential dials", hsN)
	var arsenalP50 time.Duration
	for _, impl := range impls {
		var p50, p99 time.Duration
		if impl == "bun" {
			res, err := runBunClient("handshake", servers[impl].url(), strconv.Itoa(hsN))
			if err != nil {
				return fmt.Errorf("handshake bun: %w", err)
			}
			p50, p99 = time.Duration(res["p50_us"]*1e3), time.Duration(res["p99_us"]*1e3)
		} else {
			d, err := handshakes(impl, servers[impl].url(), hsN)
			if err != nil {
				return fmt.Errorf("handshake %s: %w", impl, err)
			}
			p50, p99 = pct(d, 0.5), pct(d, 0.99)
		}
		if impl == "arsenal" {
			arsenalP50 = p50
		}
		logf("handshake %-18s p50 %s p99 %s", impl, p50, p99)
		emit(hsWL, impl, "p50 µs", float64(p50.Microseconds()), "lower")
		emit(hsWL, impl, "p99 µs", float64(p99.Microseconds()), "lower")
	}
	check("handshake p50 < 1 ms", arsenalP50 < time.Millisecond, fmt.Sprintf("arsenal p50 %s", arsenalP50))
	for _, ch := range servers {
		ch.stop()
	}

	// 3. Memory per idle connection.
	memWL := fmt.Sprintf("memory per idle connection, %d connections", idleN)
	var arsenalRSS, arsenalHeap float64
	for _, impl := range impls {
		h, r, err := idleMemory(impl, idleN)
		if err != nil {
			return fmt.Errorf("idle memory %s: %w", impl, err)
		}
		logf("idle %-18s heap %.1f KiB/conn, RSS %.1f KiB/conn", impl, h/1024, r/1024)
		if h >= 0 {
			emit(memWL, impl, "heap KiB/conn", h/1024, "lower")
		}
		emit(memWL, impl, "RSS KiB/conn", r/1024, "lower")
		if impl == "arsenal" {
			arsenalRSS, arsenalHeap = r, h
		}
	}
	check("<= 12 KiB per idle connection", arsenalRSS <= 12<<10 && arsenalHeap <= 12<<10,
		fmt.Sprintf("arsenal heap %.1f KiB, RSS %.1f KiB per connection", arsenalHeap/1024, arsenalRSS/1024))

	// 4. Bytes on the wire for JSON with compression.
	set := jsonSet(jsonN)
	var payload int
	for _, m := range set {
		payload += len(m)
	}
	jsonWL := fmt.Sprintf("bytes on the wire, %d JSON messages echoed (%d payload bytes each way)", jsonN, payload)
	plain, err := wireBytes("arsenal", false, set)
	if err != nil {
		return fmt.Errorf("wire bytes uncompressed: %w", err)
	}
	emit(jsonWL, "uncompressed", "bytes", float64(plain), "lower")
	logf("json uncompressed         %d bytes", plain)
	var arsenalSaved float64
	for _, impl := range impls {
		n, err := wireBytes(impl, true, set)
		if err != nil {
			return fmt.Errorf("wire bytes %s: %w", impl, err)
		}
		saved := 100 * (1 - float64(n)/float64(plain))
		logf("json %-18s %d bytes (%.1f%% fewer than uncompressed)", impl, n, saved)
		emit(jsonWL, impl, "bytes", float64(n), "lower")
		emit(jsonWL, impl, "% fewer bytes than uncompressed", saved, "higher")
		if impl == "arsenal" {
			arsenalSaved = saved
		}
	}
	check(">= 60% fewer bytes on the JSON set with compression", arsenalSaved >= 60, fmt.Sprintf("arsenal %.1f%% fewer bytes", arsenalSaved))
	return nil
}
