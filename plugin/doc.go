// Package plugin registers Arsenal plugins (outside backends, and the
// built-in domains when used as plugins) and runs their lifecycle:
// Register checks the metadata, InitializeAll provisions then validates each
// plugin and cleans up on partial failure, CleanupAll releases them in
// reverse order. Subpackages hold plugins: plugin/postgres is the first
// outside backend.
//
// # Configuration
//
// A plugin's name is lower-case ([a-z][a-z0-9_-]*), its version a semantic
// version, and it serves at least one database. Plugins that open
// components register their URL schemes with arsenal.Register from init, so
// arsenal.Open works for them like for any domain.
//
// # Errors
//
// Bad metadata is InvalidArgument naming every bad field; a duplicate name
// is AlreadyExists; a panic inside a plugin's Initialize, Validate or
// Cleanup becomes an Internal error instead of crashing the process.
//
// # Concurrency
//
// A Registry is safe for concurrent use. InitializeAll and CleanupAll call
// plugins one at a time, never concurrently.
package plugin
