package tutorial

import (
	"context"
	"slices"
	"time"

	"github.com/infra-arsenal/arsenal/websocket"
)

// Learner is the client name the WebSocket tutorial connects with.
const Learner = "learner"

func pg(env *Env) (*Playground, error) {
	return env.WS, need(env.WS != nil, "a WebSocket playground (Env.WS, from NewPlayground)")
}

// wsConn is the learner's connection from step 1.
func wsConn(env *Env) (*websocket.Conn, error) {
	v, ok := env.Value("ws.conn")
	c, _ := v.(*websocket.Conn)
	if !ok || c == nil {
		return nil, notYet("there is no connection yet: do step 1 first")
	}
	return c, nil
}

// settle polls cond for up to a second (messages cross the socket
// asynchronously), then reports whether it held.
func settle(ctx context.Context, cond func() bool) bool {
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

var _ = register(&Tutorial{
	Name:  "websocket",
	Title: "WebSocket in five steps",
	Description: "Connect, send, join a topic, publish to it and close, with Arsenal's WebSocket client against the " +
		"tutorial's playground server (the library's own websocket.Server), which checks each step.",
	Steps: []Step{
		{
			Title:       "Connect",
			Instruction: `Dial the playground as the client "learner" (its URL with ?name=learner).`,
			Code:        `c, err := websocket.Dial(ctx, playground.ClientURL("learner"), nil)`,
			Hint:        "websocket.Dial takes a ws:// URL and optional Options; the server reads the name from the query.",
			Validate: func(ctx context.Context, env *Env) error {
				p, err := pg(env)
				if err != nil {
					return err
				}
				if !settle(ctx, func() bool { return p.Connected(Learner) }) {
					return notYet("no client called %s is connected", Learner)
				}
				return nil
			},
			Solution: func(ctx context.Context, env *Env) error {
				p, err := pg(env)
				if err != nil {
					return err
				}
				c, err := websocket.Dial(ctx, p.ClientURL(Learner), nil)
				if err != nil {
					return err
				}
				env.Set("ws.conn", c)
				return nil
			},
		},
		{
			Title:       "Send a message",
			Instruction: `Send the text message "hello" (the server echoes it back as "echo: hello").`,
			Code: `err := c.WriteText(ctx, "hello")
_, reply, err := c.Read(ctx) // "echo: hello"`,
			Hint: "WriteText sends one text message; Read returns the next message with its type.",
			Validate: func(ctx context.Context, env *Env) error {
				p, err := pg(env)
				if err != nil {
					return err
				}
				if !settle(ctx, func() bool { return slices.Contains(p.Received(Learner), "hello") }) {
					return notYet("the server has not received \"hello\" from %s (it got %q)", Learner, p.Received(Learner))
				}
				return nil
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := wsConn(env)
				if err != nil {
					return err
				}
				if err := c.WriteText(ctx, "hello"); err != nil {
					return err
				}
				_, _, err = c.Read(ctx)
				return err
			},
		},
		{
			Title:       "Join a topic",
			Instruction: `Join the topic "lobby" by sending "join:lobby" (the server answers "joined lobby").`,
			Code: `err := c.WriteText(ctx, "join:lobby")
_, reply, err := c.Read(ctx) // "joined lobby"`,
			Hint: "Topics live on the server: it calls Conn.Subscribe for the connection when asked.",
			Validate: func(ctx context.Context, env *Env) error {
				p, err := pg(env)
				if err != nil {
					return err
				}
				if !settle(ctx, func() bool { return p.Subscribed(Learner, "lobby") }) {
					return notYet("%s is not in the topic lobby", Learner)
				}
				return nil
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := wsConn(env)
				if err != nil {
					return err
				}
				if err := c.WriteText(ctx, "join:lobby"); err != nil {
					return err
				}
				_, _, err = c.Read(ctx)
				return err
			},
		},
		{
			Title:       "Publish to the topic",
			Instruction: `Say "hi everyone" to the lobby by sending "say:lobby:hi everyone"; the playground's watcher client, in the lobby, must receive "learner: hi everyone".`,
			Code:        `err := c.WriteText(ctx, "say:lobby:hi everyone")`,
			Hint:        "The server publishes with Conn.Publish: everyone in the topic but the sender receives it.",
			Validate: func(ctx context.Context, env *Env) error {
				p, err := pg(env)
				if err != nil {
					return err
				}
				want := Learner + ": hi everyone"
				if !settle(ctx, func() bool { return slices.Contains(p.Heard(), want) }) {
					return notYet("the watcher in lobby has not received %q (it got %q)", want, p.Heard())
				}
				return nil
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := wsConn(env)
				if err != nil {
					return err
				}
				return c.WriteText(ctx, "say:lobby:hi everyone")
			},
		},
		{
			Title:       "Close cleanly",
			Instruction: `Close the connection with status 1000 (normal closure) and the reason "bye".`,
			Code:        `err := c.CloseWith(websocket.StatusNormalClosure, "bye")`,
			Hint:        "CloseWith sends a close frame with a code and reason and waits for the server's reply.",
			Validate: func(ctx context.Context, env *Env) error {
				p, err := pg(env)
				if err != nil {
					return err
				}
				if !settle(ctx, func() bool { return p.Closed(Learner) == "1000 bye" }) {
					return notYet("%s has not closed with \"1000 bye\" (closed: %q)", Learner, p.Closed(Learner))
				}
				return nil
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := wsConn(env)
				if err != nil {
					return err
				}
				return c.CloseWith(websocket.StatusNormalClosure, "bye")
			},
		},
	},
})
