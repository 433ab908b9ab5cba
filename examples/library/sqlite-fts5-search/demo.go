// Command sqlite-fts5-search indexes documents in an FTS5 virtual table and
// runs full-text queries: ranked matches with bm25, phrase and prefix
// queries, and highlighted snippets.
//
//	go run ./examples/library/sqlite-fts5-search [-db app.db]
package main

import (
	"context"
	"fmt"

	"github.com/infra-arsenal/arsenal/sqlite"
)

var docs = [][2]string{
	{"Redis streams", "Streams are an append-only log with consumer groups for job queues."},
	{"SQLite WAL", "Write-ahead logging lets readers run beside one writer."},
	{"S3 multipart", "Large objects are uploaded in parts, in parallel, and resumed after failures."},
	{"WebSocket topics", "Clients subscribe to topics and the server publishes to every subscriber."},
	{"Redis pub/sub", "Publish sends a message to every subscriber of a channel."},
}

func demo(ctx context.Context, db *sqlite.DB) error {
	if _, err := db.Exec(ctx, `DROP TABLE IF EXISTS notes;
		CREATE VIRTUAL TABLE notes USING fts5(title, body, tokenize = 'porter')`); err != nil {
		return err
	}
	for _, d := range docs {
		if _, err := db.Exec(ctx, "INSERT INTO notes(title, body) VALUES (?, ?)", d[0], d[1]); err != nil {
			return err
		}
	}
	for _, q := range []string{"subscriber", `"one writer"`, "upload*", "redis AND queue"} {
		rows, err := db.Values(ctx, `SELECT title, snippet(notes, 1, '[', ']', '…', 6)
			FROM notes WHERE notes MATCH ? ORDER BY bm25(notes), title`, q)
		if err != nil {
			return err
		}
		fmt.Printf("%s: %d match(es)\n", q, len(rows))
		for _, r := range rows {
			fmt.Printf("  %s: %s\n", r[0], r[1])
		}
	}
	return nil
}
