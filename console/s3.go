package console

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/s3"
)

// transferTimeout bounds an upload or a download from the page.
const transferTimeout = 2 * time.Minute

// s3Demo is the S3 tab: every object it writes, lists, reads or presigns
// is under prefix.
type s3Demo struct {
	c      *Console
	prefix string
}

func newS3Demo(c *Console) *s3Demo {
	p := strings.ReplaceAll(c.opts.DemoPrefix, ":", "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return &s3Demo{c: c, prefix: p}
}

func (d *s3Demo) routes(m *http.ServeMux) {
	m.HandleFunc("GET /api/s3/info", d.info)
	m.HandleFunc("POST /api/s3/list", d.list)
	m.HandleFunc("POST /api/s3/upload", d.upload)
	m.HandleFunc("GET /api/s3/download", d.download)
	m.HandleFunc("POST /api/s3/presign", d.presign)
}

func (c *Console) s3Client() (*s3.Client, bool) {
	_, comp, ok := c.component(s3.Kind)
	if !ok {
		return nil, false
	}
	cl, ok := comp.(*s3.Client)
	return cl, ok
}

func (d *s3Demo) client() (*s3.Client, error) {
	cl, ok := d.c.s3Client()
	if !ok {
		return nil, arsenal.Errorf(arsenal.FailedPrecondition, Kind, "s3", "the hub has no s3 component")
	}
	return cl, nil
}

// key checks a key typed in the page and puts it under the demo prefix.
func (d *s3Demo) key(k string) (string, error) {
	if k == "" || len(k) > 512 || strings.HasPrefix(k, "/") || strings.Contains(k, "..") || strings.ContainsAny(k, "\x00\r\n\\") {
		return "", arsenal.Errorf(arsenal.InvalidArgument, Kind, "s3", "a key is 1-512 bytes, relative, without '..', backslashes or control characters")
	}
	return d.prefix + k, nil
}

type s3Info struct {
	Bucket         string   `json:"bucket"`
	Prefix         string   `json:"prefix"`
	Key            string   `json:"key"`
	StorageClasses []string `json:"storageClasses"`
	PathURL        string   `json:"pathUrl"`
	VirtualURL     string   `json:"virtualUrl"`
	Style          string   `json:"style"`
}

func (d *s3Demo) info(w http.ResponseWriter, r *http.Request) {
	cl, err := d.client()
	if err != nil {
		writeErr(w, err)
		return
	}
	k := r.URL.Query().Get("key")
	if k == "" {
		k = "hello.txt"
	}
	key, err := d.key(k)
	if err != nil {
		writeErr(w, err)
		return
	}
	v := s3Info{Bucket: cl.Bucket(), Prefix: d.prefix, Key: key, StorageClasses: s3.StorageClasses(), Style: string(cl.Config().Style)}
	if v.PathURL, err = cl.ObjectURL(key, s3.StylePath); err != nil {
		writeErr(w, err)
		return
	}
	if v.VirtualURL, err = cl.ObjectURL(key, s3.StyleVirtual); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, v)
}

type s3ListRequest struct {
	Prefix    string `json:"prefix"`
	Delimiter string `json:"delimiter"`
}

type s3ObjectView struct {
	Key          string    `json:"key"`
	IsPrefix     bool      `json:"isPrefix"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"lastModified"`
	StorageClass string    `json:"storageClass"`
}

func (d *s3Demo) list(w http.ResponseWriter, r *http.Request) {
	var req s3ListRequest
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if len(req.Prefix) > 512 || len(req.Delimiter) > 8 {
		writeErr(w, arsenal.Errorf(arsenal.InvalidArgument, Kind, "s3", "prefix up to 512 bytes, delimiter up to 8"))
		return
	}
	cl, err := d.client()
	if err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := opCtx(r)
	defer cancel()
	page, err := cl.ListPage(ctx, &s3.ListOptions{Prefix: d.prefix + req.Prefix, Delimiter: req.Delimiter, MaxKeys: 200})
	if err != nil {
		writeErr(w, err)
		return
	}
	out := []s3ObjectView{}
	for _, p := range page.CommonPrefixes {
		out = append(out, s3ObjectView{Key: strings.TrimPrefix(p, d.prefix), IsPrefix: true})
	}
	for _, o := range page.Objects {
		out = append(out, s3ObjectView{Key: strings.TrimPrefix(o.Key, d.prefix), Size: o.Size, LastModified: o.LastModified, StorageClass: o.StorageClass})
	}
	writeJSON(w, map[string]any{"objects": out, "truncated": page.IsTruncated, "prefix": d.prefix + req.Prefix})
}

// upload streams the request body into the bucket through the multipart
// Writer; the body is bounded by Options.MaxUpload.
func (d *s3Demo) upload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key, err := d.key(q.Get("key"))
	if err != nil {
		writeErr(w, err)
		return
	}
	sc := q.Get("storageClass")
	if sc != "" && !contains(s3.StorageClasses(), sc) {
		writeErr(w, arsenal.Errorf(arsenal.InvalidArgument, Kind, "s3", "storage class %q is not one of %v", sc, s3.StorageClasses()))
		return
	}
	cl, err := d.client()
	if err != nil {
		writeErr(w, err)
		return
	}
	ct := r.Header.Get("Content-Type")
	if _, _, err := mime.ParseMediaType(ct); err != nil || strings.Contains(strings.ToLower(ct), "html") {
		ct = "application/octet-stream"
	}
	ctx, cancel := context.WithTimeout(r.Context(), transferTimeout)
	defer cancel()
	wr, err := cl.NewWriter(ctx, key, &s3.PutOptions{ContentType: ct, StorageClass: sc})
	if err != nil {
		writeErr(w, err)
		return
	}
	start := time.Now()
	n, err := io.Copy(wr, r.Body)
	if err != nil {
		_ = wr.CloseWithError(err)
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			err = arsenal.Errorf(arsenal.ResourceExhausted, Kind, "s3", "upload over Options.MaxUpload (%d bytes)", d.c.opts.MaxUpload)
		}
		d.c.log.Warn("console: upload aborted", "key", key, "bytes", n, "err", scrub(err.Error()))
		writeErr(w, err)
		return
	}
	if err := wr.Close(); err != nil {
		writeErr(w, err)
		return
	}
	res := wr.Result()
	writeJSON(w, map[string]any{"key": key, "bytes": n, "etag": res.ETag, "storageClass": sc, "durationNs": time.Since(start).Nanoseconds()})
}

// download streams an object under the prefix back as an attachment.
func (d *s3Demo) download(w http.ResponseWriter, r *http.Request) {
	key, err := d.key(r.URL.Query().Get("key"))
	if err != nil {
		writeErr(w, err)
		return
	}
	cl, err := d.client()
	if err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), transferTimeout)
	defer cancel()
	rd, err := cl.Get(ctx, key, nil)
	if err != nil {
		writeErr(w, err)
		return
	}
	defer rd.Close()
	name := key[strings.LastIndex(key, "/")+1:]
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	_, _ = io.Copy(w, rd)
}

type s3PresignRequest struct {
	Key       string `json:"key"`
	Method    string `json:"method"`
	ExpiresIn int    `json:"expiresSeconds"`
}

func (d *s3Demo) presign(w http.ResponseWriter, r *http.Request) {
	var req s3PresignRequest
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	key, err := d.key(req.Key)
	if err != nil {
		writeErr(w, err)
		return
	}
	if req.Method != "" && req.Method != http.MethodGet && req.Method != http.MethodHead {
		writeErr(w, arsenal.Errorf(arsenal.InvalidArgument, Kind, "s3", "the console presigns GET and HEAD only"))
		return
	}
	cl, err := d.client()
	if err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := opCtx(r)
	defer cancel()
	exp := time.Duration(req.ExpiresIn) * time.Second
	if exp <= 0 || exp > time.Hour {
		exp = 15 * time.Minute
	}
	p, err := cl.Presign(ctx, key, &s3.PresignOptions{Method: req.Method, Expires: exp})
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, map[string]any{"url": p.URL, "method": p.Method, "expires": p.Expires, "expiresIn": strconv.Itoa(int(exp.Seconds())) + "s"})
}
