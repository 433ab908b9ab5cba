// Command sqlite-custom-function registers Go functions as SQL functions
// with CreateFunction: a deterministic slug() used in a generated-column
// index, and a haversine distance used to find the nearest city.
//
//	go run ./examples/library/sqlite-custom-function [-db app.db]
package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/infra-arsenal/arsenal/sqlite"
)

func slug(args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, nil
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-"), nil
}

func distanceKM(args []any) (any, error) {
	var f [4]float64
	for i, a := range args {
		switch v := a.(type) {
		case float64:
			f[i] = v
		case int64:
			f[i] = float64(v)
		default:
			return nil, fmt.Errorf("distance_km: argument %d is not a number", i+1)
		}
	}
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	dlat, dlon := rad(f[2]-f[0]), rad(f[3]-f[1])
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(rad(f[0]))*math.Cos(rad(f[2]))*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 6371 * 2 * math.Asin(math.Sqrt(h)), nil
}

func demo(ctx context.Context, db *sqlite.DB) error {
	if err := db.CreateFunction("slug", sqlite.Function{NArgs: 1, Deterministic: true, Scalar: slug}); err != nil {
		return err
	}
	if err := db.CreateFunction("distance_km", sqlite.Function{NArgs: 4, Deterministic: true, Scalar: distanceKM}); err != nil {
		return err
	}
	var s string
	if err := db.Get(ctx, &s, "SELECT slug(?)", "Hello, SQLite World!"); err != nil {
		return err
	}
	fmt.Println("slug:", s)
	if _, err := db.Exec(ctx, `DROP TABLE IF EXISTS cities;
		CREATE TABLE cities(name TEXT, lat REAL, lon REAL);
		INSERT INTO cities VALUES ('Paris', 48.8566, 2.3522), ('Berlin', 52.52, 13.405), ('Madrid', 40.4168, -3.7038)`); err != nil {
		return err
	}
	var nearest struct {
		Name string  `db:"name"`
		KM   float64 `db:"km"`
	}
	// From Brussels.
	if err := db.Get(ctx, &nearest, "SELECT name, distance_km(50.85, 4.35, lat, lon) AS km FROM cities ORDER BY km LIMIT 1"); err != nil {
		return err
	}
	fmt.Printf("nearest to Brussels: %s (%.0f km)\n", nearest.Name, nearest.KM)
	_, err := db.Exec(ctx, "SELECT distance_km('a', 1, 2, 3)")
	fmt.Println("bad argument fails the statement:", err != nil)
	return nil
}
