package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

// kitBlock matches a fenced code block: its language, its info string and
// its text.
var kitBlock = regexp.MustCompile("(?ms)^```(\\w+)([^\\n]*)\\n(.*?)^```")

// extractKit returns the shell script (every sh block, in order) and the
// files (every block with file=NAME) of a markdown page.
func extractKit(t *testing.T, page string) (script string, files map[string]string) {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	files = map[string]string{}
	var sh strings.Builder
	for _, m := range kitBlock.FindAllStringSubmatch(string(b), -1) {
		lang, info, text := m[1], m[2], m[3]
		if name, ok := strings.CutPrefix(strings.TrimSpace(info), "file="); ok {
			files[name] = text
			continue
		}
		if lang == "sh" {
			sh.WriteString(text)
			sh.WriteString("\n")
		}
	}
	if sh.Len() == 0 || len(files) == 0 {
		t.Fatalf("%s: no sh blocks or files found", page)
	}
	return sh.String(), files
}

// needTools fails in CI and skips elsewhere when a kit tool is missing.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing: the verifier kit needs it (scripts/test installs it)", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
}

// TestVerifierKit runs the commands of docs/verify-without-zhengzhao.md,
// exactly as the page has them, against a real server with the demo data:
// for a license of each signature algorithm (SM2-SM3, ES256, EdDSA) it
// checks the license, a QR display token of it, the signed checkpoint and
// the inclusion proof of the license's issue entry with OpenSSL, Node and
// Python only.
func TestVerifierKit(t *testing.T) {
	needTools(t, "bash", "openssl", "node", "python3", "curl")
	script, files := extractKit(t, filepath.Join("..", "..", "docs", "verify-without-zhengzhao.md"))
	// Put the interpreter itself first on PATH: a version manager's python3
	// shim (pyenv) costs a second on every start.
	path := os.Getenv("PATH")
	if exe, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output(); err == nil {
		path = filepath.Dir(strings.TrimSpace(string(exe))) + string(os.PathListSeparator) + path
	}

	m := NewMain()
	m.Stdout = &bytes.Buffer{}
	m.Logger = newLogger("text", &bytes.Buffer{})
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Demo = true
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorAdmin})
	licenses, _, _, err := m.Library.Licenses.FindLicenses(sys, zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	byAlg := map[string]*zhengzhao.License{}
	for _, l := range licenses {
		if l.Status == zhengzhao.StatusValid && byAlg[l.Proof.Alg] == nil {
			byAlg[l.Proof.Alg] = l
		}
	}
	for _, alg := range []string{zhengzhao.AlgSM2SM3, zhengzhao.AlgES256, zhengzhao.AlgEdDSA} {
		t.Run(alg, func(t *testing.T) {
			l := byAlg[alg]
			if l == nil {
				t.Fatalf("the demo data has no valid %s license", alg)
			}
			hctx := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: l.Holder.IDType, HolderID: l.Holder.ID})
			p, err := m.Library.Holders.CreatePresentation(hctx, &zhengzhao.PresentationRequest{License: l.ID, Fields: []string{zhengzhao.ShowHolderName}})
			if err != nil {
				t.Fatal(err)
			}
			// A checkpoint that covers the issue entry.
			admin := client{t, m.URL, m.AdminToken}
			admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200)

			dir := t.TempDir()
			for name, text := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("bash", "-euo", "pipefail", "-x", "-c", script)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(),
				"PATH="+path,
				"B="+m.URL,
				"ID="+l.ID,
				"UNIT=Authorization: Bearer "+apiKey(t, m, l.Issuer.Code),
				"ADMIN=Authorization: Bearer "+m.AdminToken,
				"TOKEN="+p.Token,
				"LOGKEY="+filepath.Join(m.Config.DataDir, "log.key.pub"),
			)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the verifier kit failed for a %s license: %v\n%s", alg, err, out)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "license.alg")); string(got) != alg {
				t.Fatalf("the kit checked a %q signature, want %s", got, alg)
			}
			t.Logf("%d bytes of kit output", len(out))
		})
	}
}
