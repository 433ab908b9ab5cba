// Package wsredis carries websocket.Server topics across server processes
// on Redis or Valkey: a Bridge implements websocket.Broker on this
// module's redis package, so Server.Publish and Conn.Publish reach the
// subscribers of every server sharing the Redis deployment, as
// socket.io's Redis adapter and centrifuge do. Neither websocket nor redis
// imports it.
//
//	rc, _ := redis.Open(ctx, redis.Config{Addrs: []string{"127.0.0.1:6379"}})
//	b, _ := wsredis.New(ctx, wsredis.Config{Client: rc})
//	srv, _ := websocket.NewServer(websocket.ServerConfig{Broker: b, ...})
//	defer rc.Close()
//	defer b.Close()
//	defer srv.Close()
//
// # Delivery
//
// A publish is delivered at once to the publishing server's own
// subscribers (the sender connection excluded), then queued and sent to
// Redis; every other server hands it to its own subscribers. Each message
// carries the publishing server's node id, and a server ignores its own
// echo, so nothing is delivered twice. Messages published by one
// goroutine arrive at every server in the order they were published: the
// topics are folded into a fixed number of partitions (Config.Partitions,
// default 16, by FNV-1a hash of the topic) and each partition has one
// channel, one subscription and one sender goroutine that publishes its
// queue in order.
//
// Every server subscribes to every partition channel when New runs, so
// Subscribe and Unsubscribe are local operations with no Redis round trip
// and a server holds Config.Partitions subscriptions however many topics
// there are. The price is that each server receives the messages of every
// topic, also those it has no subscriber for, and drops them.
//
// Each message also carries a sequence number per node and partition. A
// PUBLISH that fails in a way that may be the connection's is retried
// (within Config.PublishTimeout), and a receiver drops a number it
// already had, so a retry that had gone through is never delivered twice
// (Stats: Retries, Repeats); numbers a receiver never saw are counted as
// Gaps. Beyond that, delivery is Redis pub/sub's, at most once: messages
// published while Redis stays unreachable past PublishTimeout, or while
// a subscription is being restored, or queued past Config.QueueSize, are
// lost (the last fail Publish with ResourceExhausted; all are counted).
// Topics that must not lose messages use a history (below).
//
// # Deployments
//
// Standalone and Sentinel deployments use PUBLISH and SUBSCRIBE. In Redis
// Cluster the Bridge uses sharded pub/sub (SPUBLISH and SSUBSCRIBE, Redis
// 7+): each partition channel carries a hash tag, so the partitions spread
// over the masters and a message travels only to the master owning its
// partition, not across the whole cluster bus.
//
// When Redis restarts or fails over, the redis client reconnects and
// restores the partition subscriptions by itself; Stats counts them
// (Resubscribes) and keeps the last error seen, and the Logger gets an
// Info line per restored partition.
//
// # History and resume
//
// Topics named by Config.History keep a bounded history in a Redis
// Stream (MaxLen messages, or MaxAge; trimming happens on each append).
// Bridge.Append publishes to such a topic: one Lua script adds the
// message to the stream, trims it and publishes it with its offset (the
// stream ID), so offsets and delivery order agree. Their subscribers join
// with Bridge.Resume(ctx, conn, topic, lastOffset) instead of
// Conn.Subscribe and receive every message framed with its offset
// (Config.HistoryFrame; default "offset topic\nmessage"), so a client
// knows its last offset. A Resumer makes a websocket.Reconnecting client
// send its offsets by itself on every reconnect (HandleResume answers
// them on the server). Resume sends the messages after lastOffset, in order, then
// the live ones, each once: live messages arriving during the replay wait
// for it (bounded by QueueSize; past that they are re-read from the
// stream). When the history no longer holds everything after lastOffset
// (trimmed, or lost by a Redis without persistence) Resume fails with
// NotFound (ErrHistoryGap) and the connection is live from now on. In
// Redis Cluster a topic's stream lives in its partition's slot. History
// survives a Redis restart only as far as Redis persists it (AOF with
// appendfsync always for no loss).
//
// # Presence
//
// SubscriberCount (and websocket.Server.Subscribers) counts a topic's
// subscribers on every server. Each server keeps a hash per topic,
// <Prefix>:presence:<topic>, with one field per node holding its count
// and an expiry time; it writes the field shortly after its count
// changes and rewrites every field each PresenceTTL/3, and the key
// expires after 2×PresenceTTL without a write. A reader sums its own
// exact count with the other nodes' unexpired fields. The count is thus
// eventually consistent: another server's change shows within the time
// of a write (usually milliseconds), and a server that died without
// Close stops counting after at most PresenceTTL.
package wsredis
