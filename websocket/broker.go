package websocket

import "context"

// Broker carries a Server's topics beyond its own process, so that a
// publish on one server reaches the subscribers of every server sharing
// the broker (package wsredis implements it on Redis). With
// ServerConfig.Broker nil the topics stay in-process, as in Bun.serve:
// the Server's own fan-out is the in-process broker.
//
// The Server keeps its local subscribers itself and tells the broker
// about them; the broker only moves messages between servers and counts
// subscribers across them:
//
//   - NewServer calls Attach once; the broker hands messages that arrived
//     from other servers to Server.DeliverLocal.
//   - Subscribe and Unsubscribe are called once per connection and topic
//     (a connection subscribing twice counts once; a closing connection
//     unsubscribes from each of its topics). They run under the Server's
//     topic lock: they must not block and must not call back into the
//     Server.
//   - Publish is called after the local subscribers (minus the sender)
//     got the message; it must deliver it to the other servers' local
//     subscribers, in the order one goroutine published, and never back
//     to this one. data is only valid during the call. It must not wait
//     for the network: a slow broker must not stall a handler.
//   - SubscriberCount counts topic's subscribers on every server. It may
//     do I/O, and may lag behind (see the implementation's doc).
type Broker interface {
	Attach(s *Server) error
	Subscribe(topic string)
	Unsubscribe(topic string)
	Publish(topic string, typ MessageType, data []byte) error
	SubscriberCount(ctx context.Context, topic string) (int, error)
}

// DeliverLocal sends a message to this server's own subscribers of topic
// only, without going to the Broker: the entry point of a Broker for
// messages published on other servers. It returns how many connections
// it was queued for.
func (s *Server) DeliverLocal(topic string, typ MessageType, data []byte) (int, error) {
	if s.closed.Load() {
		return 0, nil
	}
	return s.publish(topic, typ, data, nil)
}

// Subscribers counts topic's subscribers on every server sharing the
// Broker (through Broker.SubscriberCount), or on this server alone
// without a Broker (SubscriberCount).
func (s *Server) Subscribers(ctx context.Context, topic string) (int, error) {
	if s.cfg.Broker == nil {
		return s.SubscriberCount(topic), nil
	}
	return s.cfg.Broker.SubscriberCount(ctx, topic)
}

// brokerPublish hands a message already delivered locally to the Broker.
func (s *Server) brokerPublish(topic string, typ MessageType, data []byte, n int, err error) (int, error) {
	if err != nil || s.cfg.Broker == nil {
		return n, err
	}
	return n, s.cfg.Broker.Publish(topic, typ, data)
}
