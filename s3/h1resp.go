package s3

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// readResponse reads the response to req from br. The common shape of an
// S3 response (an HTTP/1.1 status line of a final status, plain header
// lines, a body framed by Content-Length or absent) is parsed from the
// buffered bytes directly, which costs a fraction of net/http's reader
// (net/textproto) on a 1 KiB GET. Anything else (chunked or other
// transfer codings, a body delimited by the connection's end, 1xx
// statuses, folded header lines, a header block larger than the buffer,
// HTTP/1.0) is left unread and handed to http.ReadResponse.
func readResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	hdrLen, err := peekHeader(br)
	if err != nil {
		return nil, err
	}
	if hdrLen > 0 {
		b, _ := br.Peek(hdrLen)
		if resp, ok := parseResponse(b, br, req); ok {
			br.Discard(hdrLen)
			return resp, nil
		}
	}
	return http.ReadResponse(br, req)
}

// peekHeader waits until the buffered bytes hold the whole header block
// and returns its length (through the blank line), or 0 when the block
// does not fit in the buffer.
func peekHeader(br *bufio.Reader) (int, error) {
	if _, err := br.Peek(1); err != nil {
		return 0, err
	}
	from := 0
	for {
		n := br.Buffered()
		b, _ := br.Peek(n)
		if i := bytes.Index(b[max(from-3, 0):], crlfcrlf); i >= 0 {
			return max(from-3, 0) + i + len(crlfcrlf), nil
		}
		if n == br.Size() {
			return 0, nil
		}
		from = n
		if _, err := br.Peek(n + 1); err != nil {
			if err == bufio.ErrBufferFull {
				return 0, nil
			}
			return 0, err
		}
	}
}

var crlfcrlf = []byte("\r\n\r\n")

// parseResponse builds the response from the header block b; ok is false
// for any shape it leaves to net/http.
func parseResponse(b []byte, br *bufio.Reader, req *http.Request) (resp *http.Response, ok bool) {
	line, rest, _ := bytes.Cut(b, crlf)
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !plainText(line) || string(line[:9]) != "HTTP/1.1 " || (len(line) > 12 && line[12] != ' ') {
		return nil, false
	}
	code := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return nil, false
		}
		code = code*10 + int(c-'0')
	}
	if code < 200 {
		return nil, false
	}
	// One string holds every header value (the values are substrings of
	// it) and one slice backs the value lists: two allocations, not two
	// per header. The lines are counted to size them and the map once.
	lines := bytes.Count(rest, crlf) - 1
	h := make(http.Header, lines)
	block := rest
	all := string(block)
	vals := make([]string, 0, lines)
	contentLength := int64(-1)
	closeConn := false
	for len(rest) > 2 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, crlf)
		if len(l) == 0 {
			break
		}
		if l[0] == ' ' || l[0] == '\t' || !plainText(l) {
			return nil, false // obsolete line folding, control bytes
		}
		k, v, found := bytes.Cut(l, colon)
		if !found || len(k) == 0 || !validHeaderKey(k) {
			return nil, false
		}
		v = bytes.TrimSpace(v)
		key := headerKey(k)
		switch key {
		case "Transfer-Encoding", "Trailer":
			return nil, false
		case "Content-Length":
			if contentLength >= 0 {
				return nil, false // repeated: let net/http judge
			}
			n, err := strconv.ParseUint(string(v), 10, 63)
			if err != nil {
				return nil, false
			}
			contentLength = int64(n)
		case "Connection":
			switch {
			case bytes.EqualFold(v, []byte("close")):
				closeConn = true
			case !bytes.EqualFold(v, []byte("keep-alive")):
				return nil, false // token lists and the rest: net/http
			}
		}
		// v is a subslice of block, so cap tells its offset there.
		var val string
		if len(v) > 0 { // (TrimSpace returns nil for an empty value)
			off := cap(block) - cap(v)
			val = all[off : off+len(v)]
		}
		if prev, dup := h[key]; dup {
			h[key] = append(prev, val)
		} else {
			vals = append(vals, val)
			h[key] = vals[len(vals)-1 : len(vals) : len(vals)]
		}
	}
	if closeConn {
		delete(h, "Connection") // as net/http: honoured, not kept
	}
	noBody := req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified
	if contentLength < 0 && !noBody {
		return nil, false // the body runs to the connection's end
	}
	resp = &http.Response{
		Status:     statusText(code, line),
		StatusCode: code,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Close:      closeConn,
		Request:    req,
	}
	switch {
	case noBody:
		// As net/http: a HEAD response reports the length it announces
		// (-1 if none), a 204 or 304 response 0.
		if req.Method == http.MethodHead {
			resp.ContentLength = contentLength
		}
		resp.Body = http.NoBody
	case contentLength == 0:
		resp.Body = http.NoBody
	default:
		resp.ContentLength = contentLength
		resp.Body = &clBody{r: br, n: contentLength}
	}
	return resp, true
}

var (
	crlf  = []byte("\r\n")
	colon = []byte(":")
)

// statusText is "200 OK" for the status line "HTTP/1.1 200 OK", without
// allocating for the usual statuses.
func statusText(code int, line []byte) string {
	switch code {
	case 200:
		return "200 OK"
	case 204:
		return "204 No Content"
	case 206:
		return "206 Partial Content"
	case 304:
		return "304 Not Modified"
	case 404:
		return "404 Not Found"
	}
	return string(line[9:])
}

// plainText reports whether line holds no control byte but tab (no bare
// CR or LF in particular).
func plainText[T string | []byte](line T) bool {
	for i := 0; i < len(line); i++ {
		if c := line[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validHeaderKey reports whether k is an RFC 7230 token.
func validHeaderKey[T string | []byte](k T) bool {
	for i := 0; i < len(k); i++ {
		if !tokenByte[k[i]] {
			return false
		}
	}
	return true
}

// tokenByte marks the bytes of an RFC 7230 token.
var tokenByte = func() (t [256]bool) {
	for c := '!'; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range `"(),/:;<=>?@[\]{}` {
		t[c] = false
	}
	return t
}()

// headerKey returns k in canonical form, as a constant for the headers S3
// servers send (no allocation).
func headerKey(k []byte) string {
	switch string(k) {
	case "Content-Length", "content-length":
		return "Content-Length"
	case "Content-Type", "content-type":
		return "Content-Type"
	case "Etag", "ETag", "etag":
		return "Etag"
	case "Last-Modified", "last-modified":
		return "Last-Modified"
	case "Date", "date":
		return "Date"
	case "Server", "server":
		return "Server"
	case "Connection", "connection":
		return "Connection"
	case "Accept-Ranges", "accept-ranges":
		return "Accept-Ranges"
	case "X-Amz-Request-Id", "x-amz-request-id":
		return "X-Amz-Request-Id"
	case "X-Amz-Id-2", "x-amz-id-2":
		return "X-Amz-Id-2"
	case "X-Amz-Storage-Class", "x-amz-storage-class":
		return "X-Amz-Storage-Class"
	case "Transfer-Encoding", "transfer-encoding":
		return "Transfer-Encoding"
	case "Trailer", "trailer":
		return "Trailer"
	}
	return http.CanonicalHeaderKey(string(k))
}

// clBody is a response body of a known length read from the connection's
// buffered reader: io.EOF after exactly n bytes, io.ErrUnexpectedEOF if
// the connection ends first (never a short body passed off as whole).
type clBody struct {
	r *bufio.Reader
	n int64
}

func (b *clBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	if err == io.EOF {
		if b.n > 0 {
			return n, io.ErrUnexpectedEOF
		}
		err = nil
	}
	if err == nil && b.n == 0 {
		err = io.EOF
	}
	return n, err
}

func (b *clBody) Close() error { return nil }

// writeRequest writes req to bw as net/http's Request.Write would, minus
// its per-call setup (header sorting, a transfer writer), for the fast
// path's requests: a body of known length or none, header names and
// values without control bytes. Anything else goes to Request.Write.
func writeRequest(bw *bufio.Writer, req *http.Request) error {
	if !plainRequest(req) {
		return req.Write(bw)
	}
	bw.WriteString(req.Method)
	bw.WriteByte(' ')
	bw.WriteString(req.URL.RequestURI())
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(req.Host)
	bw.WriteString("\r\n")
	if _, ok := req.Header["User-Agent"]; !ok {
		bw.WriteString("User-Agent: Go-http-client/1.1\r\n")
	}
	hasBody := req.ContentLength > 0
	// As net/http: an empty body's length is sent for POST, PUT and PATCH.
	if hasBody || req.Method == http.MethodPut || req.Method == http.MethodPost || req.Method == http.MethodPatch {
		bw.WriteString("Content-Length: ")
		var nb [20]byte
		bw.Write(strconv.AppendInt(nb[:0], req.ContentLength, 10))
		bw.WriteString("\r\n")
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	_, err := bw.WriteString("\r\n")
	if bb, ok := req.Body.(*bytesBody); ok && hasBody && bb.off == 0 && int64(len(bb.b)) == req.ContentLength {
		_, err = bw.Write(bb.b)
		bb.off = len(bb.b)
	} else if hasBody {
		var n int64
		n, err = io.CopyN(bw, req.Body, req.ContentLength)
		if err != nil && n < req.ContentLength {
			err = fmt.Errorf("s3: request body: %d of %d bytes: %w", n, req.ContentLength, err)
		}
	}
	if req.Body != nil {
		req.Body.Close()
	}
	return err
}

// plainRequest reports whether writeRequest can write req itself.
func plainRequest(req *http.Request) bool {
	if req.URL == nil || req.Host == "" || len(req.TransferEncoding) > 0 || req.Close || req.Trailer != nil ||
		req.ContentLength < 0 || (req.Body == nil || req.Body == http.NoBody) != (req.ContentLength == 0) ||
		req.ProtoMajor != 1 || req.ProtoMinor != 1 || !plainText(req.Host) {
		return false
	}
	for k, vs := range req.Header {
		if k == "Host" || k == "Content-Length" || k == "Transfer-Encoding" || k == "Connection" || !validHeaderKey(k) {
			return false
		}
		for _, v := range vs {
			if !plainText(v) {
				return false
			}
		}
	}
	return true
}
