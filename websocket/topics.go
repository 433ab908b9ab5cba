package websocket

import (
	"context"
	"sort"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// Subscribe adds the connection to topic (server side only). It costs a
// map insert under the server's topic lock.
func (c *Conn) Subscribe(topic string) error {
	s := c.srv
	if s == nil {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "subscribe", "topics exist on server connections only")
	}
	if s.secOn {
		return c.securedSubscribe(topic)
	}
	return c.subscribe(topic)
}

func (c *Conn) subscribe(topic string) error {
	s := c.srv
	if err := c.usable("subscribe"); err != nil {
		return err
	}
	s.topicMu.Lock()
	defer s.topicMu.Unlock()
	if c.removed {
		// The connection has left the server (finish runs remove
		// before closing done).
		if err := c.usable("subscribe"); err != nil {
			return err
		}
		return arsenal.Errorf(arsenal.Unavailable, Kind, "subscribe", "connection closed")
	}
	if c.topics == nil {
		c.topics = map[string]struct{}{}
	}
	_, had := c.topics[topic]
	c.topics[topic] = struct{}{}
	if !had && s.cfg.Broker != nil {
		s.cfg.Broker.Subscribe(topic)
	}
	subs := s.topics[topic]
	if subs == nil {
		subs = map[*Conn]struct{}{}
		s.topics[topic] = subs
	}
	subs[c] = struct{}{}
	return nil
}

// Unsubscribe removes the connection from topic.
func (c *Conn) Unsubscribe(topic string) error {
	s := c.srv
	if s == nil {
		return arsenal.Errorf(arsenal.FailedPrecondition, Kind, "unsubscribe", "topics exist on server connections only")
	}
	s.topicMu.Lock()
	defer s.topicMu.Unlock()
	if _, had := c.topics[topic]; had && s.cfg.Broker != nil {
		s.cfg.Broker.Unsubscribe(topic)
	}
	delete(c.topics, topic)
	if subs := s.topics[topic]; subs != nil {
		delete(subs, c)
		if len(subs) == 0 {
			delete(s.topics, topic)
		}
	}
	return nil
}

// IsSubscribed reports whether the connection is subscribed to topic.
func (c *Conn) IsSubscribed(topic string) bool {
	if c.srv == nil {
		return false
	}
	c.srv.topicMu.RLock()
	defer c.srv.topicMu.RUnlock()
	_, ok := c.topics[topic]
	return ok
}

// Subscriptions lists the connection's topics in sorted order.
func (c *Conn) Subscriptions() []string {
	if c.srv == nil {
		return nil
	}
	c.srv.topicMu.RLock()
	out := make([]string, 0, len(c.topics))
	for t := range c.topics {
		out = append(out, t)
	}
	c.srv.topicMu.RUnlock()
	sort.Strings(out)
	return out
}

// Publish sends a message to every subscriber of topic except c itself,
// as Bun's ws.publish does, without waiting for any socket. It returns how
// many connections it was queued for (subscribers past their backpressure
// limit are skipped, or closed under BackpressureClose).
func (c *Conn) Publish(topic string, typ MessageType, data []byte) (int, error) {
	if c.srv == nil {
		return 0, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "publish", "topics exist on server connections only")
	}
	return c.srv.observePublish(context.Background(), topic, typ, data, c)
}

// Publish sends a message to every subscriber of topic (server-wide, as
// Bun's server.publish). It returns how many connections it was queued for.
// The frame is built once and shared by subscribers without compression.
// With ServerConfig.Security it runs as the anonymous principal; see
// PublishContext.
func (s *Server) Publish(topic string, typ MessageType, data []byte) (int, error) {
	return s.observePublish(context.Background(), topic, typ, data, nil)
}

// PublishContext is Publish on behalf of the principal ctx carries
// (security.WithPrincipal): ServerConfig.Security's policy decides and its
// audit records under that principal, and the Observer's OpStart
// continues under ctx. A done ctx fails the call before anything is
// queued.
func (s *Server) PublishContext(ctx context.Context, topic string, typ MessageType, data []byte) (int, error) {
	return s.observePublish(ctx, topic, typ, data, nil)
}

// observePublish counts every publish in Stats ("publish"), failures
// included, and reports it to the Observer with its fan-out.
func (s *Server) observePublish(ctx context.Context, topic string, typ MessageType, data []byte, from *Conn) (int, error) {
	if s.cfg.Observer == nil && (s.cfg.Logger == nil || s.cfg.SlowThreshold <= 0) {
		start := s.opPub.Start()
		n, err := s.checkedPublish(ctx, topic, typ, data, from)
		return n, s.opPub.Done(start, err)
	}
	st := arsenal.OpStart{Component: Kind, Op: "publish", Target: "server", Resource: topic, Time: time.Now()}
	if s.cfg.Observer != nil {
		ctx = s.cfg.Observer.OpStart(ctx, st)
	}
	start := s.opPub.Start()
	n, err := s.checkedPublish(ctx, topic, typ, data, from)
	s.opPub.Done(start, err)
	d := time.Since(st.Time)
	if s.cfg.Observer != nil {
		s.cfg.Observer.OpEnd(ctx, st, arsenal.OpEnd{Err: err, Code: arsenal.CodeOf(err), Duration: d,
			BytesOut: int64(len(data)) * int64(n), Messages: int64(n)})
	}
	if s.cfg.Logger != nil && s.cfg.SlowThreshold > 0 && d >= s.cfg.SlowThreshold {
		s.cfg.Logger.Warn("websocket: slow operation", "op", "publish", "topic", topic, "subscribers", n, "duration", d)
	}
	return n, err
}

func (s *Server) checkedPublish(ctx context.Context, topic string, typ MessageType, data []byte, from *Conn) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, arsenal.Wrap(Kind, "publish", err)
	}
	if s.secOn {
		return s.securedPublish(ctx, topic, typ, data, from)
	}
	return s.uncheckedPublish(topic, typ, data, from)
}

func (s *Server) uncheckedPublish(topic string, typ MessageType, data []byte, from *Conn) (int, error) {
	if s.closed.Load() {
		return 0, arsenal.Closed(Kind, "publish")
	}
	if from != nil {
		if err := from.usable("publish"); err != nil {
			return 0, err
		}
	}
	n, err := s.publish(topic, typ, data, from)
	return s.brokerPublish(topic, typ, data, n, err)
}

func (s *Server) publish(topic string, typ MessageType, data []byte, except *Conn) (int, error) {
	if typ != Text && typ != Binary {
		return 0, arsenal.Errorf(arsenal.InvalidArgument, Kind, "publish", "unknown message type %d", int(typ))
	}
	var shared []byte
	n := 0
	s.topicMu.RLock()
	defer s.topicMu.RUnlock()
	for c := range s.topics[topic] {
		if c == except {
			continue
		}
		if c.defl != nil && len(data) >= c.set.compressMin {
			if c.Send(typ, data) == nil {
				n++
			}
			continue
		}
		if shared == nil {
			shared = appendHeader(make([]byte, 0, len(data)+10), true, false, typ.opcode(), len(data), false, [4]byte{})
			shared = append(shared, data...)
		}
		if c.sendFrame(shared, len(data)) {
			n++
		}
	}
	return n, nil
}

// SubscriberCount returns how many connections are subscribed to topic.
func (s *Server) SubscriberCount(topic string) int {
	s.topicMu.RLock()
	defer s.topicMu.RUnlock()
	return len(s.topics[topic])
}
