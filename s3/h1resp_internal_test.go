package s3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadResponseMatchesNetHTTP parses each response with readResponse
// and with http.ReadResponse and requires the same status, headers,
// length, close flag and body, whether the bytes arrive at once or one at
// a time; the bytes after the response must be left for the next one
// exactly as net/http leaves them.
func TestReadResponseMatchesNetHTTP(t *testing.T) {
	cases := []struct {
		name, method, raw string
	}{
		{"get 1 KiB", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nEtag: \"abc\"\r\nLast-Modified: Thu, 26 Nov 2026 12:00:00 GMT\r\nContent-Type: binary/octet-stream\r\nX-Amz-Meta-Owner: ann\r\nx-amz-request-id: 42\r\n\r\n" + strings.Repeat("a", 1024)},
		{"put", "PUT", "HTTP/1.1 200 OK\r\nEtag: \"d41d8\"\r\nContent-Length: 0\r\nDate: Thu, 26 Nov 2026 12:00:00 GMT\r\n\r\n"},
		{"head", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nEtag: \"x\"\r\n\r\n"},
		{"head without length", "HEAD", "HTTP/1.1 200 OK\r\nEtag: \"x\"\r\n\r\n"},
		{"no content", "DELETE", "HTTP/1.1 204 No Content\r\nX-Amz-Request-Id: 7\r\n\r\n"},
		{"error body", "GET", "HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: 31\r\n\r\n<Error><Code>NoSuchKey</Code>\r\n"},
		{"odd status text", "GET", "HTTP/1.1 503 Slow Down Please\r\nContent-Length: 2\r\nRetry-After: 1\r\n\r\nok"},
		{"connection close", "GET", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc"},
		{"repeated header", "GET", "HTTP/1.1 200 OK\r\nX-Amz-Meta-A: 1\r\nX-Amz-Meta-A: 2\r\nContent-Length: 1\r\n\r\nz"},
		{"spaces around value", "GET", "HTTP/1.1 200 OK\r\nContent-Length:   2  \r\nContent-Type:text/plain\r\n\r\nhi"},
		// Shapes left to net/http:
		{"chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
		{"body to close", "GET", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"},
		{"continue first", "PUT", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{"folded header", "GET", "HTTP/1.1 200 OK\r\nX-Long: a\r\n b\r\nContent-Length: 0\r\n\r\n"},
		{"http/1.0", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"huge header", "GET", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 20<<10) + "\r\nContent-Length: 2\r\n\r\nok"},
	}
	const next = "NEXT"
	for _, tc := range cases {
		for _, oneByte := range []bool{false, true} {
			name := tc.name
			if oneByte {
				name += "/one byte at a time"
			}
			t.Run(name, func(t *testing.T) {
				req, _ := http.NewRequest(tc.method, "http://s3.test/b/k", nil)
				var src io.Reader = strings.NewReader(tc.raw + next)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				br := bufio.NewReaderSize(src, 16<<10)
				got, err := readResponse(br, req)
				if err != nil {
					t.Fatalf("readResponse: %v", err)
				}
				wbr := bufio.NewReader(strings.NewReader(tc.raw + next))
				want, err := http.ReadResponse(wbr, req)
				if err != nil {
					t.Fatalf("http.ReadResponse: %v", err)
				}
				if got.StatusCode != want.StatusCode || got.Status != want.Status || got.ContentLength != want.ContentLength || got.Close != want.Close || got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor {
					t.Errorf("got %d %q len %d close %v proto %d.%d; net/http %d %q len %d close %v proto %d.%d",
						got.StatusCode, got.Status, got.ContentLength, got.Close, got.ProtoMajor, got.ProtoMinor,
						want.StatusCode, want.Status, want.ContentLength, want.Close, want.ProtoMajor, want.ProtoMinor)
				}
				if !reflect.DeepEqual(got.Header, want.Header) {
					t.Errorf("header\n got %v\nwant %v", got.Header, want.Header)
				}
				gb, gerr := io.ReadAll(got.Body)
				wb, werr := io.ReadAll(want.Body)
				if !bytes.Equal(gb, wb) || (gerr == nil) != (werr == nil) {
					t.Errorf("body %q (%v), net/http %q (%v)", gb, gerr, wb, werr)
				}
				if got.Close || got.ContentLength < 0 && tc.method != "HEAD" {
					return // the connection is not reused
				}
				rest, _ := io.ReadAll(br)
				wrest, _ := io.ReadAll(wbr)
				if string(rest) != string(wrest) {
					t.Errorf("left %q for the next response, net/http %q", rest, wrest)
				}
			})
		}
	}
}

func TestReadResponseShortBodyIsAnError(t *testing.T) {
	req, _ := http.NewRequest("GET", "http://s3.test/b/k", nil)
	br := bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
	resp, err := readResponse(br, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read %q, err %v; want io.ErrUnexpectedEOF (a cut connection must not pass for a whole body)", b, err)
	}
}

func TestReadResponseRejectsGarbage(t *testing.T) {
	req, _ := http.NewRequest("GET", "http://s3.test/b/k", nil)
	for _, raw := range []string{
		"",
		"garbage\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nBad Key: x\r\nContent-Length: 0\r\n\r\n",
	} {
		_, err := readResponse(bufio.NewReader(strings.NewReader(raw)), req)
		_, werr := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), req)
		if (err == nil) != (werr == nil) {
			t.Errorf("%q: readResponse err %v, net/http err %v", raw, err, werr)
		}
	}
}

// TestFastParserTakesTheCommonShapes checks which responses the fast
// parser handles itself (the point of it) and which it leaves to net/http.
func TestFastParserTakesTheCommonShapes(t *testing.T) {
	for raw, wantFast := range map[string]bool{
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nEtag: \"e\"\r\n\r\nabc":   true,
		"HTTP/1.1 206 Partial Content\r\nContent-Length: 1\r\n\r\na":       true,
		"HTTP/1.1 204 No Content\r\n\r\n":                                  true,
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n":   false,
		"HTTP/1.1 200 OK\r\n\r\nto the end":                                false,
		"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n":                     false,
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n":           false,
		"HTTP/1.1 200 OK\r\nX: a\r\n  folded\r\nContent-Length: 0\r\n\r\n": false,
	} {
		req, _ := http.NewRequest("GET", "http://s3.test/b/k", nil)
		br := bufio.NewReader(strings.NewReader(raw))
		n, err := peekHeader(br)
		if err != nil || n == 0 {
			t.Fatalf("%q: header not found (%d, %v)", raw, n, err)
		}
		b, _ := br.Peek(n)
		if _, fast := parseResponse(b, br, req); fast != wantFast {
			t.Errorf("%q: fast parse %v, want %v", raw, fast, wantFast)
		}
	}
}

// FuzzReadResponse: whatever the fast parser accepts, net/http must read
// the same way (status, header, length, close flag, body); the fast
// parser never panics.
func FuzzReadResponse(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nEtag: \"e\"\r\n\r\nabc", "GET")
	f.Add("HTTP/1.1 204 No Content\r\nX-Amz-Request-Id: 1\r\n\r\n", "DELETE")
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD")
	f.Add("HTTP/1.1 404 Not Found\r\nconnection: Close\r\ncontent-length: 2\r\n\r\nno", "GET")
	f.Fuzz(func(t *testing.T, raw, method string) {
		if method != "GET" && method != "HEAD" && method != "PUT" && method != "DELETE" {
			return
		}
		req, _ := http.NewRequest(method, "http://s3.test/b/k", nil)
		br := bufio.NewReader(strings.NewReader(raw))
		n, err := peekHeader(br)
		if err != nil || n == 0 {
			return
		}
		b, _ := br.Peek(n)
		got, fast := parseResponse(b, br, req)
		if !fast {
			return
		}
		br.Discard(n)
		want, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), req)
		if err != nil {
			t.Fatalf("fast parser accepted what net/http rejects (%v): %q", err, raw)
		}
		if got.StatusCode != want.StatusCode || got.ContentLength != want.ContentLength || got.Close != want.Close || !reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("%q:\n got %d len %d close %v %v\nwant %d len %d close %v %v", raw,
				got.StatusCode, got.ContentLength, got.Close, got.Header, want.StatusCode, want.ContentLength, want.Close, want.Header)
		}
		gb, gerr := io.ReadAll(got.Body)
		wb, werr := io.ReadAll(want.Body)
		if !bytes.Equal(gb, wb) || (gerr == nil) != (werr == nil) {
			t.Fatalf("%q: body %q (%v), net/http %q (%v)", raw, gb, gerr, wb, werr)
		}
	})
}

// TestWriteRequestMatchesNetHTTP writes requests with writeRequest and
// with Request.Write, reads both back with http.ReadRequest and requires
// the same method, target, host, header (Content-Length included) and
// body; requests the fast writer leaves alone must be byte-identical.
func TestWriteRequestMatchesNetHTTP(t *testing.T) {
	mk := func(method, target string, body []byte, hdr map[string]string) *http.Request {
		f := &fastPath{scheme: "http", host: "127.0.0.1:9000", base: "/bucket/"}
		req := f.newRequest(t.Context(), method, target, body)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return req
	}
	cases := map[string]*http.Request{
		"get":            mk("GET", "a/b c.txt", nil, map[string]string{"X-Amz-Date": "20261126T120000Z", "Authorization": "AWS4-HMAC-SHA256 x"}),
		"head":           mk("HEAD", "k", nil, nil),
		"delete":         mk("DELETE", "k", nil, nil),
		"put 1 KiB":      mk("PUT", "k", bytes.Repeat([]byte("z"), 1024), map[string]string{"Content-Md5": "abc==", "X-Amz-Meta-Owner": "ann"}),
		"put empty":      mk("PUT", "empty", []byte{}, nil),
		"user agent set": mk("GET", "k", nil, map[string]string{"User-Agent": "arsenal"}),
	}
	weird := mk("PUT", "k", []byte("abc"), map[string]string{"X-Amz-Meta-Note": "line1\nline2"})
	cases["newline in value (net/http writes it)"] = weird
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			var fast, std bytes.Buffer
			fw := bufio.NewWriter(&fast)
			if err := writeRequest(fw, req); err != nil {
				t.Fatal(err)
			}
			fw.Flush()
			if req.GetBody != nil {
				req.Body, _ = req.GetBody()
				if req.ContentLength == 0 {
					req.Body = http.NoBody
				}
			}
			if err := req.Write(&std); err != nil {
				t.Fatal(err)
			}
			if !plainRequest(req) && fast.String() != std.String() {
				t.Fatalf("fallback differs:\n%q\n%q", fast.String(), std.String())
			}
			got, err := http.ReadRequest(bufio.NewReader(&fast))
			if err != nil {
				t.Fatalf("fast bytes unreadable: %v\n%q", err, fast.String())
			}
			want, err := http.ReadRequest(bufio.NewReader(&std))
			if err != nil {
				t.Fatal(err)
			}
			if got.Method != want.Method || got.RequestURI != want.RequestURI || got.Host != want.Host || got.ContentLength != want.ContentLength || !reflect.DeepEqual(got.TransferEncoding, want.TransferEncoding) {
				t.Errorf("got %s %s host %s len %d te %v; net/http %s %s host %s len %d te %v", got.Method, got.RequestURI, got.Host, got.ContentLength, got.TransferEncoding, want.Method, want.RequestURI, want.Host, want.ContentLength, want.TransferEncoding)
			}
			if !reflect.DeepEqual(got.Header, want.Header) {
				t.Errorf("header\n got %v\nwant %v", got.Header, want.Header)
			}
			gb, _ := io.ReadAll(got.Body)
			wb, _ := io.ReadAll(want.Body)
			if !bytes.Equal(gb, wb) {
				t.Errorf("body %q, net/http %q", gb, wb)
			}
		})
	}
}

func TestWriteRequestLeavesUnknownLengthsToNetHTTP(t *testing.T) {
	req, _ := http.NewRequest("PUT", "http://127.0.0.1:9000/b/k", io.NopCloser(strings.NewReader("stream")))
	req.ContentLength = 0 // unknown with a body: chunked
	if plainRequest(req) {
		t.Fatal("a body of unknown length must go to net/http (chunked)")
	}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	if err := writeRequest(w, req); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if !strings.Contains(b.String(), "Transfer-Encoding: chunked") {
		t.Fatalf("want a chunked request from net/http, got %q", b.String())
	}
}
