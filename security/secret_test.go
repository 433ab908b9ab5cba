package security_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/security"
)

type config struct {
	User     string
	Password security.Secret
	inner    holder
	Ptr      *security.Secret
	List     []security.Secret
	Map      map[string]security.Secret
}

type holder struct{ token security.Secret }

// formats renders v every way a program might print or log it.
func formats(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%T"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	j, err := json.Marshal(v)
	require.NoError(t, err)
	out["json"] = string(j)
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("config", "value", v, slog.Any("any", v))
		out[name] = b.String()
	}
	return out
}

func TestSecretNeverPrintsItsValueHoweverItIsFormatted(t *testing.T) {
	const value = "hunter2-s3cr3t"
	s := security.NewSecret(value)
	cfg := config{User: "ann", Password: s, inner: holder{token: s}, Ptr: &s,
		List: []security.Secret{s}, Map: map[string]security.Secret{"k": s}}
	for _, v := range []any{s, &s, cfg, &cfg, []any{s}} {
		for how, text := range formats(t, v) {
			assert.NotContains(t, text, value, "%s of %T", how, v)
			assert.NotContains(t, text, fmt.Sprintf("%x", value), "%s of %T shows the hex bytes", how, v)
		}
	}
	assert.Equal(t, value, s.Reveal())
	assert.Equal(t, security.Redacted, s.String())
	assert.Equal(t, security.Redacted, fmt.Sprintf("%v", s))
	assert.Contains(t, fmt.Sprintf("%+v", cfg), "Password:"+security.Redacted)
}

func TestTheZeroSecretIsEmptyAndPrintsNothing(t *testing.T) {
	var s security.Secret
	assert.True(t, s.IsZero())
	assert.Equal(t, "", s.Reveal())
	assert.Equal(t, "", fmt.Sprint(s))
	j, err := json.Marshal(s)
	require.NoError(t, err)
	assert.Equal(t, `""`, string(j))
	assert.True(t, security.NewSecret("").IsZero())
}

func TestSecretsLoadFromJSONAndTextButNotFromTheirRedaction(t *testing.T) {
	var c struct{ Password security.Secret }
	require.NoError(t, json.Unmarshal([]byte(`{"Password":"pw"}`), &c))
	assert.Equal(t, "pw", c.Password.Reveal())
	err := json.Unmarshal([]byte(`{"Password":"`+security.Redacted+`"}`), &c)
	assert.ErrorContains(t, err, "redacted placeholder")
	assert.Error(t, json.Unmarshal([]byte(`{"Password":42}`), &c))
	var s security.Secret
	require.NoError(t, s.UnmarshalText([]byte("from-env")))
	assert.Equal(t, "from-env", s.Reveal())
}

func TestSecretsCompareByValue(t *testing.T) {
	assert.True(t, security.NewSecret("a").Equal(security.NewSecret("a")))
	assert.False(t, security.NewSecret("a").Equal(security.NewSecret("b")))
	assert.False(t, security.NewSecret("a").Equal(security.NewSecret("ab")))
	assert.True(t, security.Secret{}.Equal(security.NewSecret("")))
}

func FuzzSecretNeverLeaks(f *testing.F) {
	for _, s := range []string{"x", "hunter2", "AKIA0123456789", "%v", "\x00\xff", strings.Repeat("s", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		// A leak is any output that depends on the value: format the same
		// config holding another value of the same length and compare.
		other := strings.Map(func(r rune) rune {
			if r == 'Z' {
				return 'Y'
			}
			return 'Z'
		}, value)
		s, o := security.NewSecret(value), security.NewSecret(other)
		got := formats(t, config{User: "u", Password: s, List: []security.Secret{s}})
		want := formats(t, config{User: "u", Password: o, List: []security.Secret{o}})
		for how, text := range got {
			if normal(text) != normal(want[how]) {
				t.Fatalf("%s depends on the secret %q:\n%s\nwith another value:\n%s", how, value, text, want[how])
			}
		}
		// Held in an unexported field, a Secret prints as an address,
		// which differs from value to value: look for the value itself.
		if len(value) >= 8 {
			blank := formats(t, config{User: "u"})
			for how, text := range formats(t, config{User: "u", inner: holder{token: s}}) {
				for _, shape := range []string{value, fmt.Sprintf("%x", value), fmt.Sprintf("%X", value)} {
					if strings.Contains(text, shape) && !strings.Contains(blank[how], shape) {
						t.Fatalf("%s of an unexported field shows the secret %q: %s", how, value, text)
					}
				}
			}
		}
		if s.Reveal() != value {
			t.Fatalf("Reveal = %q", s.Reveal())
		}
	})
}

var (
	addrs = regexp.MustCompile(`0x[0-9a-f]+`)
	times = regexp.MustCompile(`"?time"?[=:]"?[0-9T:.+Z-]+"?`)
)

// normal blanks what changes between two formattings of equal values:
// pointer addresses and log times.
func normal(s string) string {
	return times.ReplaceAllString(addrs.ReplaceAllString(s, "0x?"), "time=?")
}
