package security

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
)

// Credentials are what a Provider returns: a user name and a password
// (redis AUTH and ACL users, PostgreSQL, WebSocket basic auth), an access
// key id, a secret key and a session token (S3), or a bearer token in
// Secret with no User (WebSocket). Formatting them never shows a secret.
type Credentials struct {
	// User is the user name or the access key id.
	User string
	// Secret is the password, the secret access key or the bearer token.
	Secret Secret
	// SessionToken is the temporary session token (S3 STS), if any.
	SessionToken Secret
	// Expires is when the credentials stop working; zero when unknown or
	// never. A client asks its Provider again after that.
	Expires time.Time
}

// Provider supplies credentials. Clients call it on every (re)connection
// or request signing, so a Provider that rotates them is picked up
// without a restart. Every Provider of this package is safe for
// concurrent use.
type Provider interface {
	Credentials(ctx context.Context) (Credentials, error)
}

// ProviderFunc adapts a function to Provider. An error that carries no
// arsenal code is returned as Unauthenticated.
type ProviderFunc func(ctx context.Context) (Credentials, error)

// Credentials calls f.
func (f ProviderFunc) Credentials(ctx context.Context) (Credentials, error) {
	if err := ctx.Err(); err != nil {
		return Credentials{}, arsenal.Errorf(arsenal.CodeOf(err), Kind, "credentials", "%w", err)
	}
	c, err := f(ctx)
	if err != nil {
		var ae *arsenal.Error
		if errors.As(err, &ae) {
			return Credentials{}, err
		}
		return Credentials{}, arsenal.Errorf(arsenal.Unauthenticated, Kind, "credentials", "provider: %w", err)
	}
	return c, nil
}

// Static returns a Provider of fixed credentials.
func Static(c Credentials) Provider {
	return ProviderFunc(func(context.Context) (Credentials, error) { return c, nil })
}

// StaticUser returns a Provider of a fixed user name and password.
func StaticUser(user, password string) Provider {
	return Static(Credentials{User: user, Secret: NewSecret(password)})
}

// Env reads credentials from environment variables on every call, so a
// process that changes its environment (a test, a supervisor) is picked
// up. SecretVar is required; UserVar and SessionTokenVar are optional.
type Env struct {
	UserVar, SecretVar, SessionTokenVar string
}

// Credentials reads the variables; an unset or empty SecretVar is
// Unauthenticated, naming the variable (never a value).
func (e Env) Credentials(ctx context.Context) (Credentials, error) {
	if e.SecretVar == "" {
		return Credentials{}, arsenal.Errorf(arsenal.InvalidArgument, Kind, "credentials", "Env needs SecretVar")
	}
	s := os.Getenv(e.SecretVar)
	if s == "" {
		return Credentials{}, arsenal.Errorf(arsenal.Unauthenticated, Kind, "credentials", "environment variable %s is unset or empty", e.SecretVar)
	}
	c := Credentials{Secret: NewSecret(s)}
	if e.UserVar != "" {
		c.User = os.Getenv(e.UserVar)
	}
	if e.SessionTokenVar != "" {
		c.SessionToken = NewSecret(os.Getenv(e.SessionTokenVar))
	}
	return c, nil
}

// EnvAWS is Env for the AWS variables AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
var EnvAWS = Env{UserVar: "AWS_ACCESS_KEY_ID", SecretVar: "AWS_SECRET_ACCESS_KEY", SessionTokenVar: "AWS_SESSION_TOKEN"}

// File reads credentials from a file, again whenever its size or
// modification time changes: a secret mounted by Kubernetes or Docker, or
// rotated by Vault Agent, is picked up on the next call. Build it with
// NewFile.
//
// The file is either a JSON object
//
//	{"user": "...", "secret": "...", "session_token": "...", "expires": "RFC 3339"}
//
// (also accepted: "username"/"password" and "access_key_id"/
// "secret_access_key"), or plain text whose content, trimmed of
// surrounding white space, is the secret, with User as the user name.
//
// A rewrite caught half-way (unreadable, malformed, empty secret) keeps
// the last good credentials in use; only a file that never loaded is an
// error (Unauthenticated).
type File struct {
	path, user string

	mu    sync.Mutex
	cur   Credentials
	ok    bool
	stamp fileStamp
}

// NewFile returns a File provider for path; user is the user name for a
// plain-text file.
func NewFile(path, user string) *File { return &File{path: path, user: user} }

// maxCredFile bounds the credentials file read.
const maxCredFile = 64 << 10

// Credentials returns the file's credentials, reading it again if it
// changed.
func (f *File) Credentials(ctx context.Context) (Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := stampOf(f.path)
	if err == nil && f.ok && unchanged(st, f.stamp) {
		return f.cur, nil
	}
	if err == nil {
		var c Credentials
		if c, err = f.read(); err == nil {
			f.cur, f.ok, f.stamp = c, true, st
			return c, nil
		}
	}
	if f.ok {
		return f.cur, nil
	}
	return Credentials{}, arsenal.Errorf(arsenal.Unauthenticated, Kind, "credentials", "credentials file: %v", err)
}

type credFile struct {
	User            string `json:"user"`
	Username        string `json:"username"`
	AccessKeyID     string `json:"access_key_id"`
	Secret          string `json:"secret"`
	Password        string `json:"password"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token"`
	Expires         string `json:"expires"`
}

func (f *File) read() (Credentials, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return Credentials{}, err
	}
	defer fh.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(fh, maxCredFile+1)); err != nil {
		return Credentials{}, err
	}
	if buf.Len() > maxCredFile {
		return Credentials{}, errString("file larger than 64 KiB")
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) > 0 && b[0] == '{' {
		var cf credFile
		if err := json.Unmarshal(b, &cf); err != nil {
			// The JSON error may quote the file's bytes: do not wrap it.
			return Credentials{}, errString("malformed JSON")
		}
		c := Credentials{
			User:         first(cf.User, cf.Username, cf.AccessKeyID, f.user),
			Secret:       NewSecret(first(cf.Secret, cf.Password, cf.SecretAccessKey)),
			SessionToken: NewSecret(cf.SessionToken),
		}
		if cf.Expires != "" {
			t, err := time.Parse(time.RFC3339, cf.Expires)
			if err != nil {
				return Credentials{}, errString("expires is not an RFC 3339 time")
			}
			c.Expires = t
		}
		if c.Secret.IsZero() {
			return Credentials{}, errString("no secret in the file")
		}
		return c, nil
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return Credentials{}, errString("empty file")
	}
	return Credentials{User: f.user, Secret: NewSecret(s)}, nil
}

func first(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

type errString string

func (e errString) Error() string { return string(e) }
