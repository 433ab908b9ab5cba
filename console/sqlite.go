package console

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// sampleSchema is the scratch database of the SQLite tab. '2020' in a
// DATETIME column (NUMERIC affinity) is stored as an INTEGER, and 2^53+1
// shows what safeIntegers keeps exact.
const sampleSchema = `
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, joined DATETIME, score REAL, big INTEGER, avatar BLOB);
INSERT INTO users VALUES (1, 'Ada', '2020', 9.5, 9007199254740993, x'89504e47');
INSERT INTO users VALUES (2, '<img src=x onerror=alert(1)>', '2021-03-04 05:06:07', 7, 42, NULL);
INSERT INTO users VALUES (3, 'Linus', 1700000000, '12.25', -9007199254740993, 'not a blob');
`

// sqliteQueries are the built-in queries; without Options.AllowSQL only
// these run.
var sqliteQueries = map[string]string{
	"users":  `SELECT * FROM users ORDER BY id`,
	"typeof": `SELECT id, joined, typeof(joined) AS joined_type, big, typeof(big) AS big_type FROM users ORDER BY id`,
	"update": `UPDATE users SET score = score + 1 WHERE id = 1 RETURNING id, score`,
}

const maxSQLRows = 1000

type sqliteDemo struct {
	c     *Console
	once  sync.Once
	image []byte
	err   error
}

func newSQLiteDemo(c *Console) *sqliteDemo { return &sqliteDemo{c: c} }

func (d *sqliteDemo) routes(m *http.ServeMux) {
	m.HandleFunc("POST /api/sqlite/run", d.run)
}

// sample builds the scratch database once and keeps its serialized image.
func (d *sqliteDemo) sample(ctx context.Context) ([]byte, error) {
	d.once.Do(func() {
		db, err := sqlite.Open(ctx, sqlite.Config{})
		if err != nil {
			d.err = err
			return
		}
		defer db.Close()
		if _, err := db.Exec(ctx, sampleSchema); err != nil {
			d.err = err
			return
		}
		d.image, d.err = db.Serialize(ctx, "main")
	})
	return d.image, d.err
}

type sqliteRequest struct {
	ReadOnly     bool   `json:"readonly"`
	Strict       bool   `json:"strict"`
	SafeIntegers bool   `json:"safeIntegers"`
	Query        string `json:"query"` // a built-in query's name
	SQL          string `json:"sql"`   // with AllowSQL: the SQL to run (read-only)
}

type columnView struct {
	Name       string   `json:"name"`
	DeclType   string   `json:"declType"`
	HasDecl    bool     `json:"hasDecl"`
	Types      []string `json:"types"` // typeof() of the value in each row
	Surprise   bool     `json:"surprise"`
	SurpriseAt []int    `json:"surpriseAt"` // row indexes whose storage class differs from the declared affinity's
}

type sqliteView struct {
	SQL        string        `json:"sql"`
	ImageBytes int           `json:"imageBytes"`
	Options    sqliteRequest `json:"options"`
	Columns    []columnView  `json:"columns"`
	RowsJSON   string        `json:"rowsJson"`
	Rows       int           `json:"rows"`
	DurationNS int64         `json:"durationNs"`
	Error      string        `json:"error,omitempty"`
	Code       string        `json:"code,omitempty"`
}

func (d *sqliteDemo) run(w http.ResponseWriter, r *http.Request) {
	var req sqliteRequest
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	query, ok := sqliteQueries[req.Query]
	switch {
	case req.SQL != "" && !d.c.opts.AllowSQL:
		writeErr(w, arsenal.Errorf(arsenal.PermissionDenied, Kind, "sqlite", "SQL from the page is off (Options.AllowSQL); pick a built-in query"))
		return
	case req.SQL != "":
		query, req.ReadOnly = req.SQL, true
	case !ok:
		writeErr(w, arsenal.Errorf(arsenal.InvalidArgument, Kind, "sqlite", "no built-in query %q", req.Query))
		return
	}
	ctx, cancel := opCtx(r)
	defer cancel()
	image, err := d.sample(ctx)
	if err != nil {
		writeErr(w, err)
		return
	}
	v := sqliteView{SQL: query, ImageBytes: len(image), Options: req, Columns: []columnView{}}
	db, err := sqlite.Deserialize(ctx, image, sqlite.DeserializeOptions{ReadOnly: req.ReadOnly, Strict: req.Strict, SafeIntegers: req.SafeIntegers})
	if err != nil {
		writeErr(w, err)
		return
	}
	defer db.Close()
	start := time.Now()
	var names []string
	var rows [][]any
	for row, err := range db.Query(ctx, query) {
		if err != nil {
			v.Error, v.Code = scrub(err.Error()), arsenal.CodeOf(err).String()
			break
		}
		if names == nil {
			names = row.ColumnNames()
			for _, col := range row.Columns() {
				v.Columns = append(v.Columns, columnView{Name: col.Name, DeclType: col.DeclType, HasDecl: col.HasDeclType, Types: []string{}, SurpriseAt: []int{}})
			}
		}
		if len(rows) == maxSQLRows {
			break
		}
		for i := range v.Columns {
			tc := row.Type(i).TypeOf()
			cv := &v.Columns[i]
			if cv.HasDecl && tc != "null" && !matchesAffinity(cv.DeclType, tc) {
				cv.Surprise = true
				cv.SurpriseAt = append(cv.SurpriseAt, len(rows))
			}
			cv.Types = append(cv.Types, tc)
		}
		rows = append(rows, row.Values())
	}
	v.DurationNS = time.Since(start).Nanoseconds()
	v.Rows = len(rows)
	if names != nil {
		b, err := sqlite.MarshalRows(names, rows, sqlite.JSONOptions{SafeIntegers: req.SafeIntegers})
		if err != nil {
			v.Error, v.Code = scrub(err.Error()), arsenal.CodeOf(err).String()
		}
		v.RowsJSON = string(b)
	} else if v.Error == "" {
		v.RowsJSON = "[]"
	}
	writeJSON(w, v)
}

// matchesAffinity reports whether storage class tc is what a reader of the
// declared type would expect (SQLite's affinity rules, section 3.1 of
// "Datatypes In SQLite"): a DATETIME column holding an INTEGER is not.
func matchesAffinity(decl, tc string) bool {
	switch affinity(decl) {
	case "integer":
		return tc == "integer"
	case "text":
		return tc == "text"
	case "blob":
		return tc == "blob"
	case "real":
		return tc == "real" || tc == "integer"
	default: // numeric: dates and decimals are usually meant as text or real
		return tc == "text" || tc == "real"
	}
}

func affinity(decl string) string {
	d := []byte(decl)
	for i, b := range d {
		if b >= 'a' && b <= 'z' {
			d[i] = b - 32
		}
	}
	s := string(d)
	switch {
	case containsStr(s, "INT"):
		return "integer"
	case containsStr(s, "CHAR"), containsStr(s, "CLOB"), containsStr(s, "TEXT"):
		return "text"
	case containsStr(s, "BLOB"), s == "":
		return "blob"
	case containsStr(s, "REAL"), containsStr(s, "FLOA"), containsStr(s, "DOUB"):
		return "real"
	}
	return "numeric"
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
