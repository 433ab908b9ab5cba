package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

const (
	historySize   = 100
	latencyWindow = 1000
	maxValueLen   = 4 << 10
)

// redisDemo runs the Redis tab's allowlisted commands under the demo
// prefix and keeps their history.
type redisDemo struct {
	c *Console

	mu        sync.Mutex
	history   []redisOp
	latencies []time.Duration
	messages  []redisMessage
	sub       *redis.Subscription
}

type redisOp struct {
	At        time.Time `json:"at"`
	Command   string    `json:"command"`
	Args      []string  `json:"args"`
	LatencyNS int64     `json:"latencyNs"`
	Result    string    `json:"result,omitempty"`
	Error     string    `json:"error,omitempty"`
	Code      string    `json:"code,omitempty"`
}

type redisMessage struct {
	At      time.Time `json:"at"`
	Channel string    `json:"channel"`
	Payload string    `json:"payload"`
}

func newRedisDemo(c *Console) *redisDemo { return &redisDemo{c: c} }

func (d *redisDemo) routes(m *http.ServeMux) {
	m.HandleFunc("POST /api/redis/{op}", d.do)
	m.HandleFunc("GET /api/redis/state", d.state)
}

func (d *redisDemo) client() (*redis.Client, error) {
	_, comp, ok := d.c.component(redis.Kind)
	if !ok {
		return nil, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "redis", "the hub has no redis component")
	}
	cl, ok := comp.(*redis.Client)
	if !ok {
		return nil, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "redis", "the redis component is a %T", comp)
	}
	return cl, nil
}

type redisRequest struct {
	Key     string `json:"key"`
	Field   string `json:"field"`
	Value   string `json:"value"`
	Channel string `json:"channel"`
}

func (d *redisDemo) do(w http.ResponseWriter, r *http.Request) {
	var req redisRequest
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	op := r.PathValue("op")
	if len(req.Key) > 256 || len(req.Field) > 256 || len(req.Channel) > 256 || len(req.Value) > maxValueLen {
		writeErr(w, arsenal.Errorf(arsenal.InvalidArgument, Kind, "redis", "key, field and channel up to 256 bytes, value up to %d", maxValueLen))
		return
	}
	cl, err := d.client()
	if err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := opCtx(r)
	defer cancel()
	p := d.c.opts.DemoPrefix
	key, ch := p+req.Key, p+req.Channel
	if req.Channel == "" {
		ch = p + "events"
	}
	rec := redisOp{At: time.Now()}
	start := time.Now()
	var result string
	switch op {
	case "set":
		rec.Command, rec.Args = "SET", []string{key, req.Value}
		err = cl.Set(ctx, key, req.Value)
		result = "OK"
	case "get":
		rec.Command, rec.Args = "GET", []string{key}
		result, err = cl.Get(ctx, key)
		if redis.IsNotFound(err) {
			result, err = "(nil)", nil
		}
	case "hset":
		rec.Command, rec.Args = "HSET", []string{key, req.Field, req.Value}
		var n int64
		n, err = cl.HSet(ctx, key, req.Field, req.Value)
		result = "(integer) " + strconv.FormatInt(n, 10)
	case "hgetall":
		rec.Command, rec.Args = "HGETALL", []string{key}
		var m map[string]string
		m, err = cl.HGetAll(ctx, key)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			result += k + "=" + m[k] + " "
		}
	case "publish":
		rec.Command, rec.Args = "PUBLISH", []string{ch, req.Value}
		var n int64
		n, err = cl.Publish(ctx, ch, req.Value)
		result = "(integer) " + strconv.FormatInt(n, 10) + " subscribers"
	case "subscribe":
		rec.Command, rec.Args = "SUBSCRIBE", []string{ch}
		err = d.subscribe(ctx, cl, ch)
		result = "subscribed"
	default:
		writeErr(w, arsenal.Errorf(arsenal.InvalidArgument, Kind, "redis", "%q is not an allowed command (set, get, hset, hgetall, publish, subscribe)", op))
		return
	}
	lat := time.Since(start)
	rec.LatencyNS = lat.Nanoseconds()
	if err != nil {
		rec.Error, rec.Code = scrub(err.Error()), arsenal.CodeOf(err).String()
	} else {
		rec.Result = result
	}
	d.mu.Lock()
	d.history = append(d.history, rec)
	if len(d.history) > historySize {
		d.history = d.history[len(d.history)-historySize:]
	}
	d.latencies = append(d.latencies, lat)
	if len(d.latencies) > latencyWindow {
		d.latencies = d.latencies[len(d.latencies)-latencyWindow:]
	}
	d.mu.Unlock()
	d.c.live.publish("redis", map[string]any{"type": "op", "op": rec})
	writeJSON(w, rec)
}

// subscribe subscribes (once) to channel; messages go to the live topic.
func (d *redisDemo) subscribe(ctx context.Context, cl *redis.Client, channel string) error {
	d.mu.Lock()
	if d.sub != nil {
		d.mu.Unlock()
		return nil
	}
	d.mu.Unlock()
	sub, err := cl.Subscribe(ctx, func(m redis.Message) {
		msg := redisMessage{At: time.Now(), Channel: m.Channel, Payload: m.Payload}
		d.mu.Lock()
		d.messages = append(d.messages, msg)
		if len(d.messages) > historySize {
			d.messages = d.messages[len(d.messages)-historySize:]
		}
		d.mu.Unlock()
		d.c.live.publish("redis", map[string]any{"type": "message", "message": msg})
	}, channel)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sub != nil { // lost a race with another click
		go func() { _ = sub.Unsubscribe(context.Background()) }()
		return nil
	}
	d.sub = sub
	return nil
}

type redisState struct {
	Connected   bool           `json:"connected"`
	Reconnects  int64          `json:"reconnects"`
	Disconnects int64          `json:"disconnects"`
	LastError   string         `json:"lastError,omitempty"`
	LastCode    string         `json:"lastCode,omitempty"`
	LastAction  string         `json:"lastAction,omitempty"`
	LastErrorAt time.Time      `json:"lastErrorAt"`
	Subscribed  []string       `json:"subscribed"`
	History     []redisOp      `json:"history"`
	Messages    []redisMessage `json:"messages"`
	Latency     percentiles    `json:"latency"`
}

type percentiles struct {
	Count int   `json:"count"`
	P50   int64 `json:"p50Ns"`
	P95   int64 `json:"p95Ns"`
	P99   int64 `json:"p99Ns"`
	Max   int64 `json:"maxNs"`
}

func percentilesOf(ds []time.Duration) percentiles {
	if len(ds) == 0 {
		return percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) int64 { return s[min(len(s)-1, int(q*float64(len(s))))].Nanoseconds() }
	return percentiles{Count: len(s), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: s[len(s)-1].Nanoseconds()}
}

func (d *redisDemo) state(w http.ResponseWriter, r *http.Request) {
	cl, err := d.client()
	if err != nil {
		writeErr(w, err)
		return
	}
	cs := cl.State()
	v := redisState{Connected: cs.Connected, Reconnects: cs.Reconnects, Disconnects: cs.Disconnects, LastErrorAt: cs.LastErrorAt}
	if cs.LastError != nil {
		cls := arsenal.Classify(cs.LastError)
		v.LastError, v.LastCode = scrub(cs.LastError.Error()), cls.Code.String()
		v.LastAction = cls.Action.String()
	}
	d.mu.Lock()
	v.History = slices.Clone(d.history)
	v.Messages = slices.Clone(d.messages)
	v.Latency = percentilesOf(d.latencies)
	v.Subscribed = []string{}
	if d.sub != nil {
		v.Subscribed = d.sub.Channels()
	}
	d.mu.Unlock()
	if v.History == nil {
		v.History = []redisOp{}
	}
	if v.Messages == nil {
		v.Messages = []redisMessage{}
	}
	writeJSON(w, v)
}

func (d *redisDemo) close() {
	d.mu.Lock()
	sub := d.sub
	d.sub = nil
	d.mu.Unlock()
	if sub != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = sub.Unsubscribe(ctx)
		cancel()
	}
}
