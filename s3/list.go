package s3

import (
	"context"
	"iter"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/infra-arsenal/arsenal"
)

// ListOptions are the ListObjectsV2 parameters. A nil *ListOptions lists
// everything under Config.Prefix.
type ListOptions struct {
	Prefix            string // only keys starting with Prefix (after Config.Prefix)
	Delimiter         string // group keys sharing a prefix up to Delimiter (usually "/") into common prefixes
	StartAfter        string // only keys after this one
	MaxKeys           int32  // keys per page; 0 means the server's default (1,000)
	ContinuationToken string // resume a listing from a page's NextContinuationToken
	FetchOwner        bool   // fill Object.Owner
}

// Object is one listed object, or (IsPrefix) one common prefix.
type Object struct {
	Key          string // relative to Config.Prefix; for a common prefix, the prefix
	IsPrefix     bool   // a common prefix (a "directory" under Delimiter): only Key is set
	Size         int64
	ETag         string
	LastModified time.Time
	StorageClass string
	Owner        *Owner // with FetchOwner
}

// Owner is an object's owner.
type Owner struct {
	ID          string
	DisplayName string
}

// Page is one ListObjectsV2 response.
type Page struct {
	Objects               []Object
	CommonPrefixes        []string // relative to Config.Prefix
	NextContinuationToken string   // "" on the last page
	IsTruncated           bool     // more pages follow
	KeyCount              int32
}

func (c *Client) listInput(o *ListOptions) *s3.ListObjectsV2Input {
	in := &s3.ListObjectsV2Input{Bucket: &c.cfg.Bucket}
	var opt ListOptions
	if o != nil {
		opt = *o
	}
	if p := c.cfg.Prefix + opt.Prefix; p != "" {
		in.Prefix = aws.String(p)
	}
	in.Delimiter = optStr(opt.Delimiter)
	if opt.StartAfter != "" {
		in.StartAfter = aws.String(c.cfg.Prefix + opt.StartAfter)
	}
	if opt.MaxKeys > 0 {
		in.MaxKeys = aws.Int32(opt.MaxKeys)
	}
	in.ContinuationToken = optStr(opt.ContinuationToken)
	if opt.FetchOwner {
		in.FetchOwner = aws.Bool(true)
	}
	return in
}

// ListPage fetches one page of ListObjectsV2 (one request).
func (c *Client) ListPage(ctx context.Context, opts *ListOptions) (Page, error) {
	const op = "list"
	if err := c.checkOpen(op); err != nil {
		return Page{}, c.failed(ctx, c.opList, op, err)
	}
	if opts != nil && opts.MaxKeys < 0 {
		return Page{}, c.failed(ctx, c.opList, op, invalid(op, "MaxKeys must not be negative"))
	}
	return c.listPage(ctx, c.listInput(opts))
}

// listPage is one counted ListObjectsV2 request.
func (c *Client) listPage(ctx context.Context, in *s3.ListObjectsV2Input) (Page, error) {
	k := c.begin(ctx, c.opList, "list", aws.ToString(in.Prefix))
	if err := c.authorize(&k, "list", c.cfg.Bucket+"/"+aws.ToString(in.Prefix)); err != nil {
		return Page{}, c.end(&k, err, 0, 0)
	}
	p, err := c.listRequest(k.ctx, in)
	return p, c.end(&k, err, 0, 0)
}

func (c *Client) listRequest(ctx context.Context, in *s3.ListObjectsV2Input) (Page, error) {
	if c.fast != nil {
		return c.fastList(ctx, in)
	}
	out, err := c.api.ListObjectsV2(ctx, in)
	if err != nil {
		return Page{}, err
	}
	p := Page{
		Objects:        make([]Object, len(out.Contents)),
		IsTruncated:    aws.ToBool(out.IsTruncated),
		KeyCount:       aws.ToInt32(out.KeyCount),
		CommonPrefixes: make([]string, 0, len(out.CommonPrefixes)),
	}
	if p.IsTruncated {
		p.NextContinuationToken = aws.ToString(out.NextContinuationToken)
	}
	for i := range out.Contents {
		p.Objects[i] = c.object(&out.Contents[i])
	}
	for _, cp := range out.CommonPrefixes {
		p.CommonPrefixes = append(p.CommonPrefixes, c.rel(aws.ToString(cp.Prefix)))
	}
	return p, nil
}

func (c *Client) object(o *types.Object) Object {
	obj := Object{
		Key: c.rel(aws.ToString(o.Key)), Size: aws.ToInt64(o.Size), ETag: unquote(aws.ToString(o.ETag)),
		LastModified: aws.ToTime(o.LastModified), StorageClass: string(o.StorageClass),
	}
	if o.Owner != nil {
		obj.Owner = &Owner{ID: aws.ToString(o.Owner.ID), DisplayName: aws.ToString(o.Owner.DisplayName)}
	}
	return obj
}

// List iterates over every object (and, with a Delimiter, every common
// prefix, as an Object with IsPrefix set) in key order, fetching pages as
// the loop advances: one request per MaxKeys entries, one page in memory.
// An error ends the sequence as its last element.
func (c *Client) List(ctx context.Context, opts *ListOptions) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		if err := c.checkOpen("list"); err != nil {
			yield(Object{}, c.failed(ctx, c.opList, "list", err))
			return
		}
		if opts != nil && opts.MaxKeys < 0 {
			yield(Object{}, c.failed(ctx, c.opList, "list", invalid("list", "MaxKeys must not be negative")))
			return
		}
		in := c.listInput(opts)
		var guard pageGuard
		for {
			p, err := c.listPage(ctx, in)
			if err == nil {
				err = guard.next(aws.ToString(in.ContinuationToken), p)
			}
			if err != nil {
				yield(Object{}, err)
				return
			}
			// Merge objects and common prefixes into key order.
			i, j := 0, 0
			for i < len(p.Objects) || j < len(p.CommonPrefixes) {
				var o Object
				if j >= len(p.CommonPrefixes) || (i < len(p.Objects) && p.Objects[i].Key < p.CommonPrefixes[j]) {
					o = p.Objects[i]
					i++
				} else {
					o = Object{Key: p.CommonPrefixes[j], IsPrefix: true}
					j++
				}
				if !yield(o, nil) {
					return
				}
			}
			if !p.IsTruncated || p.NextContinuationToken == "" {
				return
			}
			in.ContinuationToken = aws.String(p.NextContinuationToken)
		}
	}
}

// ParallelListOptions configure ListParallel.
type ParallelListOptions struct {
	Prefix     string // list under this prefix (after Config.Prefix)
	Delimiter  string // splits keys into prefixes to fan out over; default "/"
	Workers    int    // concurrent listings; default max(8, 2 × Concurrency)
	Depth      int    // levels of common prefixes to fan out over; default 2
	PageSize   int32  // keys per request; default 1,000
	FetchOwner bool
}

type listTask struct {
	prefix string
	depth  int
}

// ListParallel iterates over every object under a prefix, listing the
// common prefixes (down to Depth levels of Delimiter) concurrently, which
// on large buckets is several times faster than List. Objects come in no
// particular order, and common prefixes are descended into rather than
// yielded. Breaking out of the loop stops every listing. An error ends the
// sequence as its last element. Memory: up to Workers pages in flight.
func (c *Client) ListParallel(ctx context.Context, opts *ParallelListOptions) iter.Seq2[Object, error] {
	var o ParallelListOptions
	if opts != nil {
		o = *opts
	}
	if o.Delimiter == "" {
		o.Delimiter = "/"
	}
	if o.Workers <= 0 {
		o.Workers = max(8, 2*c.cfg.Concurrency)
	}
	if o.Depth <= 0 {
		o.Depth = 2
	}
	return func(yield func(Object, error) bool) {
		if err := c.checkOpen("list"); err != nil {
			yield(Object{}, c.failed(ctx, c.opList, "list", err))
			return
		}
		if o.PageSize < 0 {
			yield(Object{}, c.failed(ctx, c.opList, "list", invalid("list", "PageSize must not be negative")))
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var (
			mu       sync.Mutex
			cond     = sync.NewCond(&mu)
			queue    = []listTask{{prefix: o.Prefix}}
			pending  = 1 // tasks queued or running
			firstErr error
		)
		results := make(chan []Object, o.Workers)
		push := func(t listTask) {
			mu.Lock()
			queue = append(queue, t)
			pending++
			mu.Unlock()
			cond.Signal()
		}
		fail := func(err error) {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
			cancel()
		}
		send := func(batch []Object) bool {
			select {
			case results <- batch:
				return true
			case <-ctx.Done():
				return false
			}
		}
		run := func(t listTask) {
			lo := &ListOptions{Prefix: t.prefix, MaxKeys: o.PageSize, FetchOwner: o.FetchOwner}
			if t.depth < o.Depth {
				lo.Delimiter = o.Delimiter
			}
			in := c.listInput(lo)
			var guard pageGuard
			for {
				p, err := c.listPage(ctx, in)
				if err == nil {
					err = guard.next(aws.ToString(in.ContinuationToken), p)
				}
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					return
				}
				for _, cp := range p.CommonPrefixes {
					push(listTask{prefix: cp, depth: t.depth + 1})
				}
				if len(p.Objects) > 0 && !send(p.Objects) {
					return
				}
				if !p.IsTruncated || p.NextContinuationToken == "" {
					return
				}
				in.ContinuationToken = aws.String(p.NextContinuationToken)
			}
		}
		stopWatch := context.AfterFunc(ctx, func() {
			// Under the lock, so no worker misses the wake-up between its
			// check of ctx and its Wait.
			mu.Lock()
			cond.Broadcast()
			mu.Unlock()
		})
		defer stopWatch()
		var wg sync.WaitGroup
		for range o.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					for len(queue) == 0 && pending > 0 && ctx.Err() == nil {
						cond.Wait()
					}
					if len(queue) == 0 || ctx.Err() != nil {
						mu.Unlock()
						return
					}
					t := queue[0]
					queue = queue[1:]
					mu.Unlock()
					run(t)
					mu.Lock()
					pending--
					done := pending == 0
					mu.Unlock()
					if done {
						cond.Broadcast()
					}
				}
			}()
		}
		go func() {
			wg.Wait()
			close(results)
		}()
		defer func() {
			cancel()
			for range results {
			}
		}()
		for batch := range results {
			for _, obj := range batch {
				if !yield(obj, nil) {
					return
				}
			}
		}
		mu.Lock()
		err := firstErr
		mu.Unlock()
		if err == nil && ctx.Err() != nil {
			err = wrapErr("list", context.Cause(ctx))
		}
		if err != nil {
			yield(Object{}, err)
		}
	}
}

// maxEmptyPages is how many truncated pages in a row may hold nothing
// before a listing is judged to be going nowhere.
const maxEmptyPages = 100

// pageGuard stops a listing that a server would keep going for ever: a
// continuation token it already sent (a loop: A, A, ... or A, B, A) or a
// long run of truncated pages with nothing on them. Memory: the tokens
// of one listing, one per page.
type pageGuard struct {
	seen  map[string]struct{}
	empty int
}

// next checks page p, fetched with token (empty for the first page).
func (g *pageGuard) next(token string, p Page) error {
	if !p.IsTruncated || p.NextContinuationToken == "" {
		return nil
	}
	if g.seen == nil {
		g.seen = make(map[string]struct{})
	}
	if token != "" {
		g.seen[token] = struct{}{}
	}
	if _, again := g.seen[p.NextContinuationToken]; again {
		return arsenal.Errorf(arsenal.Internal, Kind, "list",
			"the server sent a continuation token it had already sent (a listing that would never end)")
	}
	if len(p.Objects) == 0 && len(p.CommonPrefixes) == 0 {
		if g.empty++; g.empty >= maxEmptyPages {
			return arsenal.Errorf(arsenal.Internal, Kind, "list",
				"the server sent %d truncated pages in a row with nothing on them", g.empty)
		}
	} else {
		g.empty = 0
	}
	return nil
}
