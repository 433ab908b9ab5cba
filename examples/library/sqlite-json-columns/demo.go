// Command sqlite-json-columns stores JSON documents in a TEXT column, queries
// inside them with json_extract and ->>, indexes a JSON field with a
// generated column, and returns rows as JSON with AllJSON.
//
//	go run ./examples/library/sqlite-json-columns [-db app.db]
package main

import (
	"context"
	"fmt"

	"github.com/infra-arsenal/arsenal/sqlite"
)

func demo(ctx context.Context, db *sqlite.DB) error {
	if _, err := db.Exec(ctx, `DROP TABLE IF EXISTS events;
		CREATE TABLE events(
			id INTEGER PRIMARY KEY,
			doc TEXT NOT NULL CHECK (json_valid(doc)),
			kind TEXT GENERATED ALWAYS AS (doc ->> '$.kind') VIRTUAL
		);
		CREATE INDEX events_kind ON events(kind)`); err != nil {
		return err
	}
	for _, doc := range []string{
		`{"kind":"signup","user":{"name":"ada","plan":"pro"},"tags":["web"]}`,
		`{"kind":"login","user":{"name":"ada"},"tags":["web","mobile"]}`,
		`{"kind":"signup","user":{"name":"bob","plan":"free"},"tags":["mobile"]}`,
	} {
		if _, err := db.Exec(ctx, "INSERT INTO events(doc) VALUES (?)", doc); err != nil {
			return err
		}
	}
	_, err := db.Exec(ctx, "INSERT INTO events(doc) VALUES (?)", "{not json")
	fmt.Println("invalid JSON refused:", err != nil)

	rows, err := db.Values(ctx, `SELECT doc ->> '$.user.name', doc ->> '$.user.plan' FROM events WHERE kind = 'signup' ORDER BY id`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Printf("signup: %v (%v)\n", r[0], r[1])
	}
	var mobile int64
	if err := db.Get(ctx, &mobile, `SELECT count(*) FROM events, json_each(events.doc, '$.tags') WHERE json_each.value = 'mobile'`); err != nil {
		return err
	}
	fmt.Println("events tagged mobile:", mobile)
	js, err := db.AllJSON(ctx, `SELECT id, kind, json_extract(doc, '$.user.name') AS name FROM events WHERE kind = ? ORDER BY id`, "login")
	if err != nil {
		return err
	}
	fmt.Println("as JSON:", string(js))
	return nil
}
