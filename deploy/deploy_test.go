// Package deploy_test checks the monitoring files operators deploy: the
// Prometheus alerting rules (with promtool's own checker and unit tests)
// and the Grafana dashboard. That they name only metrics the server
// exports is checked against a real server's /metrics in
// cmd/zhengzhao (TestMetrics).
package deploy_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found (apt-get install prometheus)")
		}
		t.Skip("promtool not found (apt-get install prometheus)")
	}
	return path
}

// TestAlertRules runs promtool check rules and the rules' unit tests
// (prometheus/alerts_test.yml: each alert fires where it must and not
// where it must not).
func TestAlertRules(t *testing.T) {
	p := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(p, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestDashboard checks that the Grafana dashboard is a JSON document with
// panels, each panel's queries non-empty and on the dashboard's data
// source variable.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana/zhengzhao.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr       string `json:"expr"`
				Datasource struct {
					UID string `json:"uid"`
				} `json:"datasource"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana/zhengzhao.json: %v", err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard has no uid or title")
	}
	ids := map[int]bool{}
	graphs := 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		graphs++
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			if strings.TrimSpace(q.Expr) == "" || q.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: query %q on data source %q", p.Title, q.Expr, q.Datasource.UID)
			}
		}
	}
	if graphs < 10 {
		t.Errorf("only %d graph panels", graphs)
	}
}
