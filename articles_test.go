package zhengzhao_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestArticlesHaveFiles reads the table "The Measures, article by
// article" in docs/architecture.md: every file it lists exists, and every
// article has a Go file among them whose header comment (the comments
// before the package clause) names it as "art. N".
func TestArticlesHaveFiles(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "### The Measures, article by article")
	if !ok {
		t.Fatal("docs/architecture.md has no section \"The Measures, article by article\"")
	}
	row := regexp.MustCompile(`(?m)^\| (\d+) \|[^|]*\|([^|]*)\|$`)
	file := regexp.MustCompile("`([^`]+)`")
	rows := row.FindAllStringSubmatch(table, -1)
	if len(rows) < 15 {
		t.Fatalf("the table has %d article rows", len(rows))
	}
	for _, r := range rows {
		art := r[1]
		names := regexp.MustCompile(`\bart\. ` + art + `\b`)
		named := false
		for _, f := range file.FindAllStringSubmatch(r[2], -1) {
			path := strings.TrimSuffix(f[1], "/")
			st, err := os.Stat(path)
			if err != nil {
				t.Errorf("art. %s: %s: %v", art, f[1], err)
				continue
			}
			if st.IsDir() || !strings.HasSuffix(path, ".go") {
				continue
			}
			if names.MatchString(header(t, path)) {
				named = true
			}
		}
		if !named {
			t.Errorf("art. %s: no Go file of the row names it in its header comment", art)
		}
	}
}

// header returns the comment lines of a Go file before its package clause.
func header(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var h []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "package ") {
			break
		}
		if strings.HasPrefix(line, "//") {
			h = append(h, line)
		}
	}
	return strings.Join(h, "\n")
}
