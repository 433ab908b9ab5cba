// Command sqlite-structs binds a struct's fields as named parameters and
// reads rows back into structs with AllAs and Get (columns matched by `db`
// tag or field name).
//
//	go run ./examples/library/sqlite-structs [-db app.db]
package main

import (
	"context"
	"fmt"

	"github.com/infra-arsenal/arsenal/sqlite"
)

// Book is one row of books.
type Book struct {
	ID     int64   `db:"id"`
	Title  string  `db:"title"`
	Author string  `db:"author"`
	Price  float64 `db:"price"`
}

func demo(ctx context.Context, db *sqlite.DB) error {
	if _, err := db.Exec(ctx, `DROP TABLE IF EXISTS books;
		CREATE TABLE books(id INTEGER PRIMARY KEY, title TEXT, author TEXT, price REAL)`); err != nil {
		return err
	}
	for _, b := range []Book{{Title: "Dune", Author: "Herbert", Price: 9.5}, {Title: "Emma", Author: "Austen", Price: 4.25}, {Title: "Ubik", Author: "Dick", Price: 7}} {
		if _, err := db.Exec(ctx, "INSERT INTO books(title, author, price) VALUES (:title, :author, :price)",
			sqlite.Named{"title": b.Title, "author": b.Author, "price": b.Price}); err != nil {
			return err
		}
	}
	books, err := sqlite.AllAs[Book](ctx, db, "SELECT id, title, author, price FROM books WHERE price > ? ORDER BY price DESC", 5)
	if err != nil {
		return err
	}
	for _, b := range books {
		fmt.Printf("%d %s by %s %.2f\n", b.ID, b.Title, b.Author, b.Price)
	}
	var cheapest Book
	if err := db.Get(ctx, &cheapest, "SELECT * FROM books ORDER BY price LIMIT 1"); err != nil {
		return err
	}
	fmt.Println("cheapest:", cheapest.Title)
	return nil
}
