package security_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

func TestStaticAndFuncProviders(t *testing.T) {
	ctx := context.Background()
	c, err := security.StaticUser("app", "pw-static-1").Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, "app", c.User)
	assert.Equal(t, "pw-static-1", c.Secret.Reveal())
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		assert.NotContains(t, s, "pw-static-1")
	}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "pw-static-1")

	calls := 0
	p := security.ProviderFunc(func(context.Context) (security.Credentials, error) {
		calls++
		return security.Credentials{User: "AKID", Secret: security.NewSecret(fmt.Sprint("sk-", calls)), SessionToken: security.NewSecret("tok")}, nil
	})
	c1, err := p.Credentials(ctx)
	require.NoError(t, err)
	c2, err := p.Credentials(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, c1.Secret.Reveal(), c2.Secret.Reveal(), "asked on every call")
	assert.Equal(t, "tok", c2.SessionToken.Reveal())

	failing := security.ProviderFunc(func(context.Context) (security.Credentials, error) {
		return security.Credentials{}, errors.New("vault sealed")
	})
	_, err = failing.Credentials(ctx)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err))
	coded := security.ProviderFunc(func(context.Context) (security.Credentials, error) {
		return security.Credentials{}, arsenal.Errorf(arsenal.Unavailable, "vault", "read", "down")
	})
	_, err = coded.Credentials(ctx)
	assert.Equal(t, arsenal.Unavailable, arsenal.CodeOf(err), "a coded error keeps its code")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = p.Credentials(cctx)
	assert.Equal(t, arsenal.Canceled, arsenal.CodeOf(err))
}

func TestEnvProvider(t *testing.T) {
	ctx := context.Background()
	t.Setenv("SEC_TEST_USER", "u")
	t.Setenv("SEC_TEST_PASS", "pw-env-1")
	p := security.Env{UserVar: "SEC_TEST_USER", SecretVar: "SEC_TEST_PASS", SessionTokenVar: "SEC_TEST_TOKEN"}
	c, err := p.Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, "u", c.User)
	assert.Equal(t, "pw-env-1", c.Secret.Reveal())
	assert.True(t, c.SessionToken.IsZero())
	t.Setenv("SEC_TEST_PASS", "pw-env-2")
	c, err = p.Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, "pw-env-2", c.Secret.Reveal(), "read on every call")

	t.Setenv("SEC_TEST_PASS", "")
	_, err = p.Credentials(ctx)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err))
	assert.Contains(t, err.Error(), "SEC_TEST_PASS")
	_, err = security.Env{}.Credentials(ctx)
	assert.Equal(t, arsenal.InvalidArgument, arsenal.CodeOf(err))

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "sk-env")
	t.Setenv("AWS_SESSION_TOKEN", "st-env")
	c, err = security.EnvAWS.Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, "AKIDENV", c.User)
	assert.Equal(t, "st-env", c.SessionToken.Reveal())
}

// writeAtomic replaces path the way secret mounts and agents do.
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

func TestFileProviderRotation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "redis-password")
	p := security.NewFile(path, "app")

	_, err := p.Credentials(ctx)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err), "a file that never loaded")

	writeAtomic(t, path, "pw-file-1\n")
	c, err := p.Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, "app", c.User)
	assert.Equal(t, "pw-file-1", c.Secret.Reveal())

	time.Sleep(10 * time.Millisecond)
	writeAtomic(t, path, `{"access_key_id":"AKID2","secret_access_key":"sk-file-2","session_token":"st-2","expires":"2030-01-02T03:04:05Z"}`)
	c, err = p.Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, "AKID2", c.User)
	assert.Equal(t, "sk-file-2", c.Secret.Reveal())
	assert.Equal(t, "st-2", c.SessionToken.Reveal())
	assert.Equal(t, time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), c.Expires)

	for _, broken := range []string{`{"user":"x", "secret": `, `{"user":"x"}`, "   ", `{"secret":"s","expires":"soon"}`} {
		time.Sleep(10 * time.Millisecond)
		writeAtomic(t, path, broken)
		c, err = p.Credentials(ctx)
		require.NoError(t, err, broken)
		assert.Equal(t, "sk-file-2", c.Secret.Reveal(), "a broken rewrite keeps the last good credentials: %q", broken)
	}
	require.NoError(t, os.Remove(path))
	c, err = p.Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, "sk-file-2", c.Secret.Reveal())

	fresh := security.NewFile(path, "")
	writeAtomic(t, path, `{"user": "x", "secret": "sk-leak-check`)
	_, err = fresh.Credentials(ctx)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "sk-leak-check")
	big := filepath.Join(dir, "big")
	require.NoError(t, os.WriteFile(big, make([]byte, 65<<10), 0o600))
	_, err = security.NewFile(big, "").Credentials(ctx)
	assert.Equal(t, arsenal.Unauthenticated, arsenal.CodeOf(err))
}

func TestFileProviderConcurrentRotation(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cred.json")
	writeAtomic(t, path, `{"user":"u","password":"v0"}`)
	p := security.NewFile(path, "")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := p.Credentials(ctx)
				if !assert.NoError(t, err) {
					return
				}
				if !assert.Equal(t, "u", c.User) || !assert.NotEmpty(t, c.Secret.Reveal()) {
					return
				}
			}
		})
	}
	for i := 1; i <= 50; i++ {
		writeAtomic(t, path, fmt.Sprintf(`{"user":"u","password":"v%d"}`, i))
	}
	time.Sleep(5 * time.Millisecond)
	close(stop)
	wg.Wait()
	c, err := p.Credentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, "v50", c.Secret.Reveal())
}
