//go:build race

package s3_test

// allocSlack scales allocation bounds: the race detector roughly doubles
// what the same code allocates.
const allocSlack = 2
