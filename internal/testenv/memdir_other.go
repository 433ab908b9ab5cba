//go:build !linux

package testenv

// MemoryDir returns "": a memory-backed directory is looked for on Linux
// only (memdir_linux.go).
func MemoryDir() string { return "" }
