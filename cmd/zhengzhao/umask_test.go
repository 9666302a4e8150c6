//go:build unix

package main

import (
	"os"
	"syscall"
	"testing"
)

// TestMain runs the package's tests under umask 077, as the service is
// meant to run: t.TempDir makes its numbered directories with mode
// 0777&^umask, and serve refuses a data directory that group or others
// may reach (TestDataDirOpenToOthersRefused sets 0755 explicitly).
func TestMain(m *testing.M) {
	syscall.Umask(0o077)
	os.Exit(m.Run())
}
