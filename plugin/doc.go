// Package plugin registers Arsenal plugins (outside backends, and the
// built-in domains when used as plugins) and runs their lifecycle.
//
// The contract follows Caddy's module model. A plugin implements the small
// required core, arsenal.Plugin: Name, Version and Databases (what it
// serves). Everything else is optional and found by type assertion:
//
//   - Provisioner: Provision(ctx) does the real setup work (connect, load
//     configuration, start workers);
//   - Validator: Validate() checks the provisioned plugin is usable;
//   - CleanerUpper: Cleanup(ctx) releases what Provision acquired;
//   - ComponentLister: Components() names what the plugin provides.
//
// A Registry holds plugins: Register checks the metadata, InitializeAll
// provisions then validates each plugin and cleans up on partial failure,
// CleanupAll releases them in reverse order. Default is the package's
// default registry behind the package-level functions; nothing is added to
// it at import. Subpackages hold plugins: plugin/postgres is the first
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
// is AlreadyExists; a failed Provision or Validate is returned with its
// code (an error without one is wrapped as the plugin's); a panic inside a plugin's Provision,
// Validate or Cleanup becomes an Internal error instead of crashing the
// process.
//
// # Concurrency
//
// A Registry is safe for concurrent use. InitializeAll and CleanupAll call
// plugins one at a time, never concurrently.
package plugin
