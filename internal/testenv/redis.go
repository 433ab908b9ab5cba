package testenv

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Redis is a Redis server for tests: a real redis-server child process, or
// (when redis-server is missing and ARSENAL_REQUIRE_REAL is unset) an
// embedded miniredis.
type Redis struct {
	Addr string // host:port on loopback
	Real bool   // true for redis-server, false for miniredis
	// Embedded stand-ins lack CLIENT TRACKING and RESP3 pub/sub: clients must
	// disable client-side caching and speak RESP2 (rueidis DisableCache and
	// AlwaysRESP2).
	Embedded bool
	Dir      string   // the server's working directory (real servers)
	Args     []string // extra redis-server arguments

	mu   sync.Mutex
	proc *process
	mini *miniredis.Miniredis
	bin  string
}

// URL is redis://Addr.
func (r *Redis) URL() string { return "redis://" + r.Addr }

var (
	sharedRedisOnce sync.Once
	sharedRedis     *Redis
	sharedRedisErr  error
)

// SharedRedis returns the test binary's shared Redis server, starting it on
// first use. Tests must use their own key prefixes; the server is flushed
// by no one.
func SharedRedis(t testing.TB) *Redis {
	t.Helper()
	sharedRedisOnce.Do(func() {
		sharedRedis, sharedRedisErr = newRedis(nil)
		if sharedRedisErr == nil {
			atExit(sharedRedis.stop)
		}
	})
	if sharedRedisErr != nil {
		t.Fatalf("testenv: %v", sharedRedisErr)
	}
	return sharedRedis
}

// StartRedis starts a dedicated Redis server with extra redis-server
// arguments (such as "--appendonly", "yes"), stopped when t ends. A test
// that needs a real server (to kill it, or for cluster mode) should check
// r.Real and fail or skip with a reason.
func StartRedis(t testing.TB, args ...string) *Redis {
	t.Helper()
	r, err := newRedis(args)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(r.stop)
	return r
}

// RequireRealRedis starts a dedicated real redis-server, failing the test
// if the binary is missing (these tests have no meaningful stand-in).
func RequireRealRedis(t testing.TB, args ...string) *Redis {
	t.Helper()
	if _, ok := Binary("redis-server"); !ok {
		t.Fatalf("testenv: redis-server not found; install it (apt-get install redis-server)")
	}
	return StartRedis(t, args...)
}

// LaunchRedis starts a Redis server outside a test (benchmark programs);
// the caller must call Stop.
func LaunchRedis(args ...string) (*Redis, error) { return newRedis(args) }

// Stop stops the server and removes its directory.
func (r *Redis) Stop() { r.stop() }

func newRedis(args []string) (*Redis, error) {
	bin, ok := findServer("redis-server")
	if !ok {
		if RequireReal() {
			return nil, fmt.Errorf("redis-server not found and ARSENAL_REQUIRE_REAL=1")
		}
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start miniredis: %w", err)
		}
		Logf("redis-server not found: using embedded miniredis at %s (stand-in, not a real server)", m.Addr())
		return &Redis{Addr: m.Addr(), Embedded: true, mini: m}, nil
	}
	dir, err := os.MkdirTemp("", "arsenal-redis-")
	if err != nil {
		return nil, err
	}
	r := &Redis{Real: true, Dir: dir, Args: args, bin: bin}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	r.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	if err := r.start(); err != nil {
		return nil, err
	}
	Logf("using real %s at %s (dir %s)", redisVersion(r.Addr), r.Addr, dir)
	return r, nil
}

func (r *Redis) start() error {
	args := []string{
		"--port", fmt.Sprint(portOf(r.Addr)), "--bind", "127.0.0.1",
		"--dir", r.Dir, "--save", "", "--appendonly", "no", "--daemonize", "no",
		"--protected-mode", "no",
	}
	args = append(args, r.Args...)
	p, err := startProcess(filepath.Join(r.Dir, "redis.log"), r.bin, args...)
	if err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	r.proc = p
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if p.exited() {
			log, _ := os.ReadFile(filepath.Join(r.Dir, "redis.log"))
			return fmt.Errorf("redis-server exited at start: %s", strings.TrimSpace(string(log)))
		}
		if pingRedis(r.Addr) == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	return fmt.Errorf("redis-server at %s did not answer PING within 10s", r.Addr)
}

// Kill stops a real server with SIGKILL (no shutdown, no save).
func (r *Redis) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil {
		r.proc.kill()
	}
	if r.mini != nil {
		r.mini.Close()
	}
}

// Restart starts the server again on the same address and directory after
// Kill (or Stop). For miniredis the data is lost.
func (r *Redis) Restart() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mini != nil {
		return r.mini.Restart()
	}
	if r.proc != nil && !r.proc.exited() {
		r.proc.kill()
	}
	return r.start()
}

func (r *Redis) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mini != nil {
		r.mini.Close()
		return
	}
	r.proc.stop(3 * time.Second)
	os.RemoveAll(r.Dir)
}

func pingRedis(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	// A server started with --requirepass answers NOAUTH: it is up.
	if !strings.HasPrefix(line, "+PONG") && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// RedisCommand sends one command (words separated by spaces, sent as a
// RESP array) and returns the first reply line, for test setup without a
// client library.
func RedisCommand(addr, command string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	words := strings.Fields(command)
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(words))
	for _, w := range words {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(w), w)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func redisVersion(addr string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "redis-server"
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("INFO server\r\n")); err != nil {
		return "redis-server"
	}
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "redis-server"
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return "redis-server " + v
		}
	}
}
