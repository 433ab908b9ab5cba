package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/infra-arsenal/arsenal/websocket"
)

// openSQLite opens the -sqlite database, or a fresh temp file, and
// prepares a key-value table. Its workload writes one row and reads one
// back by primary key.
func openSQLite(ctx context.Context, o options) (*part, error) {
	p := &part{name: "sqlite"}
	var cfg sqlite.Config
	switch {
	case o.sqlite == "":
		dir, err := os.MkdirTemp("", "arsenal-demo-")
		if err != nil {
			return p, err
		}
		p.cleanup = func() { os.RemoveAll(dir) }
		cfg = sqlite.Config{Path: filepath.Join(dir, "demo.db"), Create: true}
		p.source = "embedded: temp file (WAL, 1 writer + pooled readers)"
	case strings.Contains(o.sqlite, ":") && !strings.HasPrefix(o.sqlite, "/"):
		c, err := sqlite.ParseURL(o.sqlite)
		if err != nil {
			return p, err
		}
		cfg = c
		p.source = "file from -sqlite"
	default:
		cfg = sqlite.Config{Path: o.sqlite, Create: true}
		p.source = "file from -sqlite"
	}
	cfg.Observer = o.observer
	db, err := sqlite.Open(ctx, cfg)
	if err != nil {
		return p, err
	}
	if _, err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS arsenal_demo (id INTEGER PRIMARY KEY, worker INTEGER, note TEXT, at REAL)`); err != nil {
		db.Close()
		return p, err
	}
	p.comp = db
	p.workload = func(ctx context.Context, worker, i int) error {
		if _, err := db.Exec(ctx, `INSERT OR REPLACE INTO arsenal_demo (id, worker, note, at) VALUES (?, ?, ?, julianday('now'))`,
			i, worker, "round "+strconv.Itoa(i)); err != nil {
			return err
		}
		var note string
		return db.QueryRow(ctx, `SELECT note FROM arsenal_demo WHERE id = ?`, i).Scan(&note)
	}
	return p, nil
}

// openRedis connects to -redis, or to an embedded miniredis. Its workload
// is SET, GET, HINCRBY and a PUBLISH heard by a subscriber.
func openRedis(ctx context.Context, o options) (*part, error) {
	p := &part{name: "redis"}
	var cfg redis.Config
	if o.redis == "" {
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return p, err
		}
		p.cleanup = m.Close
		// miniredis answers CLUSTER SLOTS; it is one server.
		cfg = redis.Config{Addrs: []string{m.Addr()}, Mode: redis.ModeStandalone}
		p.source = "embedded: miniredis (a stand-in, not a real server)"
	} else {
		c, err := redis.ParseURL(o.redis)
		if err != nil {
			return p, err
		}
		cfg = c
		p.source = "real server from -redis/REDIS_URL"
	}
	cfg.Observer = o.observer
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		return p, err
	}
	var heard sync.Map
	sub, err := c.Subscribe(ctx, func(m redis.Message) { heard.Store(m.Payload, true) }, "arsenal:demo:events")
	if err != nil {
		c.Close()
		return p, err
	}
	p.comp = c
	prev := p.cleanup
	p.cleanup = func() {
		uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = sub.Unsubscribe(uctx)
		cancel()
		if prev != nil {
			prev()
		}
	}
	p.workload = func(ctx context.Context, worker, i int) error {
		key := "arsenal:demo:" + strconv.Itoa(i%1000)
		if err := c.Set(ctx, key, strconv.Itoa(i)); err != nil {
			return err
		}
		if _, err := c.Get(ctx, key); err != nil {
			return err
		}
		if _, err := c.HIncrBy(ctx, "arsenal:demo:workers", "w"+strconv.Itoa(worker), 1); err != nil {
			return err
		}
		if i%10 == 0 {
			_, err := c.Publish(ctx, "arsenal:demo:events", "round "+strconv.Itoa(i))
			return err
		}
		return nil
	}
	return p, nil
}

// openS3 connects to -s3 / S3_ENDPOINT, or to an embedded gofakes3. Its
// workload puts a 1 KiB object, stats it and reads it back; every 50th
// round lists the prefix.
func openS3(ctx context.Context, o options) (*part, error) {
	p := &part{name: "s3"}
	var cfg s3.Config
	switch {
	case o.s3 != "":
		c, err := s3.ParseURL(o.s3)
		if err != nil {
			return p, err
		}
		cfg = c
		p.source = "real store from -s3"
	case os.Getenv("S3_ENDPOINT") != "":
		cfg = s3.FromEnv()
		if cfg.Bucket == "" {
			return p, arsenal.Errorf(arsenal.InvalidArgument, "s3", "open", "S3_ENDPOINT is set but S3_BUCKET is not")
		}
		p.source = "real store from S3_ENDPOINT"
	default:
		backend := s3mem.New()
		if err := backend.CreateBucket("arsenal-demo"); err != nil {
			return p, err
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return p, err
		}
		srv := &http.Server{Handler: gofakes3.New(backend).Server(), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(l)
		p.cleanup = func() { srv.Close() }
		cfg = s3.Config{
			Bucket: "arsenal-demo", Endpoint: "http://" + l.Addr().String(), Region: "us-east-1",
			AccessKeyID: "demo", SecretAccessKey: security.NewSecret("demo-secret"),
		}
		p.source = "embedded: gofakes3 in memory (a stand-in, not a real store)"
	}
	cfg.Observer = o.observer
	c, err := s3.Open(ctx, cfg)
	if err != nil {
		return p, err
	}
	p.comp = c
	body := []byte(strings.Repeat("arsenal ", 128)) // 1 KiB
	p.workload = func(ctx context.Context, worker, i int) error {
		key := fmt.Sprintf("arsenal-demo/%d/%04d.txt", worker, i%200)
		if _, err := c.Put(ctx, key, body, &s3.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"round": strconv.Itoa(i)}}); err != nil {
			return err
		}
		if _, err := c.Stat(ctx, key); err != nil {
			return err
		}
		got, err := c.GetBytes(ctx, key, nil)
		if err != nil {
			return err
		}
		if len(got) != len(body) {
			return arsenal.Errorf(arsenal.DataLoss, "s3", "get", "read %d bytes of %d", len(got), len(body))
		}
		if i%50 == 0 {
			page, err := c.ListPage(ctx, &s3.ListOptions{Prefix: "arsenal-demo/", MaxKeys: 100})
			if err != nil {
				return err
			}
			_ = page
		}
		return nil
	}
	return p, nil
}

// openWebSocket dials -ws, or starts a local echo server (with
// permessage-deflate and a subprotocol) and dials it. Its workload sends a
// JSON message and waits for the echo.
func openWebSocket(ctx context.Context, o options) (*part, error) {
	p := &part{name: "websocket"}
	url := o.ws
	p.source = "real server from -ws"
	if url == "" {
		srv, err := websocket.NewServer(websocket.ServerConfig{
			Subprotocols: []string{"arsenal.echo.v1"},
			Compression:  true,
			OnMessage: func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
				_ = c.Send(typ, data)
			},
		})
		if err != nil {
			return p, err
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			srv.Close()
			return p, err
		}
		hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
		go hs.Serve(l)
		p.cleanup = func() { srv.Close(); hs.Close() }
		url = "ws://" + l.Addr().String() + "/echo"
		p.source = "embedded: local echo server (arsenal websocket.Server, compression on)"
	}
	conn, err := websocket.Dial(ctx, url, &websocket.Options{Subprotocols: []string{"arsenal.echo.v1"}, Observer: o.observer})
	if err != nil {
		return p, err
	}
	p.comp = conn
	// One connection carries every worker's messages in turn: a round is a
	// write and the read of its echo, so rounds are serialized.
	var mu sync.Mutex
	p.workload = func(ctx context.Context, worker, i int) error {
		msg := fmt.Sprintf(`{"type":"demo","worker":%d,"round":%d,"payload":"%s"}`, worker, i, strings.Repeat("x", 200))
		mu.Lock()
		defer mu.Unlock()
		if err := conn.WriteText(ctx, msg); err != nil {
			return err
		}
		_, data, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		if string(data) != msg {
			return arsenal.Errorf(arsenal.DataLoss, "websocket", "echo", "echo differs from the message sent")
		}
		return nil
	}
	return p, nil
}
