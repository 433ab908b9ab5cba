// Package benchenv finds the servers the domain programs run against.
package benchenv

import (
	"os"

	"github.com/infra-arsenal/arsenal/internal/testenv"
)

// Redis returns the address of the Redis server to benchmark: the one
// ARSENAL_BENCH_REDIS_ADDR names, or one started on loopback for this run
// (a real redis-server when the machine has one, miniredis otherwise).
// stop stops a started server and does nothing for a named one; started
// describes a started server for the log ("" for a named one).
func Redis() (addr string, stop func(), started string, err error) {
	if addr := os.Getenv("ARSENAL_BENCH_REDIS_ADDR"); addr != "" {
		return addr, func() {}, "", nil
	}
	srv, err := testenv.LaunchRedis()
	if err != nil {
		return "", nil, "", err
	}
	kind := "miniredis (stand-in)"
	if srv.Real {
		kind = "redis-server"
	}
	return srv.Addr, srv.Stop, "started " + kind + " at " + srv.Addr, nil
}
