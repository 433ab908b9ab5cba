// Command sqlite compares Arsenal's SQLite component side by side with raw
// zombiezen.com/go/sqlite, mattn/go-sqlite3 and modernc.org/sqlite (both
// through database/sql with prepared statements) and Bun's bun:sqlite, on
// the same machine in one run:
//
//   - point select by primary key, 1 caller and 8 concurrent callers
//     (ops/s; Bun is one JavaScript thread and runs one caller);
//   - inserting 100,000 rows in one transaction (rows/s);
//   - deserializing a 64 MiB image (ms), against copying 64 MiB in memory.
//
// Implementations are measured in interleaved rounds (A B C D E, A B C D
// E, ...) and the best round of each is kept for the tables. The target
// checks use paired rounds instead: the two sides of a check measured in
// alternation in short slices (Bun through a long-running `bun` process
// answering slice requests), and the median of the per-round ratios, so a
// slow spell of the machine falls on both sides of a ratio. Results are
// JSON lines on stdout, progress on stderr.
//
// Run from benchmarks: go run ./sqlite [-quick].
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3"
	_ "modernc.org/sqlite"
	zs "zombiezen.com/go/sqlite"

	"github.com/infra-arsenal/arsenal/bench"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/sqlite"
)

const (
	domain      = "sqlite"
	rows        = 10000
	pointSelect = "SELECT id, name, score FROM bench WHERE id = ?"
	insertRows  = 100_000
)

var (
	quick       = flag.Bool("quick", false, "shorter runs, one round")
	rounds      = flag.Int("rounds", 3, "interleaved rounds per workload (best kept)")
	dur         = flag.Duration("duration", time.Second, "measuring time per implementation and round")
	callersList = flag.String("callers", "1,8", "point-select caller counts to measure (the target checks need 1 and 8)")
	only        = flag.String("only", "", "measure one workload only, point or insert (for profiling; no target checks)")
	pairRounds  = flag.Int("pair-rounds", 16, "paired rounds (A B, B A, ...) behind each target check")
	pairSlice   = flag.Duration("pair-slice", 250*time.Millisecond, "measuring time per side of a paired round")
	cpuProfile  = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
)

func main() {
	flag.Parse()
	if *quick {
		*rounds, *dur = 1, 300*time.Millisecond
		*pairRounds, *pairSlice = 4, 150*time.Millisecond
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sqlite bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "sqlite bench:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sqlite bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "sqlite bench: "+format+"\n", args...) }

// lines writes the results in the runner's JSON-lines format.
var lines = bench.NewLineWriter(os.Stdout)

func emit(workload, impl, metric string, value float64, better string) {
	_ = lines.Write(bench.Line{Domain: domain, Workload: workload, Impl: impl, Metric: metric, Value: value, Better: better})
}

func check(name string, pass bool, detail string) {
	_ = lines.Check(domain, name, pass, detail)
	logf("check %q: pass=%v (%s)", name, pass, detail)
}

// impl measures one implementation: it returns operations per second.
type impl struct {
	name    string
	measure func(callers int, d time.Duration) (float64, error)
	close   func()
}

func run() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "arsenal-sqlite-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bench.db")
	if err := seed(ctx, path); err != nil {
		return err
	}
	logf("seeded %d rows in %s; GOMAXPROCS=%d", rows, path, runtime.GOMAXPROCS(0))

	adb, err := sqlite.Open(ctx, sqlite.Config{Path: path, Readers: 8})
	if err != nil {
		return err
	}
	defer adb.Close()
	impls, err := pointImpls(ctx, adb, path)
	if err != nil {
		return err
	}
	defer func() {
		for _, im := range impls {
			if im.close != nil {
				im.close()
			}
		}
	}()
	bun, haveBun := testenv.Peer("bun")
	if haveBun {
		impls = append(impls, impl{name: "bun", measure: func(int, time.Duration) (float64, error) { return bunPoint(bun, path) }})
	} else {
		logf("bun not found in %s: bun:sqlite is left out", testenv.NodeDir())
	}

	best := map[string]map[string]float64{}
	var callerCounts []int
	for _, f := range strings.Split(*callersList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -callers %q", *callersList)
		}
		callerCounts = append(callerCounts, n)
	}
	if *only == "insert" {
		callerCounts = nil
	}
	for _, callers := range callerCounts {
		w := fmt.Sprintf("point select by PK, %d caller", callers)
		if callers > 1 {
			w += "s"
		}
		best[w] = map[string]float64{}
		for r := 0; r < *rounds; r++ {
			for _, im := range impls {
				ops, err := im.measure(callers, *dur)
				if err != nil {
					return fmt.Errorf("%s %s: %w", w, im.name, err)
				}
				logf("%s round %d: %-18s %12.0f ops/s", w, r+1, im.name, ops)
				if ops > best[w][im.name] {
					best[w][im.name] = ops
				}
			}
		}
		for _, im := range impls {
			emit(w, im.name, "ops/s", best[w][im.name], "higher")
		}
	}

	// Paired rounds for the target checks: two implementations measured
	// in alternation (A B, B A, ...) in short slices, and the median of
	// the per-round ratios kept, so that a slow spell of the machine hits
	// both sides of a ratio alike instead of one side's best round.
	pairs := map[string]bench.Spread{}
	if slices.Contains(callerCounts, 1) && slices.Contains(callerCounts, 8) {
		byName := map[string]impl{}
		for _, im := range impls {
			byName[im.name] = im
		}
		side := func(name string, callers int) func(time.Duration) (float64, error) {
			return func(d time.Duration) (float64, error) { return byName[name].measure(callers, d) }
		}
		type pair struct {
			key     string
			callers int
			a, b    string
		}
		rs, err := fineOverhead(ctx, adb, path, *pairRounds*25)
		if err != nil {
			return fmt.Errorf("paired overhead: %w", err)
		}
		pairs["overhead"] = bench.SpreadOf(rs)
		logf("paired raw zombiezen/arsenal, 1 caller: median %.3f (IQR %.3f-%.3f) over %d block pairs", pairs["overhead"].Median, pairs["overhead"].Q1, pairs["overhead"].Q3, len(rs))
		for _, p := range []pair{{"mattn", 8, "arsenal", "mattn/go-sqlite3"}} {
			rs, err := paired(*pairRounds, *pairSlice, side(p.a, p.callers), side(p.b, p.callers))
			if err != nil {
				return fmt.Errorf("paired %s: %w", p.key, err)
			}
			pairs[p.key] = bench.SpreadOf(rs)
			logf("paired %s/%s, %d callers: median %.3f (IQR %.3f-%.3f) over %d rounds", p.a, p.b, p.callers, pairs[p.key].Median, pairs[p.key].Q1, pairs[p.key].Q3, len(rs))
		}
		if haveBun {
			bs, err := startBunSlicer(bun, path)
			if err != nil {
				return err
			}
			rs, err := paired(*pairRounds, *pairSlice, side("arsenal", 8), bs.slice)
			if err != nil {
				bs.close()
				return fmt.Errorf("paired bun: %w", err)
			}
			pairs["bun"] = bench.SpreadOf(rs)
			logf("paired arsenal(8)/bun: median %.3f (IQR %.3f-%.3f) over %d rounds", pairs["bun"].Median, pairs["bun"].Q1, pairs["bun"].Q3, len(rs))
			rs, err = paired(*pairRounds, *pairSlice, side("arsenal mmap", 8), bs.slice)
			bs.close()
			if err != nil {
				return fmt.Errorf("paired bun mmap: %w", err)
			}
			pairs["bun mmap"] = bench.SpreadOf(rs)
			logf("paired arsenal mmap(8)/bun: median %.3f (IQR %.3f-%.3f) over %d rounds", pairs["bun mmap"].Median, pairs["bun mmap"].Q1, pairs["bun mmap"].Q3, len(rs))
		}
	}

	if *only == "point" {
		return nil
	}

	// Inserts: 100k rows in one transaction, each implementation in a fresh file.
	wIns := "insert 100k rows in one transaction"
	insImpls := insertImpls(dir)
	if haveBun {
		insImpls = append(insImpls, impl{name: "bun", measure: func(int, time.Duration) (float64, error) {
			return bunInsert(bun, filepath.Join(dir, fmt.Sprintf("ins-bun-%d.db", time.Now().UnixNano())))
		}})
	}
	best[wIns] = map[string]float64{}
	for r := 0; r < *rounds; r++ {
		for _, im := range insImpls {
			rps, err := im.measure(1, *dur)
			if err != nil {
				return fmt.Errorf("%s %s: %w", wIns, im.name, err)
			}
			logf("%s round %d: %-18s %12.0f rows/s", wIns, r+1, im.name, rps)
			if rps > best[wIns][im.name] {
				best[wIns][im.name] = rps
			}
		}
	}
	for _, im := range insImpls {
		emit(wIns, im.name, "rows/s", best[wIns][im.name], "higher")
	}
	fe, fa, err := fineInsertOverhead(ctx, dir, *pairRounds*25)
	if err != nil {
		return fmt.Errorf("paired insert overhead: %w", err)
	}
	pairs["insert exec"], pairs["insert args"] = bench.SpreadOf(fe), bench.SpreadOf(fa)
	logf("paired inserts, Exec/raw: median %.3f (IQR %.3f-%.3f); ExecArgs/raw: median %.3f (IQR %.3f-%.3f) over %d rounds",
		pairs["insert exec"].Median, pairs["insert exec"].Q1, pairs["insert exec"].Q3, pairs["insert args"].Median, pairs["insert args"].Q1, pairs["insert args"].Q3, len(fe))
	if *only == "insert" {
		return nil
	}

	// Deserialize 64 MiB against a 64 MiB memory copy.
	img, err := image64(ctx)
	if err != nil {
		return err
	}
	imgPath := filepath.Join(dir, "image64.db")
	if err := os.WriteFile(imgPath, img, 0o644); err != nil {
		return err
	}
	wDes := "deserialize 64 MiB"
	des := map[string]time.Duration{}
	copyDst := make([]byte, len(img))
	iters := 3
	if *quick {
		iters = 2
	}
	for r := 0; r < *rounds; r++ {
		for _, name := range []string{"limit", "arsenal", "raw zombiezen", "bun"} {
			var d time.Duration
			var err error
			switch name {
			case "limit":
				// The baseline copies into a buffer that is already
				// mapped, so it measures the copy, not page faults.
				d = bestOf(iters, func() error { copy(copyDst, img); return nil }, &err)
			case "arsenal":
				d = bestOf(iters, func() error {
					db, err := sqlite.Deserialize(ctx, img, sqlite.DeserializeOptions{ReadOnly: true})
					if err != nil {
						return err
					}
					return db.Close()
				}, &err)
			case "raw zombiezen":
				d = bestOf(iters, func() error {
					c, err := zs.OpenConn(":memory:", zs.OpenReadWrite|zs.OpenMemory)
					if err != nil {
						return err
					}
					defer c.Close()
					if err := c.Deserialize("main", img); err != nil {
						return err
					}
					s, _, err := c.PrepareTransient("SELECT count(*) FROM sqlite_schema")
					if err != nil {
						return err
					}
					defer s.Finalize()
					_, err = s.Step()
					return err
				}, &err)
			case "bun":
				if !haveBun {
					continue
				}
				d, err = bunDeserialize(bun, imgPath, iters)
			}
			if err != nil {
				return fmt.Errorf("%s %s: %w", wDes, name, err)
			}
			logf("%s round %d: %-18s %8.2f ms", wDes, r+1, name, float64(d)/1e6)
			if old, ok := des[name]; !ok || d < old {
				des[name] = d
			}
		}
	}
	for _, name := range []string{"arsenal", "raw zombiezen", "bun", "limit"} {
		if d, ok := des[name]; ok {
			emit(wDes, name, "ms", float64(d)/1e6, "lower")
		}
	}

	// Target checks, on the paired medians (the tables above keep each
	// implementation's best round).
	p1, p8 := best["point select by PK, 1 caller"], best["point select by PK, 8 callers"]
	paired := fmt.Sprintf("median of %d paired %v rounds", *pairRounds, *pairSlice)
	if sp, ok := pairs["overhead"]; ok {
		over := sp.Median - 1
		check("point-select wrapper overhead <= 5% over raw zombiezen", over <= 0.05, fmt.Sprintf("%.1f%% (median of %d interleaved pairs of 400-query blocks, IQR %.1f%% to %.1f%%; best rounds: arsenal %.0f, raw %.0f ops/s)", over*100, *pairRounds*25, (sp.Q1-1)*100, (sp.Q3-1)*100, p1["arsenal"], p1["raw zombiezen"]))
	}
	if fe, fa := pairs["insert exec"], pairs["insert args"]; fe.Median > 0 && fa.Median > 0 {
		ins := best[wIns]
		over := fe.Median - 1
		check("insert wrapper overhead <= 10% over raw zombiezen", over <= 0.10, fmt.Sprintf("%.1f%% (median of %d interleaved rounds of 500-row blocks in open transactions, IQR %.1f%% to %.1f%%; best of %d 100k-row rounds: arsenal %.0f, raw %.0f rows/s)", over*100, *pairRounds*25-1, (fe.Q1-1)*100, (fe.Q3-1)*100, *rounds, ins["arsenal"], ins["raw zombiezen"]))
		over = fa.Median - 1
		check("insert wrapper overhead with ExecArgs <= 10% over raw zombiezen", over <= 0.10, fmt.Sprintf("%.1f%% (median of %d interleaved rounds of 500-row blocks in open transactions, IQR %.1f%% to %.1f%%; best of %d 100k-row rounds: arsenal ExecArgs %.0f, raw %.0f rows/s)", over*100, *pairRounds*25-1, (fa.Q1-1)*100, (fa.Q3-1)*100, *rounds, ins["arsenal ExecArgs"], ins["raw zombiezen"]))
	}
	if sp, ok := pairs["mattn"]; ok {
		check("8-caller point select >= 1.5x mattn/go-sqlite3", sp.Median >= 1.5, fmt.Sprintf("%.2fx (%s, IQR %.2f-%.2f; best rounds: %.0f vs %.0f ops/s)", sp.Median, paired, sp.Q1, sp.Q3, p8["arsenal"], p8["mattn/go-sqlite3"]))
	}
	if sp, ok := pairs["bun"]; ok {
		check("8-caller point select >= bun:sqlite", sp.Median >= 1, fmt.Sprintf("%.2fx (%s, IQR %.2f-%.2f; best rounds: %.0f vs %.0f ops/s; bun is one JS thread)", sp.Median, paired, sp.Q1, sp.Q3, p8["arsenal"], p8["bun"]))
	}
	if sp, ok := pairs["bun mmap"]; ok {
		check("8-caller point select with MmapSize >= 2x bun:sqlite", sp.Median >= 2, fmt.Sprintf("%.2fx (%s, IQR %.2f-%.2f; best rounds: %.0f vs %.0f ops/s)", sp.Median, paired, sp.Q1, sp.Q3, p8["arsenal mmap"], p8["bun"]))
	}
	dr := float64(des["arsenal"]) / float64(des["limit"])
	check("deserialize 64 MiB within 3x of a 64 MiB memory copy", dr <= 3, fmt.Sprintf("%.2fx (%.1f ms vs %.1f ms)", dr, float64(des["arsenal"])/1e6, float64(des["limit"])/1e6))
	return nil
}

func bestOf(n int, f func() error, errp *error) time.Duration {
	best := time.Duration(1<<63 - 1)
	for i := 0; i < n; i++ {
		runtime.GC()
		start := time.Now()
		if err := f(); err != nil {
			*errp = err
			return 0
		}
		if d := time.Since(start); d < best {
			best = d
		}
	}
	return best
}

func seed(ctx context.Context, path string) error {
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Create: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL)"); err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sqlite.Tx) error {
		for i := 1; i <= rows; i++ {
			if _, err := tx.Exec(ctx, "INSERT INTO bench VALUES (?, ?, ?)", i, fmt.Sprintf("name-%d", i), float64(i)/3); err != nil {
				return err
			}
		}
		return nil
	})
}

// loop runs body in callers goroutines for the measuring time and returns
// operations per second. body gets the goroutine index and an iteration
// number.
func loop(d time.Duration, callers int, setup func(g int) (func(i int) error, func(), error)) (float64, error) {
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	bodies := make([]func(int) error, callers)
	var cleanups []func()
	for g := 0; g < callers; g++ {
		b, c, err := setup(g)
		if err != nil {
			return 0, err
		}
		bodies[g] = b
		if c != nil {
			cleanups = append(cleanups, c)
		}
	}
	defer func() {
		for _, c := range cleanups {
			c()
		}
	}()
	// Warm up.
	for g := 0; g < callers; g++ {
		for i := 0; i < 200; i++ {
			if err := bodies[g](i); err != nil {
				return 0, err
			}
		}
	}
	start := time.Now()
	end := start.Add(d)
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for i := g * 7919; ; i++ {
				if i%64 == 0 && time.Now().After(end) {
					break
				}
				if err := bodies[g](i); err != nil {
					errs <- err
					return
				}
				n++
			}
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(total.Load()) / time.Since(start).Seconds(), nil
}

// fineOverhead measures the wrapper's single-caller overhead finely
// interleaved: one goroutine alternates blocks of 400 point selects
// through Arsenal and through a raw zombiezen connection (which side goes
// first alternates too), and returns each block pair's time ratio,
// Arsenal's over raw's, so 1.05 means 5% overhead.
// Blocks last a few milliseconds, so a slow spell of the machine covers
// both sides of a pair.
func fineOverhead(ctx context.Context, adb *sqlite.DB, path string, pairs int) ([]float64, error) {
	c, err := zs.OpenConn(path, zs.OpenReadOnly)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	s := c.Prep(pointSelect)
	const block = 400
	var id int64
	var name string
	var score float64
	i := 0
	rawBlock := func() (time.Duration, error) {
		start := time.Now()
		for range block {
			i++
			s.BindInt64(1, int64(i%rows+1))
			ok, err := s.Step()
			if err != nil {
				return 0, err
			}
			if !ok {
				return 0, fmt.Errorf("no row %d", i%rows+1)
			}
			id, name, score = s.ColumnInt64(0), s.ColumnText(1), s.ColumnFloat(2)
			if err := s.Reset(); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
	arsenalBlock := func() (time.Duration, error) {
		start := time.Now()
		for range block {
			i++
			if err := adb.QueryRow(ctx, pointSelect, i%rows+1).Scan(&id, &name, &score); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
	for range 5 { // warm up both
		if _, err := rawBlock(); err != nil {
			return nil, err
		}
		if _, err := arsenalBlock(); err != nil {
			return nil, err
		}
	}
	secs := func(block func() (time.Duration, error)) func() (float64, error) {
		return func() (float64, error) { d, err := block(); return d.Seconds(), err }
	}
	ta, tr, err := bench.Alternate(pairs, secs(arsenalBlock), secs(rawBlock))
	if err != nil {
		return nil, err
	}
	_ = id + int64(score) + int64(len(name))
	return bench.Ratios(ta, tr), nil
}

// rawExec runs one statement with no arguments on a raw zombiezen
// connection.
func rawExec(c *zs.Conn, q string) error {
	s, _, err := c.PrepareTransient(q)
	if err != nil {
		return err
	}
	defer s.Finalize()
	_, err = s.Step()
	return err
}

// fineInsertOverhead measures the wrapper's insert overhead finely
// interleaved, as fineOverhead does for point selects: inside one open
// transaction each (separate files, WAL with synchronous=NORMAL), one
// goroutine runs blocks of 500 inserts through Tx.Exec, through
// Tx.ExecArgs and through a raw zombiezen statement, the three in a
// rotating order, and returns each round's time ratios, Exec's and
// ExecArgs' over raw's (1.10 means 10% overhead). Every 40 rounds
// (20,000 rows a side) both commit and begin again, so no transaction
// grows without bound.
func fineInsertOverhead(ctx context.Context, dir string, rounds int) (exec, args []float64, err error) {
	const insert = "INSERT INTO ins(name, score) VALUES (?, ?)"
	const block, perTx = 500, 40
	adb, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, fmt.Sprintf("fine-arsenal-%d.db", time.Now().UnixNano())), Create: true})
	if err != nil {
		return nil, nil, err
	}
	defer adb.Close()
	if _, err := adb.Exec(ctx, "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)"); err != nil {
		return nil, nil, err
	}
	c, err := zs.OpenConn(filepath.Join(dir, fmt.Sprintf("fine-raw-%d.db", time.Now().UnixNano())), zs.OpenReadWrite|zs.OpenCreate|zs.OpenWAL)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	for _, q := range []string{"PRAGMA journal_mode=wal", "PRAGMA synchronous=NORMAL", "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)"} {
		if err := rawExec(c, q); err != nil {
			return nil, nil, err
		}
	}
	raw := c.Prep(insert)
	n := 0
	for done := 0; done < rounds; {
		if err := rawExec(c, "BEGIN"); err != nil {
			return nil, nil, err
		}
		err := adb.Tx(ctx, func(tx *sqlite.Tx) error {
			sides := [3]func() error{
				func() error {
					for i := range block {
						if _, err := tx.Exec(ctx, insert, "row", float64(n+i)); err != nil {
							return err
						}
					}
					return nil
				},
				func() error {
					for i := range block {
						if _, err := tx.ExecArgs(ctx, insert, sqlite.TextArg("row"), sqlite.FloatArg(float64(n+i))); err != nil {
							return err
						}
					}
					return nil
				},
				func() error {
					for i := range block {
						raw.BindText(1, "row")
						raw.BindFloat(2, float64(n+i))
						if _, err := raw.Step(); err != nil {
							return err
						}
						if err := raw.Reset(); err != nil {
							return err
						}
					}
					return nil
				},
			}
			for r := 0; r < perTx && done < rounds; r++ {
				var t [3]float64
				for k := range 3 {
					side := (done + k) % 3 // rotate which goes first
					start := time.Now()
					if err := sides[side](); err != nil {
						return err
					}
					t[side] = time.Since(start).Seconds()
				}
				n += block
				if r > 0 || done > 0 { // the very first round warms up
					exec = append(exec, t[0]/t[2])
					args = append(args, t[1]/t[2])
				}
				done++
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if err := rawExec(c, "COMMIT"); err != nil {
			return nil, nil, err
		}
	}
	return exec, args, nil
}

func pointImpls(ctx context.Context, adb *sqlite.DB, path string) ([]impl, error) {
	arsenal := impl{name: "arsenal", measure: func(callers int, d time.Duration) (float64, error) {
		return loop(d, callers, func(int) (func(int) error, func(), error) {
			var id int64
			var name string
			var score float64
			return func(i int) error {
				return adb.QueryRow(ctx, pointSelect, i%rows+1).Scan(&id, &name, &score)
			}, nil, nil
		})
	}}
	// The same with Config.MmapSize: reads bypass the page cache and its
	// process-wide lock (an opt-in; see its doc for the cost).
	mdb, err := sqlite.Open(ctx, sqlite.Config{Path: path, Readers: 8, MmapSize: 256 << 20})
	if err != nil {
		return nil, err
	}
	mmap := impl{name: "arsenal mmap", close: func() { mdb.Close() }, measure: func(callers int, d time.Duration) (float64, error) {
		return loop(d, callers, func(int) (func(int) error, func(), error) {
			var id int64
			var name string
			var score float64
			return func(i int) error {
				return mdb.QueryRow(ctx, pointSelect, i%rows+1).Scan(&id, &name, &score)
			}, nil, nil
		})
	}}
	// Raw zombiezen: one read-only connection per caller, statement
	// prepared once (the best a hand-written pool can do).
	raw := impl{name: "raw zombiezen", measure: func(callers int, d time.Duration) (float64, error) {
		return loop(d, callers, func(int) (func(int) error, func(), error) {
			c, err := zs.OpenConn(path, zs.OpenReadOnly)
			if err != nil {
				return nil, nil, err
			}
			s := c.Prep(pointSelect)
			return func(i int) error {
				s.BindInt64(1, int64(i%rows+1))
				ok, err := s.Step()
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("no row %d", i%rows+1)
				}
				_, _, _ = s.ColumnInt64(0), s.ColumnText(1), s.ColumnFloat(2)
				return s.Reset()
			}, func() { c.Close() }, nil
		})
	}}
	sqlImpl := func(name, driver, dsn string) (impl, error) {
		db, err := sql.Open(driver, dsn)
		if err != nil {
			return impl{}, err
		}
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
		stmt, err := db.PrepareContext(ctx, pointSelect)
		if err != nil {
			db.Close()
			return impl{}, err
		}
		return impl{name: name, close: func() { stmt.Close(); db.Close() }, measure: func(callers int, d time.Duration) (float64, error) {
			return loop(d, callers, func(int) (func(int) error, func(), error) {
				var id int64
				var n string
				var score float64
				return func(i int) error {
					return stmt.QueryRowContext(ctx, i%rows+1).Scan(&id, &n, &score)
				}, nil, nil
			})
		}}, nil
	}
	mattn, err := sqlImpl("mattn/go-sqlite3", "sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		mmap.close()
		return nil, err
	}
	modernc, err := sqlImpl("modernc.org/sqlite", "sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		mmap.close()
		mattn.close()
		return nil, err
	}
	return []impl{arsenal, mmap, raw, mattn, modernc}, nil
}

func insertImpls(dir string) []impl {
	ctx := context.Background()
	fresh := func(name string) string {
		return filepath.Join(dir, fmt.Sprintf("ins-%s-%d.db", strings.ReplaceAll(name, "/", "_"), time.Now().UnixNano()))
	}
	timed := func(f func() error) (float64, error) {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		return insertRows / time.Since(start).Seconds(), nil
	}
	arsenal := impl{name: "arsenal", measure: func(int, time.Duration) (float64, error) {
		db, err := sqlite.Open(ctx, sqlite.Config{Path: fresh("arsenal"), Create: true})
		if err != nil {
			return 0, err
		}
		defer db.Close()
		if _, err := db.Exec(ctx, "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)"); err != nil {
			return 0, err
		}
		return timed(func() error {
			return db.Tx(ctx, func(tx *sqlite.Tx) error {
				for i := 0; i < insertRows; i++ {
					if _, err := tx.Exec(ctx, "INSERT INTO ins(name, score) VALUES (?, ?)", "row", float64(i)); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}}
	// ExecArgs binds typed arguments: no ...any boxing, no allocation.
	arsenalArgs := impl{name: "arsenal ExecArgs", measure: func(int, time.Duration) (float64, error) {
		db, err := sqlite.Open(ctx, sqlite.Config{Path: fresh("arsenal-args"), Create: true})
		if err != nil {
			return 0, err
		}
		defer db.Close()
		if _, err := db.Exec(ctx, "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)"); err != nil {
			return 0, err
		}
		return timed(func() error {
			return db.Tx(ctx, func(tx *sqlite.Tx) error {
				for i := 0; i < insertRows; i++ {
					if _, err := tx.ExecArgs(ctx, "INSERT INTO ins(name, score) VALUES (?, ?)", sqlite.TextArg("row"), sqlite.FloatArg(float64(i))); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}}
	raw := impl{name: "raw zombiezen", measure: func(int, time.Duration) (float64, error) {
		c, err := zs.OpenConn(fresh("raw"), zs.OpenReadWrite|zs.OpenCreate|zs.OpenWAL)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		for _, q := range []string{"PRAGMA synchronous=NORMAL", "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)"} {
			if err := rawExec(c, q); err != nil {
				return 0, err
			}
		}
		return timed(func() error {
			if err := rawExec(c, "BEGIN"); err != nil {
				return err
			}
			s := c.Prep("INSERT INTO ins(name, score) VALUES (?, ?)")
			for i := 0; i < insertRows; i++ {
				s.BindText(1, "row")
				s.BindFloat(2, float64(i))
				if _, err := s.Step(); err != nil {
					return err
				}
				s.Reset()
			}
			return rawExec(c, "COMMIT")
		})
	}}
	sqlImpl := func(name, driver, dsnSuffix string) impl {
		return impl{name: name, measure: func(int, time.Duration) (float64, error) {
			db, err := sql.Open(driver, "file:"+fresh(name)+dsnSuffix)
			if err != nil {
				return 0, err
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, "CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)"); err != nil {
				return 0, err
			}
			return timed(func() error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				stmt, err := tx.PrepareContext(ctx, "INSERT INTO ins(name, score) VALUES (?, ?)")
				if err != nil {
					tx.Rollback()
					return err
				}
				for i := 0; i < insertRows; i++ {
					if _, err := stmt.ExecContext(ctx, "row", float64(i)); err != nil {
						tx.Rollback()
						return err
					}
				}
				stmt.Close()
				return tx.Commit()
			})
		}}
	}
	return []impl{arsenal, arsenalArgs, raw,
		sqlImpl("mattn/go-sqlite3", "sqlite3", "?_journal_mode=WAL&_synchronous=NORMAL"),
		sqlImpl("modernc.org/sqlite", "sqlite", "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"),
	}
}

func image64(ctx context.Context) ([]byte, error) {
	db, err := sqlite.Open(ctx, sqlite.Config{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE blobs(id INTEGER PRIMARY KEY, b BLOB)"); err != nil {
		return nil, err
	}
	err = db.Tx(ctx, func(tx *sqlite.Tx) error {
		for i := 0; i < 1024; i++ {
			if _, err := tx.Exec(ctx, "INSERT INTO blobs(b) VALUES (randomblob(65000))"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.Serialize(ctx, "")
}

type bunResult struct {
	Ops       float64 `json:"ops"`
	ElapsedMS float64 `json:"elapsed_ms"`
}

// bunCmd is `bun bun_sqlite.ts args...`, run from the npm peers' directory.
func bunCmd(ctx context.Context, bun string, args ...string) *exec.Cmd {
	script, _ := filepath.Abs(filepath.Join("sqlite", "bun_sqlite.ts"))
	cmd := exec.CommandContext(ctx, bun, append([]string{script}, args...)...)
	cmd.Dir = testenv.NodeDir()
	cmd.Env = append(os.Environ(), "NODE_PATH="+testenv.NodeModules())
	return cmd
}

func bunRun(bun string, args ...string) (bunResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := bunCmd(ctx, bun, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return bunResult{}, fmt.Errorf("bun: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var r bunResult
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return bunResult{}, fmt.Errorf("bun output %q: %v", out, err)
	}
	return r, nil
}

func bunPoint(bun, path string) (float64, error) {
	r, err := bunRun(bun, "point", path, strconv.FormatInt(dur.Milliseconds(), 10), strconv.Itoa(rows))
	if err != nil {
		return 0, err
	}
	return r.Ops / (r.ElapsedMS / 1000), nil
}

// paired measures a and b in alternation (bench.Alternate) for n rounds
// of d each and returns the per-round throughput ratios a/b.
func paired(n int, d time.Duration, a, b func(time.Duration) (float64, error)) ([]float64, error) {
	as, bs, err := bench.Alternate(n, func() (float64, error) { return a(d) }, func() (float64, error) { return b(d) })
	return bench.Ratios(as, bs), err
}

// bunSlicer is a running `bun bun_sqlite.ts slices` process: it keeps the
// database open and runs point selects for as long as each request says.
type bunSlicer struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr bytes.Buffer
}

func startBunSlicer(bun, path string) (*bunSlicer, error) {
	b := &bunSlicer{cmd: bunCmd(context.Background(), bun, "slices", path, strconv.Itoa(rows))}
	b.cmd.Stderr = &b.stderr
	var err error
	if b.in, err = b.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	b.out = bufio.NewScanner(stdout)
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bun: %v", err)
	}
	if _, err := b.read(); err != nil { // the ready line
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *bunSlicer) read() (bunResult, error) {
	if !b.out.Scan() {
		return bunResult{}, fmt.Errorf("bun slices: no answer (%v): %s", b.out.Err(), strings.TrimSpace(b.stderr.String()))
	}
	var r bunResult
	if err := json.Unmarshal(b.out.Bytes(), &r); err != nil {
		return bunResult{}, fmt.Errorf("bun output %q: %v", b.out.Text(), err)
	}
	return r, nil
}

// slice runs Bun's point selects for d and returns its operations per second.
func (b *bunSlicer) slice(d time.Duration) (float64, error) {
	if _, err := fmt.Fprintf(b.in, "%d\n", d.Milliseconds()); err != nil {
		return 0, err
	}
	r, err := b.read()
	if err != nil {
		return 0, err
	}
	return r.Ops / (r.ElapsedMS / 1000), nil
}

func (b *bunSlicer) close() {
	b.in.Close()
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
}

func bunInsert(bun, path string) (float64, error) {
	r, err := bunRun(bun, "insert", path, strconv.Itoa(insertRows))
	if err != nil {
		return 0, err
	}
	return r.Ops / (r.ElapsedMS / 1000), nil
}

func bunDeserialize(bun, path string, iters int) (time.Duration, error) {
	r, err := bunRun(bun, "deserialize", path, strconv.Itoa(iters))
	if err != nil {
		return 0, err
	}
	return time.Duration(r.ElapsedMS * float64(time.Millisecond)), nil
}
