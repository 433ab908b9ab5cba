package testenv

import "syscall"

// MemoryDir returns /dev/shm when it is a tmpfs with at least 4 GiB
// free (room for a benchmark's 1 GiB upload and its parts), "" otherwise.
func MemoryDir() string {
	const tmpfsMagic = 0x01021994
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Type != tmpfsMagic {
		return ""
	}
	if uint64(st.Bavail)*uint64(st.Bsize) < 4<<30 {
		return ""
	}
	return "/dev/shm"
}
