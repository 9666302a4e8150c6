package mock_test

import (
	"context"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/mock"
)

// TestDelegation checks that a mock method calls its function field with
// the arguments and returns its results.
func TestDelegation(t *testing.T) {
	var s mock.LicenseService
	s.RevokeLicenseFn = func(ctx context.Context, id, reason string) (*zhengzhao.License, error) {
		return &zhengzhao.License{ID: id, RevocationReason: reason}, nil
	}
	l, err := s.RevokeLicense(context.Background(), "id-1", "why")
	if err != nil || l.ID != "id-1" || l.RevocationReason != "why" {
		t.Fatalf("got %+v, %v", l, err)
	}
}

// TestUnsetPanics checks that calling an unset function panics, so that an
// unexpected call fails the test that made it.
func TestUnsetPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	var s mock.AuditService
	_, _ = s.LatestCheckpoint(context.Background())
}
