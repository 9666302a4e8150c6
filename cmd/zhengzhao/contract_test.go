package main

import (
	"fmt"
	nethttp "net/http"
	"os"
	"syscall"
	"testing"

	zzhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/internal/contract"
)

// TestMain checks every HTTP response that a test of this package receives
// through net/http's default transport (the clients of the end-to-end
// tests, http.Get, clients with a nil Transport) against the OpenAPI
// document the server serves: a response that breaks it fails the request,
// and so the test, with the mismatch as the error.
func TestMain(m *testing.M) {
	// Test data directories are made by t.TempDir (0755); the server
	// refuses a data directory open to others (datadir.go).
	syscall.Umask(0o077)
	v, err := contract.New(zzhttp.OpenAPI())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	nethttp.DefaultTransport = v.Transport(nethttp.DefaultTransport)
	os.Exit(m.Run())
}
