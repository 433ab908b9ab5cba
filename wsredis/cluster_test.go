package wsredis_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/websocket"
	"github.com/infra-arsenal/arsenal/wsredis"
)

func redisCLI(t *testing.T, args ...string) (string, error) {
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

func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := redisCLI(t, args...)
	require.NoError(t, err)
	return out
}

func portOf(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

// startCluster starts three real cluster-mode redis-servers and joins them
// as a 3-master cluster (as the redis package's tests do).
func startCluster(t *testing.T) []*testenv.Redis {
	t.Helper()
	var nodes []*testenv.Redis
	var addrs []string
	for i := 0; i < 3; i++ {
		n := startRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000", "--appendonly", "no")
		nodes = append(nodes, n)
		addrs = append(addrs, n.Addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	mustCLI(t, args...)
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range nodes {
		for {
			info := mustCLI(t, "-h", "127.0.0.1", "-p", portOf(n.Addr), "cluster", "info")
			if strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			require.True(t, time.Now().Before(deadline), "cluster not ok: %s", info)
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nodes
}

func TestClusterOfThreeMastersCarriesTopicsOnShardedPubSubPartitions(t *testing.T) {
	masters := startCluster(t)
	var nodes []*node
	for i := 0; i < 3; i++ {
		// Each server seeds from a different master.
		nodes = append(nodes, startNode(t, redisConfig([]string{masters[i].Addr}, redis.ModeCluster),
			historyFor(wsredis.History{MaxLen: 100})))
	}
	clients := spread(t, nodes, 2, "room")
	checkExactlyOnce(t, clients, "room", 30, "a")
	checkExactlyOnce(t, spread(t, nodes, 1, "other-topic"), "other-topic", 10, "b")

	// The partitions are sharded channels spread over the masters; no
	// plain channel is used.
	shard := map[string]string{}
	for _, m := range masters {
		out := mustCLI(t, "-h", "127.0.0.1", "-p", portOf(m.Addr), "pubsub", "shardchannels", "t:*")
		for _, ch := range strings.Fields(out) {
			shard[ch] = m.Addr
		}
		plain := mustCLI(t, "-h", "127.0.0.1", "-p", portOf(m.Addr), "pubsub", "channels", "t:*")
		assert.Empty(t, strings.TrimSpace(plain), "plain channels on %s", m.Addr)
	}
	owners := map[string]bool{}
	for _, ch := range nodes[0].br.Channels() {
		owner, ok := shard[ch]
		assert.True(t, ok, "partition %s is not a shard channel of any master", ch)
		owners[owner] = true
	}
	assert.Len(t, owners, 3, "the 16 partitions spread over the 3 masters")
	assert.Len(t, nodes[0].br.Channels(), 16)

	// History topics: the stream shares its partition's slot, so the
	// append script publishes on the sharded channel.
	live := dialClient(t, nodes[0].url, "live")
	require.Equal(t, "ok resume 0", live.resume(t, "h:cluster", ""))
	var offs []string
	for i := 0; i < 10; i++ {
		off, err := nodes[2].br.Append(context.Background(), "h:cluster", websocket.Text, []byte(fmt.Sprintf("m%d", i)))
		require.NoError(t, err)
		offs = append(offs, off)
	}
	got, _ := historyPayloads(t, live.waitCount(t, 10, 10*time.Second))
	assert.Equal(t, seq(0, 10), got)
	late := dialClient(t, nodes[1].url, "late")
	assert.Equal(t, "ok resume 6", late.resume(t, "h:cluster", offs[3]))
	got, _ = historyPayloads(t, late.waitCount(t, 6, 10*time.Second))
	assert.Equal(t, seq(4, 10), got)

	// SIGKILL and restart one master: the partitions it holds are
	// subscribed again by every server, and delivery resumes.
	victim := masters[2]
	var onVictim int
	for _, ch := range nodes[0].br.Channels() {
		if shard[ch] == victim.Addr {
			onVictim++
		}
	}
	require.NotZero(t, onVictim)
	victim.Kill()
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, victim.Restart())
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range nodes {
		for n.br.BridgeStats().Resubscribes < int64(onVictim) {
			require.True(t, time.Now().Before(deadline), "partitions of the restarted master not resubscribed: %+v", n.br.BridgeStats())
			time.Sleep(50 * time.Millisecond)
		}
	}
	var victimChans []string
	for _, ch := range nodes[0].br.Channels() {
		if shard[ch] == victim.Addr {
			victimChans = append(victimChans, ch)
		}
	}
	waitSubs(t, victim.Addr, "shardnumsub", victimChans, 3, 30*time.Second)
	checkExactlyOnce(t, clients, "room", 10, "after-restart")
	// A topic whose partition lives on the restarted master.
	var topic string
	for i := 0; topic == ""; i++ {
		cand := "victim-" + strconv.Itoa(i)
		h := fnv.New32a()
		_, _ = h.Write([]byte(cand))
		if shard[nodes[0].br.Channels()[h.Sum32()%16]] == victim.Addr {
			topic = cand
		}
	}
	checkExactlyOnce(t, spread(t, nodes, 1, topic), topic, 10, "on-victim")
	for _, n := range nodes {
		assert.Zero(t, n.br.BridgeStats().Gaps)
	}
}

// startSentinel runs redis-server --sentinel watching master as "mymaster".
func startSentinel(t *testing.T, master string) string {
	t.Helper()
	bin, ok := testenv.Binary("redis-server")
	require.True(t, ok, "redis-server not found")
	port, err := testenv.FreePort()
	require.NoError(t, err)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %s 1\n"+
		"sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 5000\n", port, dir, portOf(master))
	require.NoError(t, os.WriteFile(conf, []byte(body), 0o600))
	log, err := os.Create(filepath.Join(dir, "sentinel.log"))
	require.NoError(t, err)
	cmd := exec.Command(bin, conf, "--sentinel")
	cmd.Stdout, cmd.Stderr = log, log
	setPdeathsig(cmd)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	require.NoError(t, testenv.WaitTCP(addr, 10*time.Second))
	return addr
}

func TestSentinelDeploymentDeliversAndResubscribesAfterAFailover(t *testing.T) {
	master := startRedis(t)
	replica := startRedis(t, "--replicaof", "127.0.0.1", portOf(master.Addr))
	sentinel := startSentinel(t, master.Addr)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := mustCLI(t, "-h", "127.0.0.1", "-p", portOf(sentinel), "sentinel", "replicas", "mymaster")
		info := mustCLI(t, "-h", "127.0.0.1", "-p", portOf(replica.Addr), "info", "replication")
		if strings.Contains(out, portOf(replica.Addr)) && strings.Contains(info, "master_link_status:up") {
			break
		}
		require.True(t, time.Now().Before(deadline), "sentinel never saw the replica: %s / %s", out, info)
		time.Sleep(200 * time.Millisecond)
	}
	var nodes []*node
	for i := 0; i < 3; i++ {
		cfg := redisConfig([]string{sentinel}, redis.ModeSentinel)
		cfg.SentinelMaster = "mymaster"
		nodes = append(nodes, startNode(t, cfg))
	}
	clients := spread(t, nodes, 1, "room")
	checkExactlyOnce(t, clients, "room", 10, "before")

	out := mustCLI(t, "-h", "127.0.0.1", "-p", portOf(sentinel), "sentinel", "failover", "mymaster")
	require.Contains(t, out, "OK")
	deadline = time.Now().Add(40 * time.Second)
	for {
		role, err := redisCLI(t, "-h", "127.0.0.1", "-p", portOf(replica.Addr), "role")
		if err == nil && strings.HasPrefix(strings.TrimSpace(role), "master") {
			break
		}
		require.True(t, time.Now().Before(deadline), "replica never promoted: %q %v", role, err)
		time.Sleep(100 * time.Millisecond)
	}
	// Every server follows the new master and restores its partitions there.
	for _, n := range nodes {
		for n.br.BridgeStats().Resubscribes < int64(n.br.BridgeStats().Partitions) {
			require.True(t, time.Now().Before(deadline), "not resubscribed: %+v", n.br.BridgeStats())
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitNumSub(t, replica.Addr, nodes[0].br.Channels(), 3, 30*time.Second)
	checkExactlyOnce(t, clients, "room", 10, "after")
}

// waitNumSub waits until every channel has want subscribers on the
// server at addr (PUBSUB NUMSUB): the servers' subscriptions are restored
// there, not just counted as restored by some of them.
func waitNumSub(t *testing.T, addr string, channels []string, want int, within time.Duration) {
	t.Helper()
	waitSubs(t, addr, "numsub", channels, want, within)
}

// waitSubs is waitNumSub with PUBSUB sub ("numsub" or "shardnumsub").
func waitSubs(t *testing.T, addr, sub string, channels []string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		args := append([]string{"-h", "127.0.0.1", "-p", portOf(addr), "pubsub", sub}, channels...)
		out, err := redisCLI(t, args...)
		f := strings.Fields(out)
		ok := err == nil && len(f) == 2*len(channels)
		for i := 1; ok && i < len(f); i += 2 {
			ok = f[i] == strconv.Itoa(want)
		}
		if ok {
			return
		}
		require.True(t, time.Now().Before(deadline), "PUBSUB NUMSUB on %s: %q %v", addr, out, err)
		time.Sleep(20 * time.Millisecond)
	}
}
