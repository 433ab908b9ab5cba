package redis_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

// fakeRedis is a raw-socket Redis that answers each command with what
// reply returns (the bytes are sent as they are; nil closes the
// connection). It stands for a hostile or broken server.
type fakeRedis struct {
	ln    net.Listener
	reply func(cmd []string) []byte
	wg    sync.WaitGroup
}

func startFakeRedis(t *testing.T, reply func(cmd []string) []byte) *fakeRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeRedis{ln: ln, reply: reply}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeRedis) addr() string { return f.ln.Addr().String() }

func (f *fakeRedis) serve() {
	defer f.wg.Done()
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
			br := bufio.NewReader(conn)
			for {
				cmd, err := readCommand(br)
				if err != nil {
					return
				}
				out := f.reply(cmd)
				if out == nil {
					return
				}
				if _, err := conn.Write(out); err != nil {
					return
				}
			}
		}()
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 0 || n > 64 {
		return nil, io.ErrUnexpectedEOF
	}
	cmd := make([]string, n)
	for i := range cmd {
		hdr, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(hdr, "$")))
		if err != nil || l < 0 || l > 1<<20 {
			return nil, io.ErrUnexpectedEOF
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		cmd[i] = string(b[:l])
	}
	return cmd, nil
}

const helloReply = "%3\r\n+server\r\n+redis\r\n+version\r\n+7.0.0\r\n+proto\r\n:3\r\n"

// honest answers the handshake and PING as a Redis 7 server would.
func honest(cmd []string) []byte {
	switch strings.ToUpper(cmd[0]) {
	case "HELLO":
		return []byte(helloReply)
	case "PING":
		return []byte("+PONG\r\n")
	}
	return []byte("+OK\r\n")
}

func hostileOpen(t *testing.T, addr string) (*redis.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return redis.Open(ctx, redis.Config{
		Addrs: []string{addr}, Mode: redis.ModeStandalone, MaxRetries: 1,
		ConnectTimeout: 2 * time.Second, DisableAutoReconnect: true,
	})
}

var hostileReplies = []struct {
	name  string
	reply string
	code  arsenal.Code
}{
	{"blob length -2", "$-2\r\n", arsenal.DataLoss},
	{"array length -3", "*-3\r\n", arsenal.DataLoss},
	{"map length -1", "%-1\r\n", arsenal.DataLoss},
	{"array of 2^62 elements", "*4611686018427387904\r\n", arsenal.ResourceExhausted},
	{"blob of 2 GB", "$2000000000\r\n", arsenal.ResourceExhausted},
	{"length of 25 digits", "$1000000000000000000000000\r\n", arsenal.DataLoss},
	{"streamed chunk of length -5", "$?\r\n;-5\r\n", arsenal.DataLoss},
	{"nesting 100000 deep", strings.Repeat("*1\r\n", 100000), arsenal.DataLoss},
	{"unknown type byte", "@1\r\n", arsenal.DataLoss},
	{"boolean with a payload", "#tXY$-2\r\n", arsenal.DataLoss},
}

func TestAHostileReplyToHELLOFailsOpenWithACodeAndNoCrash(t *testing.T) {
	for _, tt := range hostileReplies {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeRedis(t, func(cmd []string) []byte {
				if strings.EqualFold(cmd[0], "HELLO") {
					return []byte(tt.reply)
				}
				return honest(cmd)
			})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			c, err := hostileOpen(t, f.addr())
			runtime.ReadMemStats(&after)
			if c != nil {
				c.Close()
			}
			require.Error(t, err)
			assert.True(t, arsenal.IsCode(err, tt.code), "%v; want %v", err, tt.code)
			assert.Less(t, time.Since(start), 8*time.Second)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "the reply made the client allocate")
		})
	}
}

func TestAHostileReplyToACommandFailsTheCallNotTheProcess(t *testing.T) {
	for _, tt := range hostileReplies {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeRedis(t, func(cmd []string) []byte {
				if strings.EqualFold(cmd[0], "GET") {
					return []byte(tt.reply)
				}
				return honest(cmd)
			})
			c, err := hostileOpen(t, f.addr())
			require.NoError(t, err)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = c.Get(ctx, "k")
			require.Error(t, err)
			assert.True(t, arsenal.IsCode(err, tt.code), "%v; want %v", err, tt.code)
		})
	}
}

func TestMaxReplyBytesLimitsARealServersReply(t *testing.T) {
	c, _ := open(t, func(cfg *redis.Config) { cfg.MaxReplyBytes = 1 << 20 })
	ctx := ctxT(t)
	p := prefix(t)
	require.NoError(t, c.Set(ctx, p+"small", strings.Repeat("x", 1000)))
	v, err := c.Get(ctx, p+"small")
	require.NoError(t, err)
	assert.Len(t, v, 1000)
	require.NoError(t, c.Set(ctx, p+"big", strings.Repeat("x", 2<<20)))
	_, err = c.Get(ctx, p+"big")
	assert.True(t, arsenal.IsCode(err, arsenal.ResourceExhausted), "%v; want ResourceExhausted", err)
	// The client recovers on a new connection.
	require.Eventually(t, func() bool {
		v, err := c.Get(ctx, p+"small")
		return err == nil && len(v) == 1000
	}, 5*time.Second, 50*time.Millisecond)
}
