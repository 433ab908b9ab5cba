package wsredis_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/websocket"
	"github.com/infra-arsenal/arsenal/wsredis"
)

// The test binary re-executed as a server process: env nodeEnv holds the
// Redis address, it prints "URL ws://..." and serves until killed or its
// stdin closes.
const nodeEnv = "WSREDIS_TEST_NODE_REDIS"

func TestMain(m *testing.M) {
	if addr := os.Getenv(nodeEnv); addr != "" {
		os.Exit(runNodeProcess(addr, os.Getenv("WSREDIS_TEST_NODE_PREFIX")))
	}
	// The Examples connect where a user's program would: REDIS_URL.
	r, err := testenv.LaunchRedis()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("REDIS_URL", r.URL())
	code := m.Run()
	r.Stop()
	testenv.StopAll()
	os.Exit(code)
}

func runNodeProcess(addr, prefix string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rc, err := redis.Open(ctx, redisConfig([]string{addr}, redis.ModeStandalone))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer rc.Close()
	br, err := wsredis.New(ctx, wsredis.Config{Client: rc, Prefix: prefix})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer br.Close()
	srv, err := websocket.NewServer(chatServerConfig(br))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	fmt.Printf("URL ws://%s/\n", ln.Addr())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent goes
	_ = hs.Close()
	return 0
}

type nodeProcess struct {
	cmd *exec.Cmd
	url string
}

func startNodeProcess(t *testing.T, redisAddr string) *nodeProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), nodeEnv+"="+redisAddr, "WSREDIS_TEST_NODE_PREFIX=t:"+t.Name())
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	setPdeathsig(cmd)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "server process printed no URL")
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "URL ")
	require.True(t, ok, "unexpected first line %q", line)
	return &nodeProcess{cmd: cmd, url: url}
}

// waitResubscribed asks a server process for its Stats until every partition
// was restored.
func waitResubscribed(t *testing.T, c *client, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c.send(t, "stats")
		var resub, parts int
		select {
		case ok := <-c.oks:
			_, err := fmt.Sscanf(ok, "ok stats %d %d", &resub, &parts)
			require.NoError(t, err, "%q", ok)
		case <-time.After(5 * time.Second):
			t.Fatal("no stats answer")
		}
		if parts > 0 && resub >= parts {
			return
		}
		require.True(t, time.Now().Before(deadline), "%s: resubscribes %d of %d partitions", c.id, resub, parts)
		time.Sleep(50 * time.Millisecond)
	}
}

func TestThreeServerProcessesSurviveARedisKillAndANodeKilledMidStream(t *testing.T) {
	r := startRedis(t, "--appendonly", "no")
	var procs []*nodeProcess
	for i := 0; i < 3; i++ {
		procs = append(procs, startNodeProcess(t, r.Addr))
	}
	var clients []*client
	for i, p := range procs {
		for j := 0; j < 2; j++ {
			c := dialClient(t, p.url, fmt.Sprintf("p%dc%d", i, j))
			c.sub(t, "room")
			clients = append(clients, c)
		}
	}
	checkExactlyOnce(t, clients, "room", 30, "a")

	// SIGKILL redis-server and restart it: every process resubscribes by
	// itself and delivery resumes.
	r.Kill()
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, r.Restart())
	for i := 0; i < len(clients); i += 2 {
		waitResubscribed(t, clients[i], 20*time.Second)
	}
	var chans []string
	for i := 0; i < wsredis.DefaultPartitions; i++ {
		chans = append(chans, "t:"+t.Name()+":p"+strconv.Itoa(i))
	}
	waitNumSub(t, r.Addr, chans, 3, 20*time.Second)
	checkExactlyOnce(t, clients, "room", 20, "b")

	// SIGKILL one server process while the others publish: only its own
	// connections are lost; the survivors still get everything once.
	survivors := clients[:4]
	go func() {
		time.Sleep(20 * time.Millisecond)
		_ = procs[2].cmd.Process.Signal(syscall.SIGKILL)
	}()
	checkExactlyOnce(t, survivors, "room", 100, "c")
	for _, c := range clients[4:] {
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: connection to the killed process never ended", c.id)
		}
	}
}
