package s3_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/s3"
	"github.com/infra-arsenal/arsenal/security"
)

// The one transport serves https:// as it does http://: a real versitygw
// over TLS with a private CA given in Config.TLSConfig.
func TestEveryCallWorksOverHTTPS(t *testing.T) {
	srv := testenv.StartS3TLS(t)
	cfg := s3.Config{Bucket: "arsenal-tls-" + testenv.RandomHex(4), Endpoint: srv.Endpoint, Region: srv.Region,
		AccessKeyID: srv.AccessKey, SecretAccessKey: security.NewSecret(srv.SecretKey), TLSConfig: srv.Cert.ClientTLS()}
	c := open(t, cfg)
	ctx := ctxT(t)
	require.NoError(t, c.EnsureBucket(ctx))
	t.Cleanup(func() { srv.EmptyAndDelete(cfg.Bucket) })
	require.NoError(t, c.Health(ctx))

	_, err := c.Put(ctx, "a/one.txt", []byte("hello over tls"), &s3.PutOptions{ContentType: "text/plain"})
	require.NoError(t, err)
	b, err := c.GetBytes(ctx, "a/one.txt", nil)
	require.NoError(t, err)
	assert.Equal(t, "hello over tls", string(b))
	info, err := c.Stat(ctx, "a/one.txt")
	require.NoError(t, err)
	assert.Equal(t, "text/plain", info.ContentType)
	big := make([]byte, s3.MinPartSize*2+7) // multipart, through the SDK's path
	res, err := c.Upload(ctx, "a/big.bin", &byteReader{b: big}, nil)
	require.NoError(t, err)
	assert.EqualValues(t, len(big), res.Size)
	var keys []string
	for o, err := range c.List(ctx, &s3.ListOptions{Prefix: "a/"}) {
		require.NoError(t, err)
		keys = append(keys, o.Key)
	}
	assert.Equal(t, []string{"a/big.bin", "a/one.txt"}, keys)

	p, err := c.Presign(ctx, "a/one.txt", nil)
	require.NoError(t, err)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: srv.Cert.ClientTLS()}}
	resp, err := hc.Get(p.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "hello over tls", string(body))

	// Without the CA the certificate is refused: nothing is sent.
	cfg.TLSConfig = nil
	untrusted := open(t, cfg)
	_, err = untrusted.Put(ctx, "a/never.txt", []byte("x"), nil)
	require.Error(t, err)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "%v", err)
	ok, err := c.Exists(ctx, "a/never.txt")
	require.NoError(t, err)
	assert.False(t, ok)
}

// byteReader hides bytes.Reader's WriterTo and Len, as a stream of
// unknown length.
type byteReader struct {
	b   []byte
	off int
}

func (r *byteReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}
