package redis_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
)

// redisCLI runs redis-cli with args and returns its output.
func redisCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := redisCLITry(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// redisCLITry is redisCLI for polling a server that may drop the
// connection (a replica being promoted: Sentinel kills its clients).
func redisCLITry(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := testenv.RequirePeer(t, "redis-cli")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("redis-cli %v: %v\n%s", args, err, out)
	}
	return string(out), nil
}

func portOf(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

// startCluster starts three real cluster-mode redis-servers and joins them
// as a 3-master cluster with redis-cli --cluster create.
func startCluster(t *testing.T) []*testenv.Redis {
	t.Helper()
	var nodes []*testenv.Redis
	var addrs []string
	for i := 0; i < 3; i++ {
		n := startReal(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000", "--appendonly", "no")
		nodes = append(nodes, n)
		addrs = append(addrs, n.Addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	redisCLI(t, args...)
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range nodes {
		for {
			info := redisCLI(t, "-h", "127.0.0.1", "-p", portOf(n.Addr), "cluster", "info")
			if strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ok: %s", info)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nodes
}

func TestClusterOfThreeMastersServesReadsWritesMGetPubSubAndSurvivesANodeRestart(t *testing.T) {
	nodes := startCluster(t)
	ctx := ctxT(t)
	c := openAt(t, nodes[0], func(c *redis.Config) { c.Mode = redis.ModeCluster })
	if c.Mode() != redis.ModeCluster {
		t.Fatalf("Mode = %s, want cluster", c.Mode())
	}

	// Writes and reads spread over every slot owner.
	keys := make([]string, 60)
	for i := range keys {
		keys[i] = "ck:" + strconv.Itoa(i)
		if err := c.Set(ctx, keys[i], "v"+strconv.Itoa(i)); err != nil {
			t.Fatalf("Set %s: %v", keys[i], err)
		}
	}
	for i, k := range keys {
		if v, err := c.Get(ctx, k); err != nil || v != "v"+strconv.Itoa(i) {
			t.Fatalf("Get %s = %q, %v", k, v, err)
		}
	}
	slots := map[uint16]bool{}
	for _, k := range keys {
		slots[redis.KeySlot(k)] = true
	}
	if len(slots) < 3 {
		t.Fatalf("keys cover only %d slots", len(slots))
	}

	// MGET across slots is split per slot and reassembled in order.
	got, err := c.MGet(ctx, append(keys[:10:10], "ck:missing")...)
	if err != nil {
		t.Fatalf("cross-slot MGet: %v", err)
	}
	for i := 0; i < 10; i++ {
		if !got[i].OK || got[i].V != "v"+strconv.Itoa(i) {
			t.Errorf("MGet[%d] = %+v", i, got[i])
		}
	}
	if got[10].OK {
		t.Errorf("missing key reported present: %+v", got[10])
	}
	if n, err := c.Del(ctx, keys[50:]...); err != nil || n != 10 {
		t.Errorf("cross-slot Del = %d, %v", n, err)
	}
	if err := c.MSet(ctx, "m:a", "1", "m:b", "2", "m:c", "3"); err != nil {
		t.Errorf("cross-slot MSet: %v", err)
	}
	// Commands that must be atomic refuse keys in different slots before any I/O.
	if err := c.Rename(ctx, "m:a", "m:zz"); !arsenal.IsCode(err, arsenal.InvalidArgument) {
		t.Errorf("cross-slot Rename: %v; want InvalidArgument", err)
	}
	if err := c.Set(ctx, "{m}a", "x"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename(ctx, "{m}a", "{m}b"); err != nil {
		t.Errorf("same-slot Rename: %v", err)
	}
	// Batches and transactions spanning slots fail, not panic.
	checkCrossSlotRefused(t, ctx, c)

	// Pub/sub: a plain channel reaches subscribers on any node; sharded too.
	sub := openAt(t, nodes[1], func(c *redis.Config) { c.Mode = redis.ModeCluster })
	col := newCollector()
	if _, err := sub.Subscribe(ctx, col.handle, "cluster-news"); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.SSubscribe(ctx, col.handle, "{shard}a"); err != nil {
		t.Fatal(err)
	}
	publishEventually(t, c, "cluster-news", "hello")
	col.waitFor(t, func(m redis.Message) bool { return m.Payload == "hello" }, 10*time.Second)
	if _, err := c.SPublish(ctx, "{shard}a", "sharded"); err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, func(m redis.Message) bool { return m.Payload == "sharded" }, 10*time.Second)

	// Restart one node: writes to its slots fail at most for a while, then
	// succeed again, and subscriptions come back.
	victim := nodes[2]
	var victimKey string
	for _, k := range keys[:50] {
		if slotOwner(t, nodes, k) == victim.Addr {
			victimKey = k
			break
		}
	}
	if victimKey == "" {
		t.Fatal("no key on the third node")
	}
	victim.Kill()
	time.Sleep(300 * time.Millisecond)
	if err := victim.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := c.Set(cctx, victimKey, "after-restart")
		cancel()
		if err == nil {
			break
		}
		if !arsenal.Classify(err).Retryable {
			t.Fatalf("write after a node restart: %v (not retryable)", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes to the restarted node never recovered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, err := c.Get(ctx, victimKey); err != nil || v != "after-restart" {
		t.Errorf("read after a node restart = %q, %v", v, err)
	}
	publishEventually(t, c, "cluster-news", "after-node-restart")
	col.waitFor(t, func(m redis.Message) bool { return m.Payload == "after-node-restart" }, 15*time.Second)
}

// slotOwner asks the cluster which node serves key.
func slotOwner(t *testing.T, nodes []*testenv.Redis, key string) string {
	t.Helper()
	out := redisCLI(t, "-h", "127.0.0.1", "-p", portOf(nodes[0].Addr), "cluster", "slots")
	slot := int(redis.KeySlot(key))
	lines := strings.Fields(out)
	// redis-cli prints: start end ip port id [replicas...] per range.
	for i := 0; i+3 < len(lines); i++ {
		lo, err1 := strconv.Atoi(lines[i])
		hi, err2 := strconv.Atoi(lines[i+1])
		if err1 != nil || err2 != nil || lines[i+2] != "127.0.0.1" {
			continue
		}
		if slot >= lo && slot <= hi {
			return "127.0.0.1:" + lines[i+3]
		}
	}
	t.Fatalf("slot %d not found in %s", slot, out)
	return ""
}

// startSentinel runs redis-server --sentinel watching master as "mymaster".
func startSentinel(t *testing.T, master string) string {
	t.Helper()
	bin, ok := testenv.Binary("redis-server")
	if !ok {
		t.Fatal("redis-server not found")
	}
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	host, mport := "127.0.0.1", portOf(master)
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster %s %s 1\n"+
		"sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 5000\n", port, dir, host, mport)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "sentinel.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf, "--sentinel")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if err := testenv.WaitTCP(addr, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestSentinelClientFollowsAFailoverToTheReplica(t *testing.T) {
	master := startReal(t)
	replica := startReal(t, "--replicaof", "127.0.0.1", portOf(master.Addr))
	sentinel := startSentinel(t, master.Addr)
	ctx := ctxT(t)

	// Wait until the sentinel knows the replica and it is in sync.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := redisCLI(t, "-h", "127.0.0.1", "-p", portOf(sentinel), "sentinel", "replicas", "mymaster")
		info := redisCLI(t, "-h", "127.0.0.1", "-p", portOf(replica.Addr), "info", "replication")
		if strings.Contains(out, portOf(replica.Addr)) && strings.Contains(info, "master_link_status:up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sentinel never saw the replica: %s / %s", out, info)
		}
		time.Sleep(200 * time.Millisecond)
	}

	c := openAt(t, master, func(c *redis.Config) {
		c.Addrs = []string{sentinel}
		c.Mode = redis.ModeSentinel
		c.SentinelMaster = "mymaster"
	})
	if c.Mode() != redis.ModeSentinel {
		t.Fatalf("Mode = %s, want sentinel", c.Mode())
	}
	if err := c.Set(ctx, "before", "1"); err != nil {
		t.Fatal(err)
	}
	// Replication is asynchronous: a write the replica has not received
	// when it is promoted is lost by Redis itself. WAIT makes "before"
	// reach the replica first, so the check below is of the client.
	acked, err := c.Do(ctx, "WAIT", "1", "5000")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := acked.Int64(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 5000 = %d, %v: the replica never acknowledged the write", n, err)
	}
	if out := redisCLI(t, "-h", "127.0.0.1", "-p", portOf(sentinel), "sentinel", "failover", "mymaster"); !strings.Contains(out, "OK") {
		t.Fatalf("SENTINEL FAILOVER: %s", out)
	}
	// The replica becomes master; the client follows and writes land there.
	deadline = time.Now().Add(40 * time.Second)
	for {
		// Sentinel kills the promoted replica's clients, this poll's
		// included: a dropped poll is retried.
		role, rerr := redisCLITry(t, "-h", "127.0.0.1", "-p", portOf(replica.Addr), "role")
		if rerr == nil && strings.HasPrefix(strings.TrimSpace(role), "master") {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := c.Set(cctx, "after", "2")
			cancel()
			if err == nil {
				v, gerr := redisCLITry(t, "-h", "127.0.0.1", "-p", portOf(replica.Addr), "get", "after")
				if gerr == nil && strings.TrimSpace(v) == "2" {
					break
				}
			} else if !arsenal.Classify(err).Retryable && !arsenal.IsCode(err, arsenal.FailedPrecondition) &&
				(cctx.Err() == nil || !arsenal.IsCode(err, arsenal.DeadlineExceeded)) {
				// This poll's own 2 s deadline running out while the
				// client finds the new master is a poll to repeat, not
				// a failure; any other error that cannot be retried is.
				t.Fatalf("write during failover: %v", err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("client never wrote to the promoted replica (last poll: %q, %v)", role, rerr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, err := c.Get(ctx, "before"); err != nil || v != "1" {
		t.Errorf("data written before the failover = %q, %v", v, err)
	}
}
