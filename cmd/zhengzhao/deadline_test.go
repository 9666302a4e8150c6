package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestOutageDeadlinePrinted: the CLI prints a catch-up deadline of three
// working days as the last day's 24:00, not the next day's 00:00. An
// outage that ends on Tuesday 2026-12-01 is caught up by the end of
// Friday 2026-12-04.
func TestOutageDeadlinePrinted(t *testing.T) {
	m := MustRunMain(t)
	setup(t, m) // the issuing unit issuerCode
	dir := m.Config.DataDir
	m.Close()
	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs([]string{"outage", "record", "--data", dir, "--issuer", issuerCode,
		"--start", "2026-12-01 09:00", "--end", "2026-12-01 10:00", "--reason", "机房断电"})
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("outage record: %v\n%s", err, &out)
	}
	if !strings.Contains(out.String(), "catch-up deadline 2026-12-04 24:00") || strings.Contains(out.String(), "00:00:00") {
		t.Fatalf("want the deadline as 2026-12-04 24:00:\n%s", &out)
	}
}
