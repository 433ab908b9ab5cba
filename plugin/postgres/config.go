package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/security"
)

// Config configures a DB. It prints (fmt's %v, %+v, %#v, %s, and slog)
// with the URL's password and secret query values redacted and Password
// as security.Redacted.
type Config struct {
	// URL is the connection string: a URL
	// (postgres://user@host:port/db?sslmode=...) or libpq key=value pairs.
	// Required. A password may sit in it, but Password keeps it out of the
	// string.
	URL string
	// Password, when set, is the password sent to the server, overriding
	// one in URL.
	Password security.Secret
	// MaxConns caps the pool; default 4.
	MaxConns int32
	// ConnectTimeout bounds each dial; default 10 s.
	ConnectTimeout time.Duration
	// Observer, when set, receives OpStart/OpEnd for every operation (the
	// statement text, never its arguments) and, as an
	// arsenal.ConnObserver, the pool's connect, disconnect and dial-error
	// events. nil (the default) costs nothing.
	Observer arsenal.Observer
	// Logger, when set, gets operator logs: a failed connect at Open and
	// slow operations (SlowThreshold) at Warn, with the target redacted and
	// never a statement's arguments. nil logs nothing.
	Logger *slog.Logger
	// SlowThreshold, when positive and Logger is set, logs every
	// operation that takes at least this long. 0 turns it off.
	SlowThreshold time.Duration
	// Security takes the security package's settings; the zero value
	// changes nothing. Policy is checked before every statement, before
	// any I/O, with the statement's kind as the operation ("select",
	// "insert", "update", "delete", "create", "with", ...; "begin" for a
	// transaction) and no resource: PostgreSQL's own GRANTs are the
	// table-level defence. Audit records every call. TLS, when set, is the
	// client TLS configuration (in place of the URL's sslmode and its
	// files), and Credentials supplies the user and password for every new
	// connection (in place of the URL's and Password).
	Security security.Options
}

// Validate checks the config without I/O and lists every bad field.
func (c Config) Validate() error {
	v := arsenal.Validation{Component: Kind}
	if c.URL == "" {
		v.Add("URL", "is required")
	} else if _, err := pgxpool.ParseConfig(c.URL); err != nil {
		v.Add("URL", "cannot be parsed (%s)", redactParseError(err))
	}
	v.Check(c.MaxConns >= 0, "MaxConns", "must not be negative")
	v.Check(c.ConnectTimeout >= 0, "ConnectTimeout", "must not be negative")
	v.Check(c.SlowThreshold >= 0, "SlowThreshold", "must not be negative")
	return v.Err()
}

func redactParseError(err error) string {
	// pgconn.ParseConfigError already redacts the password in its message.
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return pe.Error()
	}
	return "invalid connection string"
}

// kvPassword finds the password in libpq key=value connection strings,
// quoted ('...' with backslash escapes) or bare.
var kvPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)`)

// RedactDSN returns a connection string fit for logs: a URL through
// arsenal.RedactURL (password and secret query values replaced), libpq
// key=value pairs with the password value replaced.
func RedactDSN(dsn string) string {
	if strings.Contains(dsn, "://") {
		return arsenal.RedactURL(dsn)
	}
	return kvPassword.ReplaceAllString(dsn, "${1}"+security.Redacted)
}

// String renders the config with secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("postgres.Config{URL:%q Password:%q MaxConns:%d ConnectTimeout:%s}",
		RedactDSN(c.URL), c.Password.String(), c.MaxConns, c.ConnectTimeout)
}

// GoString is String, so %#v redacts too.
func (c Config) GoString() string { return c.String() }

// LogValue renders the config for log/slog with secrets redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", RedactDSN(c.URL)), slog.String("password", c.Password.String()),
		slog.Int("max_conns", int(c.MaxConns)), slog.Duration("connect_timeout", c.ConnectTimeout),
	)
}

// Format prints String for every verb, so that no verb (%d, %x) shows the
// raw URL.
func (c Config) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	fmt.Fprint(f, c.String())
}

// MarshalJSON renders the config as JSON with secrets redacted (the URL
// through RedactDSN, the password as security.Redacted); Observer and
// Logger are left out.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		URL            string
		Password       security.Secret
		MaxConns       int32
		ConnectTimeout time.Duration
		SlowThreshold  time.Duration
	}{RedactDSN(c.URL), c.Password, c.MaxConns, c.ConnectTimeout, c.SlowThreshold})
}
