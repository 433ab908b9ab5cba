package sqlite_test

const childEnv = "ARSENAL_SQLITE_CRASH_CHILD"

func runCrashChild() {}
