package s3

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// A SigV4 signer for the fast path's requests (no query string; the
// canonical URI is the request's already-escaped path). It produces
// exactly the signature the SDK's v4.Signer produces for the same request
// (a test checks this) at a fraction of the cost: the day's signing key
// and a pool of keyed HMACs are cached, and the canonical request is built
// in one buffer. Requests with a query string go to the SDK's signer.

// sigKey is the signing key of one (credentials, day) pair.
type sigKey struct {
	akid, secret, date string
	hmacs              sync.Pool // hash.Hash keyed with the signing key
}

type sigCache struct{ p atomic.Pointer[sigKey] }

func (c *sigCache) key(creds aws.Credentials, date, region string) *sigKey {
	if k := c.p.Load(); k != nil && k.date == date && k.akid == creds.AccessKeyID && k.secret == creds.SecretAccessKey {
		return k
	}
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	sk := mac(mac(mac(mac([]byte("AWS4"+creds.SecretAccessKey), date), region), "s3"), "aws4_request")
	k := &sigKey{akid: creds.AccessKeyID, secret: creds.SecretAccessKey, date: date}
	k.hmacs.New = func() any { return hmac.New(sha256.New, sk) }
	c.p.Store(k)
	return k
}

// lowerHeader returns the lowercase form of a canonical header name
// without allocating for the names the fast path sets.
func lowerHeader(k string) string {
	switch k {
	case "X-Amz-Content-Sha256":
		return "x-amz-content-sha256"
	case "X-Amz-Date":
		return "x-amz-date"
	case "Content-Md5":
		return "content-md5"
	case "X-Amz-Security-Token":
		return "x-amz-security-token"
	case "Range":
		return "range"
	case "If-Match":
		return "if-match"
	}
	return strings.ToLower(k)
}

// ignoredHeader reports the headers the SDK's signer leaves unsigned.
func ignoredHeader(k string) bool {
	switch k {
	case "Authorization", "User-Agent", "X-Amzn-Trace-Id", "Expect", "Transfer-Encoding":
		return true
	}
	return false
}

// appendTrimmed appends v with surrounding spaces trimmed and inner runs
// of spaces collapsed to one, as SigV4 canonical headers want.
func appendTrimmed(b []byte, v string) []byte {
	v = strings.TrimSpace(v)
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if !space {
				b = append(b, ' ')
			}
			space = true
			continue
		}
		space = false
		b = append(b, v[i])
	}
	return b
}

// amzDates caches the X-Amz-Date value of the current second.
var amzDates atomic.Pointer[amzDate]

type amzDate struct {
	sec int64
	s   string
}

// amzDateOf returns now (UTC) as "20060102T150405Z".
func amzDateOf(now time.Time) string {
	sec := now.Unix()
	if d := amzDates.Load(); d != nil && d.sec == sec {
		return d.s
	}
	var buf [16]byte
	d := &amzDate{sec: sec, s: string(now.UTC().AppendFormat(buf[:0], "20060102T150405Z"))}
	amzDates.Store(d)
	return d.s
}

var signBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// signV4 signs req (which has no query string) in place at now.
func (f *fastPath) signV4(req *http.Request, creds aws.Credentials, payloadHash string, now time.Time) {
	amzDate := amzDateOf(now)
	date := amzDate[:8]
	h := req.Header
	// The signed header values share one backing array (one allocation,
	// not one per header); each gets a full slice expression so that an
	// append to one cannot write into the next.
	vals := new([4]string)
	vals[0], vals[1] = payloadHash, amzDate
	h["X-Amz-Content-Sha256"] = vals[0:1:1]
	h["X-Amz-Date"] = vals[1:2:2]
	if creds.SessionToken != "" {
		vals[3] = creds.SessionToken
		h["X-Amz-Security-Token"] = vals[3:4:4]
	}
	var namesArr [16]string
	names := namesArr[:0]
	names = append(names, "host")
	if req.ContentLength > 0 {
		names = append(names, "content-length")
	}
	for k := range h {
		if !ignoredHeader(k) {
			names = append(names, k)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(lowerHeader(a), lowerHeader(b)) })

	bp := signBufs.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, req.Method...)
	b = append(b, '\n')
	b = append(b, req.URL.Opaque...)
	b = append(b, "\n\n"...) // empty query
	signedStart := 0
	for _, k := range names {
		lk := lowerHeader(k)
		b = append(b, lk...)
		b = append(b, ':')
		switch lk {
		case "host":
			b = appendTrimmed(b, req.Host)
		case "content-length":
			b = strconv.AppendInt(b, req.ContentLength, 10)
		default:
			for i, v := range h[k] {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendTrimmed(b, v)
			}
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	signedStart = len(b)
	for i, k := range names {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, lowerHeader(k)...)
	}
	signedEnd := len(b)
	b = append(b, '\n')
	b = append(b, payloadHash...)
	crHash := sha256.Sum256(b)

	// String to sign, reusing the buffer after the signed headers.
	sts := b[signedEnd:signedEnd]
	sts = append(sts, "AWS4-HMAC-SHA256\n"...)
	sts = append(sts, amzDate...)
	sts = append(sts, '\n')
	scopeStart := len(sts)
	sts = append(sts, date...)
	sts = append(sts, '/')
	sts = append(sts, f.region...)
	sts = append(sts, "/s3/aws4_request"...)
	scopeEnd := len(sts)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, crHash[:])

	k := f.keys.key(creds, date, f.region)
	mac := k.hmacs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(sts)
	sig := mac.Sum(sts[len(sts):]) // after the string to sign, in the pooled buffer
	k.hmacs.Put(mac)

	var sigHex [2 * sha256.Size]byte
	hex.Encode(sigHex[:], sig)
	var auth strings.Builder
	auth.Grow(len("AWS4-HMAC-SHA256 Credential=/, SignedHeaders=, Signature=") + len(creds.AccessKeyID) +
		(scopeEnd - scopeStart) + (signedEnd - signedStart) + len(sigHex))
	auth.WriteString("AWS4-HMAC-SHA256 Credential=")
	auth.WriteString(creds.AccessKeyID)
	auth.WriteByte('/')
	auth.Write(sts[scopeStart:scopeEnd])
	auth.WriteString(", SignedHeaders=")
	auth.Write(b[signedStart:signedEnd])
	auth.WriteString(", Signature=")
	auth.Write(sigHex[:])
	vals[2] = auth.String()
	h["Authorization"] = vals[2:3:3]
	*bp = b[:0]
	signBufs.Put(bp)
}
