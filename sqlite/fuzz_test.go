package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
	"github.com/stretchr/testify/require"
)

// FuzzDeserialize feeds arbitrary bytes to Deserialize and reads whatever
// it accepts: nothing may panic, and every failure is a coded error.
func FuzzDeserialize(f *testing.F) {
	ctx := context.Background()
	src, err := sqlite.Open(ctx, sqlite.Config{})
	require.NoError(f, err)
	_, err = src.Exec(ctx, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB); CREATE INDEX tb ON t(b); INSERT INTO t(b, c) VALUES ('x', x'00'), ('y', NULL)")
	require.NoError(f, err)
	image, err := src.Serialize(ctx, "")
	src.Close()
	require.NoError(f, err)
	f.Add(image)
	f.Add([]byte{})
	f.Add([]byte("SQLite format 3\x00"))
	f.Add(image[:100])
	flipped := append([]byte(nil), image...)
	for i := 100; i < len(flipped); i += 97 {
		flipped[i] ^= 0xff
	}
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		db, err := sqlite.Deserialize(ctx, data, sqlite.DeserializeOptions{ReadOnly: len(data)%2 == 0})
		if err != nil {
			checkCoded(t, err)
			return
		}
		defer db.Close()
		tables, err := sqlite.AllAs[string](ctx, db, "SELECT name FROM sqlite_schema WHERE type = 'table'")
		if err != nil {
			checkCoded(t, err)
			return
		}
		checkCoded(t, db.IntegrityCheck(ctx))
		for _, tb := range tables {
			_, err := db.Values(ctx, `SELECT * FROM "`+escapeIdent(tb)+`" LIMIT 100`)
			checkCoded(t, err)
		}
	})
}

func escapeIdent(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func checkCoded(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ae *arsenal.Error
	require.ErrorAs(t, err, &ae, "uncoded error: %#v", err)
	require.Equal(t, sqlite.Kind, ae.Component, "uncoded error: %#v", err)
	require.NotEqual(t, arsenal.Unknown, ae.Code, "unclassified error: %v", err)
	require.NotEqual(t, arsenal.Internal, ae.Code, "unclassified error: %v", err)
}

// FuzzNamedParams binds arbitrary names and values into arbitrary
// expressions, strict and not: no panic, and only coded errors.
func FuzzNamedParams(f *testing.F) {
	ctx := context.Background()
	strict, err := sqlite.Open(ctx, sqlite.Config{Strict: true})
	require.NoError(f, err)
	loose, err := sqlite.Open(ctx, sqlite.Config{})
	require.NoError(f, err)
	f.Cleanup(func() { strict.Close(); loose.Close() })
	f.Add(":a + @b", "a", int64(1), "x", false)
	f.Add("$a || ?", "$a", int64(-1), "", true)
	f.Add("?1, ?2, :x", "x", int64(1<<62), "y", true)
	f.Add(":a; DROP TABLE t", "a", int64(0), "z", false)
	f.Add("@", "", int64(0), "", true)
	f.Add(":éß, :a", "éß", int64(3), "\x00", false)
	f.Fuzz(func(t *testing.T, expr, key string, n int64, s string, useStrict bool) {
		db := loose
		if useStrict {
			db = strict
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		args := []any{sqlite.Named{key: n, key + "2": s, ":" + key: []byte(s)}}
		rows, err := db.Values(ctx, "SELECT "+expr, args...)
		if err != nil {
			checkCodedLoose(t, err)
			return
		}
		_ = rows
		_, err = db.Values(ctx, "SELECT "+expr, n, s)
		checkCodedLoose(t, err)
	})
}

// checkCodedLoose accepts any code but Unknown and Internal (arbitrary SQL
// may hit any SQLite error).
func checkCodedLoose(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ae *arsenal.Error
	require.ErrorAs(t, err, &ae, "uncoded error: %#v", err)
	require.Equal(t, sqlite.Kind, ae.Component, "uncoded error: %#v", err)
	require.NotEqual(t, arsenal.Unknown, ae.Code, "unclassified error: %v", err)
}
