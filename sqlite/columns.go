package sqlite

import "zombiezen.com/go/sqlite"

// StorageClass is SQLite's storage class of one value: what
// sqlite3_column_type and typeof() report.
type StorageClass int

// The storage classes, numbered as SQLite numbers them.
const (
	Integer StorageClass = StorageClass(sqlite.TypeInteger)
	Float   StorageClass = StorageClass(sqlite.TypeFloat)
	Text    StorageClass = StorageClass(sqlite.TypeText)
	Blob    StorageClass = StorageClass(sqlite.TypeBlob)
	Null    StorageClass = StorageClass(sqlite.TypeNull)
)

// String returns the class as bun:sqlite's columnTypes does: "INTEGER",
// "FLOAT", "TEXT", "BLOB" or "NULL".
func (c StorageClass) String() string {
	switch c {
	case Integer:
		return "INTEGER"
	case Float:
		return "FLOAT"
	case Text:
		return "TEXT"
	case Blob:
		return "BLOB"
	case Null:
		return "NULL"
	}
	return "UNKNOWN"
}

// TypeOf returns the class's name as SQL's typeof() spells it: "integer",
// "real", "text", "blob" or "null".
func (c StorageClass) TypeOf() string {
	switch c {
	case Integer:
		return "integer"
	case Float:
		return "real"
	case Text:
		return "text"
	case Blob:
		return "blob"
	}
	return "null"
}

// Column describes one result column of a statement.
type Column struct {
	// Name is the column's name in the result (its alias if it has one).
	Name string
	// DeclType is the type text from CREATE TABLE for a column that comes
	// straight from a table (through views, subqueries and aliases), as
	// sqlite3_column_decltype gives it; "" for an expression.
	DeclType string
	// HasDeclType is false when sqlite3_column_decltype is NULL: for an
	// expression, and for a table column declared without a type.
	HasDeclType bool
	// Type is the storage class of the value in the current row (for
	// Describe: the first row; Null when there is none).
	Type StorageClass
	// Database, Table and Origin name the table column the value comes
	// from ("main", "users", "id"); all "" for an expression.
	Database, Table, Origin string
}

// columnsOf describes the columns of s; withType reads the current row's
// storage classes.
func columnsOf(s *sqlite.Stmt, withType bool) []Column {
	n := s.ColumnCount()
	cols := make([]Column, n)
	for i := range cols {
		c := &cols[i]
		c.Name = s.ColumnName(i)
		c.DeclType, c.HasDeclType, c.Origin = columnMeta(s, i)
		c.Database = s.ColumnDatabaseName(i)
		c.Table = s.ColumnTableName(i)
		c.Type = Null
		if withType {
			c.Type = StorageClass(s.ColumnType(i))
		}
	}
	return cols
}

// Statement describes a prepared statement, as bun:sqlite's Statement
// properties do (columnNames, declaredTypes, columnTypes, paramsCount,
// toString).
type Statement struct {
	SQL         string   // the text as given
	ExpandedSQL string   // the text with the given arguments substituted
	Params      []string // parameter names in index order ("" for ?, else with prefix)
	ReadOnly    bool     // sqlite3_stmt_readonly: the statement changes nothing
	Columns     []Column // result columns; Type is the first row's (Null if none)
	HasRow      bool     // whether the statement produced a row
}
