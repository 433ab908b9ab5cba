package tutorial_test

import (
	"context"
	"fmt"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/tutorial"
)

func ExampleAll() {
	for _, t := range tutorial.All() {
		fmt.Printf("%s: %d steps, first %q\n", t.Name, len(t.Steps), t.Steps[0].Title)
	}
	// Output:
	// redis: 6 steps, first "Store a string"
	// s3: 5 steps, first "Upload an object"
	// sqlite: 6 steps, first "Create a table"
	// websocket: 5 steps, first "Connect"
}

// Walk the WebSocket tutorial against its playground (the library's own
// server on loopback): each step is not done until its solution runs.
func ExampleNewPlayground() {
	ctx := context.Background()
	p, err := tutorial.NewPlayground(ctx, "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer p.Close()
	env := &tutorial.Env{WS: p}
	defer env.Close()

	t, _ := tutorial.Get("websocket")
	for i, s := range t.Steps {
		before := s.Validate(ctx, env)
		if err := s.Solution(ctx, env); err != nil {
			panic(err)
		}
		fmt.Printf("step %d %s: before %v, after %v\n", i+1, s.Title, arsenal.CodeOf(before), s.Validate(ctx, env) == nil)
	}
	fmt.Println("the watcher heard:", p.Heard())
	// Output:
	// step 1 Connect: before FailedPrecondition, after true
	// step 2 Send a message: before FailedPrecondition, after true
	// step 3 Join a topic: before FailedPrecondition, after true
	// step 4 Publish to the topic: before FailedPrecondition, after true
	// step 5 Close cleanly: before FailedPrecondition, after true
	// the watcher heard: [learner: hi everyone]
}
