package tutorial

import (
	"context"
	"strings"

	"github.com/infra-arsenal/arsenal/sqlite"
)

func sdb(env *Env) (*sqlite.DB, error) {
	return env.SQLite, need(env.SQLite != nil, "a SQLite database (Env.SQLite)")
}

func count(ctx context.Context, db *sqlite.DB, query string, args ...any) (int64, error) {
	var n int64
	err := db.Get(ctx, &n, query, args...)
	return n, err
}

func tableExists(ctx context.Context, db *sqlite.DB, name string) (bool, error) {
	n, err := count(ctx, db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", name)
	return n == 1, err
}

var todoTitles = []string{"write docs", "fix bug", "ship it"}

var _ = register(&Tutorial{
	Name:        "sqlite",
	Title:       "SQLite in six steps",
	Description: "Tables, inserts with parameters, updates, indexes, transactions and views with Arsenal's SQLite component.",
	Steps: []Step{
		{
			Title:       "Create a table",
			Instruction: `Create the table todos with the columns id INTEGER PRIMARY KEY, title TEXT NOT NULL and done INTEGER NOT NULL DEFAULT 0.`,
			Code:        `_, err := db.Exec(ctx, "CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)")`,
			Hint:        "DB.Exec runs any statement; PRAGMA table_info(todos) lists the columns.",
			Validate: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				cols, err := sqlite.AllAs[string](ctx, db, "SELECT name FROM pragma_table_info('todos') ORDER BY cid")
				if err != nil {
					return err
				}
				if len(cols) == 0 {
					return notYet("the table todos does not exist yet")
				}
				return same("todos' columns", strings.Join(cols, ","), "id,title,done")
			},
			Solution: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				_, err = db.Exec(ctx, "CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)")
				return err
			},
		},
		{
			Title:       "Insert rows with parameters",
			Instruction: `Insert three todos titled "write docs", "fix bug" and "ship it", binding each title as a parameter.`,
			Code: `for _, title := range []string{"write docs", "fix bug", "ship it"} {
	_, err := db.Exec(ctx, "INSERT INTO todos(title) VALUES (?)", title)
}`,
			Hint: "Never build SQL from strings: pass values after the query, as ? or :name parameters.",
			Validate: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				titles, err := sqlite.AllAs[string](ctx, db, "SELECT title FROM todos ORDER BY id")
				if err != nil {
					return err
				}
				return same("todos' titles", strings.Join(titles, ", "), strings.Join(todoTitles, ", "))
			},
			Solution: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				for _, title := range todoTitles {
					if _, err := db.Exec(ctx, "INSERT INTO todos(title) VALUES (?)", title); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			Title:       "Update a row",
			Instruction: `Mark "write docs" as done (done = 1).`,
			Code:        `res, err := db.Exec(ctx, "UPDATE todos SET done = 1 WHERE title = :title", sqlite.Named{"title": "write docs"})`,
			Hint:        "Result.RowsAffected says how many rows the UPDATE changed.",
			Validate: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				done, err := sqlite.AllAs[string](ctx, db, "SELECT title FROM todos WHERE done = 1 ORDER BY id")
				if err != nil {
					return err
				}
				return same("the done todos", strings.Join(done, ", "), "write docs")
			},
			Solution: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				_, err = db.Exec(ctx, "UPDATE todos SET done = 1 WHERE title = :title", sqlite.Named{"title": "write docs"})
				return err
			},
		},
		{
			Title:       "Index a column",
			Instruction: `Create an index named todos_done on todos(done).`,
			Code:        `_, err := db.Exec(ctx, "CREATE INDEX todos_done ON todos(done)")`,
			Hint:        "Indexes are listed in sqlite_schema with type 'index'.",
			Validate: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				cols, err := sqlite.AllAs[string](ctx, db, "SELECT name FROM pragma_index_info('todos_done')")
				if err != nil {
					return err
				}
				if len(cols) == 0 {
					return notYet("the index todos_done does not exist yet")
				}
				return same("todos_done's columns", strings.Join(cols, ","), "done")
			},
			Solution: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				_, err = db.Exec(ctx, "CREATE INDEX todos_done ON todos(done)")
				return err
			},
		},
		{
			Title: "Move rows in one transaction",
			Instruction: `Create the table archive(title TEXT) and, in one transaction, copy the done todos into it and delete them ` +
				`from todos.`,
			Code: `err := db.Tx(ctx, func(tx *sqlite.Tx) error {
	if _, err := tx.Exec(ctx, "CREATE TABLE archive(title TEXT)"); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO archive SELECT title FROM todos WHERE done = 1"); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "DELETE FROM todos WHERE done = 1")
	return err
})`,
			Hint: "DB.Tx commits when the function returns nil and rolls everything back when it returns an error.",
			Validate: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				ok, err := tableExists(ctx, db, "archive")
				if err != nil || !ok {
					if err == nil {
						err = notYet("the table archive does not exist yet")
					}
					return err
				}
				archived, err := sqlite.AllAs[string](ctx, db, "SELECT title FROM archive")
				if err != nil {
					return err
				}
				if err := same("the archived titles", strings.Join(archived, ", "), "write docs"); err != nil {
					return err
				}
				left, err := count(ctx, db, "SELECT count(*) FROM todos WHERE done = 1")
				if err != nil {
					return err
				}
				return same("done todos left in todos", left, int64(0))
			},
			Solution: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				return db.Tx(ctx, func(tx *sqlite.Tx) error {
					if _, err := tx.Exec(ctx, "CREATE TABLE archive(title TEXT)"); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, "INSERT INTO archive SELECT title FROM todos WHERE done = 1"); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, "DELETE FROM todos WHERE done = 1")
					return err
				})
			},
		},
		{
			Title:       "Name a query with a view",
			Instruction: `Create the view open_todos selecting the title of every todo not done, ordered by id.`,
			Code:        `_, err := db.Exec(ctx, "CREATE VIEW open_todos AS SELECT title FROM todos WHERE done = 0 ORDER BY id")`,
			Hint:        "A view is a stored SELECT: query it like a table.",
			Validate: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				n, err := count(ctx, db, "SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = 'open_todos'")
				if err != nil {
					return err
				}
				if n == 0 {
					return notYet("the view open_todos does not exist yet")
				}
				titles, err := sqlite.AllAs[string](ctx, db, "SELECT title FROM open_todos")
				if err != nil {
					return err
				}
				return same("open_todos", strings.Join(titles, ", "), "fix bug, ship it")
			},
			Solution: func(ctx context.Context, env *Env) error {
				db, err := sdb(env)
				if err != nil {
					return err
				}
				_, err = db.Exec(ctx, "CREATE VIEW open_todos AS SELECT title FROM todos WHERE done = 0 ORDER BY id")
				return err
			},
		},
	},
})
