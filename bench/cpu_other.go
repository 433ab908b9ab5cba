//go:build !unix

package bench

// readCPU reports nothing where getrusage does not exist.
func readCPU() cpuTimes { return cpuTimes{} }
