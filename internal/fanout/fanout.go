// Package fanout runs a test's concurrent callers and gathers what went
// wrong. It has no dependencies, so any package's tests (internal ones
// included) can use it.
package fanout

import "sync"

// Run calls fn(0) … fn(n-1) on n goroutines at once, waits for all of
// them and returns the non-nil errors they returned, in caller order.
func Run(n int, fn func(caller int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	out := errs[:0]
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}
