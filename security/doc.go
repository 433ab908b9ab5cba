// Package security holds what Arsenal's components share to defend
// themselves and their users: Secret, a string that never prints.
//
// # Secrets
//
// Every Config field that holds a password, a secret key, a session token
// or a credential header is a Secret: fmt, slog, JSON and text
// marshalling show [REDACTED], and only Reveal returns the value.
//
// # Concurrency
//
// Secret values are immutable and safe for concurrent use.
package security
