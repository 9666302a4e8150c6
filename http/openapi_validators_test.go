package http_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	zhttp "github.com/zhengzhao-project/zhengzhao/http"
)

// The OpenAPI validators this project did not write, installed by
// scripts/test: npm's @apidevtools/swagger-parser and @redocly/cli in
// ZHENGZHAO_OPENAPI_TOOLS (a directory with node_modules), and Python's
// openapi-spec-validator.

// openAPIFile writes the served document to a temporary file.
func openAPIFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(p, zhttp.OpenAPIDocument(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// openAPITools returns the directory of the npm validators, skipping the
// test where scripts/test has not installed them unless CI requires them.
func openAPITools(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ZHENGZHAO_OPENAPI_TOOLS")
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@apidevtools", "swagger-parser")); err == nil {
			return dir
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("the npm OpenAPI validators are missing (ZHENGZHAO_OPENAPI_TOOLS=%q): scripts/test installs them", dir)
	}
	t.Skip("set ZHENGZHAO_OPENAPI_TOOLS to a directory with @apidevtools/swagger-parser and @redocly/cli installed (scripts/test does)")
	return ""
}

func run(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	t.Logf("%s: %s", filepath.Base(name), strings.TrimSpace(string(out)))
}

// TestOpenAPISwaggerParser validates the served document with
// swagger-parser (schema of the OpenAPI specification, $refs resolved).
func TestOpenAPISwaggerParser(t *testing.T) {
	doc, dir := openAPIFile(t), openAPITools(t)
	run(t, dir, "node", "-e", `require("@apidevtools/swagger-parser").validate(process.argv[1]).then(api => console.log("valid:", api.info.title), e => { console.error(e.message); process.exit(1); })`, doc)
}

// TestOpenAPIRedocly lints the served document with redocly's recommended
// rules; an error fails the test.
func TestOpenAPIRedocly(t *testing.T) {
	doc, dir := openAPIFile(t), openAPITools(t)
	run(t, dir, filepath.Join(dir, "node_modules", ".bin", "redocly"), "lint", "--format=summary", doc)
}

// TestOpenAPISpecValidator validates the served document with Python's
// openapi-spec-validator.
func TestOpenAPISpecValidator(t *testing.T) {
	doc := openAPIFile(t)
	if err := exec.Command("python3", "-c", "import openapi_spec_validator").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openapi-spec-validator is missing: scripts/test installs it where PyPI is reachable")
		}
		t.Skip("python3 openapi-spec-validator is not installed")
	}
	run(t, "", "python3", "-m", "openapi_spec_validator", doc)
}
