package s3

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ListObjectsV2 on the fast path: the request is signed here and the
// response parsed by a small scanner written for ListBucketResult, which
// allocates only the strings it returns (the SDK's reflection-free but
// token-by-token decoder costs several times more per object).

var listBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (c *Client) fastList(ctx context.Context, in *s3.ListObjectsV2Input) (Page, error) {
	q := url.Values{"list-type": {"2"}}
	set := func(k string, v *string) {
		if v != nil && *v != "" {
			q.Set(k, *v)
		}
	}
	set("prefix", in.Prefix)
	set("delimiter", in.Delimiter)
	set("start-after", in.StartAfter)
	set("continuation-token", in.ContinuationToken)
	if in.MaxKeys != nil {
		q.Set("max-keys", strconv.Itoa(int(*in.MaxKeys)))
	}
	if aws.ToBool(in.FetchOwner) {
		q.Set("fetch-owner", "true")
	}
	rawQuery := q.Encode()
	resp, err := c.do(ctx, "ListObjectsV2", func(actx context.Context) (*http.Request, error) {
		req := c.fast.newRequest(actx, http.MethodGet, "", nil)
		req.URL.Opaque = c.fast.bucketPath()
		req.URL.RawQuery = rawQuery
		return req, c.fast.sign(actx, req, emptySHA256)
	}, true)
	if err != nil {
		return Page{}, err
	}
	buf := listBufs.Get().(*bytes.Buffer)
	buf.Reset()
	_, err = io.Copy(buf, resp.Body)
	resp.Body.Close()
	if err != nil {
		listBufs.Put(buf)
		return Page{}, err
	}
	p, err := c.parseList(buf.Bytes())
	listBufs.Put(buf)
	return p, err
}

// bucketPath is the request path that addresses the bucket itself.
func (f *fastPath) bucketPath() string {
	if p := strings.TrimSuffix(f.base, "/"); p != "" {
		return p
	}
	return "/"
}

var errBadListXML = errors.New("malformed ListBucketResult")

// parseList reads a ListBucketResult document.
func (c *Client) parseList(b []byte) (Page, error) {
	var (
		p       Page
		obj     Object
		inObj   bool
		inPfx   bool
		inOwner bool
	)
	p.Objects = make([]Object, 0, 64)
	i := 0
	for {
		lt := bytes.IndexByte(b[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		if i+1 >= len(b) {
			return p, errBadListXML
		}
		switch b[i+1] {
		case '?', '!': // declaration or comment
			end := bytes.IndexByte(b[i:], '>')
			if end < 0 {
				return p, errBadListXML
			}
			i += end + 1
			continue
		case '/':
			end := bytes.IndexByte(b[i:], '>')
			if end < 0 {
				return p, errBadListXML
			}
			switch string(b[i+2 : i+end]) {
			case "Contents":
				if inObj {
					p.Objects = append(p.Objects, obj)
				}
				obj, inObj, inOwner = Object{}, false, false
			case "CommonPrefixes":
				inPfx = false
			case "Owner":
				inOwner = false
			}
			i += end + 1
			continue
		}
		end := bytes.IndexByte(b[i:], '>')
		if end < 0 {
			return p, errBadListXML
		}
		tag := b[i+1 : i+end]
		i += end + 1
		if len(tag) > 0 && tag[len(tag)-1] == '/' { // <Empty/>
			continue
		}
		if sp := bytes.IndexByte(tag, ' '); sp >= 0 { // attributes
			tag = tag[:sp]
		}
		switch string(tag) {
		case "Contents":
			inObj = true
			continue
		case "CommonPrefixes":
			inPfx = true
			continue
		case "Owner":
			inOwner = true
			if inObj && obj.Owner == nil {
				obj.Owner = &Owner{}
			}
			continue
		case "ListBucketResult":
			continue
		}
		// A leaf element: its text runs to the next '<'.
		next := bytes.IndexByte(b[i:], '<')
		if next < 0 {
			return p, errBadListXML
		}
		raw := b[i : i+next]
		i += next
		switch {
		case inObj && inOwner:
			if obj.Owner == nil { // <Owner> opened before <Contents>, or never closed
				obj.Owner = &Owner{}
			}
			switch string(tag) {
			case "ID":
				obj.Owner.ID = text(raw)
			case "DisplayName":
				obj.Owner.DisplayName = text(raw)
			}
		case inObj:
			switch string(tag) {
			case "Key":
				obj.Key = c.rel(text(raw))
			case "Size":
				obj.Size, _ = strconv.ParseInt(string(raw), 10, 64)
			case "ETag":
				obj.ETag = unquote(text(raw))
			case "LastModified":
				obj.LastModified, _ = time.Parse(time.RFC3339Nano, string(raw))
			case "StorageClass":
				obj.StorageClass = text(raw)
			}
		case inPfx:
			if string(tag) == "Prefix" {
				p.CommonPrefixes = append(p.CommonPrefixes, c.rel(text(raw)))
			}
		default:
			switch string(tag) {
			case "IsTruncated":
				p.IsTruncated = string(raw) == "true"
			case "NextContinuationToken":
				p.NextContinuationToken = text(raw)
			case "KeyCount":
				n, _ := strconv.Atoi(string(raw))
				p.KeyCount = int32(n)
			}
		}
	}
	if !p.IsTruncated {
		p.NextContinuationToken = ""
	}
	return p, nil
}

// text returns element text with XML entities decoded.
func text(raw []byte) string {
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw)
	}
	return html.UnescapeString(string(raw))
}
