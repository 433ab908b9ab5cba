package s3_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/fanout"
	"github.com/infra-arsenal/arsenal/s3"
)

// fill puts the given keys with 16 concurrent callers.
func fill(t testing.TB, c *s3.Client, keys []string) {
	t.Helper()
	ctx := ctxT(t)
	var next atomic.Int64
	for _, err := range fanout.Run(16, func(int) error {
		for i := next.Add(1) - 1; i < int64(len(keys)); i = next.Add(1) - 1 {
			if _, err := c.Put(ctx, keys[i], []byte(keys[i]), nil); err != nil {
				return err
			}
		}
		return nil
	}) {
		t.Fatal(err)
	}
}

// layout is 4 top-level prefixes with 2 sub-prefixes each, 30 keys in
// each leaf, plus 3 keys at the root.
func layout() []string {
	var keys []string
	for a := range 4 {
		for b := range 2 {
			for i := range 30 {
				keys = append(keys, fmt.Sprintf("p%d/s%d/k%03d", a, b, i))
			}
		}
	}
	return append(keys, "root-1", "root-2", "zz-root")
}

func TestListingPagesHonourEveryOption(t *testing.T) {
	needsRealS3(t, "ignores some ListObjectsV2 options")
	c, _ := newClient(t)
	ctx := ctxT(t)
	keys := layout()
	fill(t, c, keys)
	slices.Sort(keys)

	tests := []struct {
		name      string
		opts      s3.ListOptions
		wantKeys  []string
		wantPfx   []string
		truncated bool
	}{
		{"max keys cuts a page", s3.ListOptions{MaxKeys: 5}, keys[:5], nil, true},
		{"prefix", s3.ListOptions{Prefix: "p2/s1/", MaxKeys: 3}, []string{"p2/s1/k000", "p2/s1/k001", "p2/s1/k002"}, nil, true},
		{"start after", s3.ListOptions{Prefix: "p3/s1/", StartAfter: "p3/s1/k027"}, []string{"p3/s1/k028", "p3/s1/k029"}, nil, false},
		{"delimiter gives common prefixes", s3.ListOptions{Delimiter: "/"}, []string{"root-1", "root-2", "zz-root"},
			[]string{"p0/", "p1/", "p2/", "p3/"}, false},
		{"delimiter under a prefix", s3.ListOptions{Prefix: "p1/", Delimiter: "/"}, nil, []string{"p1/s0/", "p1/s1/"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.ListPage(ctx, &tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range p.Objects {
				got = append(got, o.Key)
			}
			if !slices.Equal(got, tc.wantKeys) {
				t.Errorf("keys %v, want %v", got, tc.wantKeys)
			}
			if !slices.Equal(p.CommonPrefixes, tc.wantPfx) {
				t.Errorf("prefixes %v, want %v", p.CommonPrefixes, tc.wantPfx)
			}
			if p.IsTruncated != tc.truncated || (p.NextContinuationToken != "") != tc.truncated {
				t.Errorf("truncated %v token %q, want truncated %v", p.IsTruncated, p.NextContinuationToken, tc.truncated)
			}
		})
	}
	t.Run("continuation token resumes", func(t *testing.T) {
		p1, err := c.ListPage(ctx, &s3.ListOptions{MaxKeys: 100})
		if err != nil {
			t.Fatal(err)
		}
		p2, err := c.ListPage(ctx, &s3.ListOptions{MaxKeys: 100, ContinuationToken: p1.NextContinuationToken})
		if err != nil {
			t.Fatal(err)
		}
		if len(p2.Objects) == 0 || p2.Objects[0].Key != keys[100] {
			t.Errorf("second page starts at %v, want %s", p2.Objects, keys[100])
		}
	})
	t.Run("fetch owner fills the owner", func(t *testing.T) {
		with, err := c.ListPage(ctx, &s3.ListOptions{MaxKeys: 1, FetchOwner: true})
		if err != nil {
			t.Fatal(err)
		}
		without, err := c.ListPage(ctx, &s3.ListOptions{MaxKeys: 1})
		if err != nil {
			t.Fatal(err)
		}
		if with.Objects[0].Owner == nil || with.Objects[0].Owner.ID == "" {
			t.Errorf("FetchOwner: owner %+v", with.Objects[0].Owner)
		}
		if without.Objects[0].Owner != nil {
			t.Errorf("owner %+v without FetchOwner", without.Objects[0].Owner)
		}
	})
	t.Run("listed objects carry size and etag", func(t *testing.T) {
		p, err := c.ListPage(ctx, &s3.ListOptions{Prefix: "root-1"})
		if err != nil || len(p.Objects) != 1 {
			t.Fatalf("%v %v", p, err)
		}
		if o := p.Objects[0]; o.Size != int64(len("root-1")) || o.ETag == "" || o.LastModified.IsZero() {
			t.Errorf("object %+v", o)
		}
	})
}

func TestListIteratesAcrossPagesWithCommonPrefixesInOrder(t *testing.T) {
	needsRealS3(t, "pages common prefixes differently")
	c, _ := newClient(t)
	ctx := ctxT(t)
	keys := layout()
	fill(t, c, keys)
	slices.Sort(keys)
	t.Run("every key across small pages", func(t *testing.T) {
		var got []string
		for o, err := range c.List(ctx, &s3.ListOptions{MaxKeys: 7}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, o.Key)
		}
		if !slices.Equal(got, keys) {
			t.Errorf("List gave %d keys, want %d in order", len(got), len(keys))
		}
		if n := c.Stats().Ops["list"].Count; n < uint64(len(keys)/7) {
			t.Errorf("only %d list requests for pages of 7", n)
		}
	})
	t.Run("objects and prefixes merged in key order", func(t *testing.T) {
		var got []string
		for o, err := range c.List(ctx, &s3.ListOptions{Delimiter: "/", MaxKeys: 2}) {
			if err != nil {
				t.Fatal(err)
			}
			if o.IsPrefix {
				got = append(got, "dir:"+o.Key)
			} else {
				got = append(got, o.Key)
			}
		}
		want := []string{"dir:p0/", "dir:p1/", "dir:p2/", "dir:p3/", "root-1", "root-2", "zz-root"}
		if !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("breaking out stops fetching", func(t *testing.T) {
		before := c.Stats().Ops["list"].Count
		n := 0
		for _, err := range c.List(ctx, &s3.ListOptions{MaxKeys: 10}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if n == 15 {
				break
			}
		}
		if reqs := c.Stats().Ops["list"].Count - before; reqs != 2 {
			t.Errorf("%d requests to read 15 keys in pages of 10", reqs)
		}
	})
	t.Run("an error ends the sequence", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var errs []error
		for _, err := range c.List(cctx, nil) {
			errs = append(errs, err)
		}
		if len(errs) != 1 || !arsenal.IsCode(errs[0], arsenal.Canceled) {
			t.Errorf("got %v, want one Canceled error", errs)
		}
	})
}

func TestParallelListerFindsExactlyWhatTheSequentialOneFinds(t *testing.T) {
	needsRealS3(t, "pages common prefixes differently")
	c, _ := newClient(t)
	ctx := ctxT(t)
	keys := layout()
	fill(t, c, keys)
	slices.Sort(keys)
	for _, tc := range []struct {
		name string
		opts s3.ParallelListOptions
		want []string
	}{
		{"defaults", s3.ParallelListOptions{}, keys},
		{"small pages, one level, two workers", s3.ParallelListOptions{PageSize: 4, Depth: 1, Workers: 2}, keys},
		{"under a prefix", s3.ParallelListOptions{Prefix: "p1/", PageSize: 9}, filter(keys, "p1/")},
		{"a prefix with nothing", s3.ParallelListOptions{Prefix: "none/"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for o, err := range c.ListParallel(ctx, &tc.opts) {
				if err != nil {
					t.Fatal(err)
				}
				if o.IsPrefix {
					t.Errorf("yielded a prefix %q", o.Key)
				}
				got = append(got, o.Key)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %d keys, want %d", len(got), len(tc.want))
			}
		})
	}
	t.Run("breaking out stops every worker", func(t *testing.T) {
		opt := goleak.IgnoreCurrent()
		n := 0
		for _, err := range c.ListParallel(ctx, &s3.ParallelListOptions{PageSize: 3, Workers: 8}) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 5 {
				break
			}
		}
		c2, _ := newClient(t)
		c2.Close()
		if err := goleak.Find(opt, goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"), goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			t.Errorf("workers outlive the loop: %v", err)
		}
	})
	t.Run("a cancelled context ends with Canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var last error
		for _, err := range c.ListParallel(cctx, nil) {
			last = err
		}
		if !arsenal.IsCode(last, arsenal.Canceled) {
			t.Errorf("last = %v, want Canceled", last)
		}
	})
}

func filter(keys []string, prefix string) []string {
	var out []string
	for _, k := range keys {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			out = append(out, k)
		}
	}
	return out
}

func TestListedKeysSurviveXMLEscapingAndUnicode(t *testing.T) {
	c, _ := newClient(t)
	ctx := ctxT(t)
	keys := []string{"a&b", "x<y>z", `quo"te`, "it's", "sp ace/é+%25", "日本/語", "tab\tkey", "semi;colon=eq?q#h"}
	fill(t, c, keys)
	var got []string
	for o, err := range c.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Key)
		if o.Size != int64(len(o.Key)) {
			t.Errorf("%q: size %d", o.Key, o.Size)
		}
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("listed %q\nwant %q", got, want)
	}
	for _, k := range keys {
		b, err := c.GetBytes(ctx, k, nil)
		if err != nil || string(b) != k {
			t.Errorf("get %q: %q %v", k, b, err)
		}
	}
}
