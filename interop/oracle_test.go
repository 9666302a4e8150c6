package interop_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// oracleDir is where oracle.mjs runs: testdata/node when its node_modules
// exists, else a cache directory named by the lock file's hash, where
// `npm ci` installs the pinned packages once.
var (
	oracleOnce sync.Once
	oracleDir  string
	oracleErr  string
)

// required reports whether the environment demands the oracle (CI=true).
func required() bool { return os.Getenv("CI") == "true" }

func setupOracle() (string, string) {
	src, err := filepath.Abs("testdata/node")
	if err != nil {
		return "", err.Error()
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", "node not found on PATH"
	}
	if _, err := os.Stat(filepath.Join(src, "node_modules")); err == nil {
		return src, ""
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", "npm not found on PATH"
	}
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		return "", err.Error()
	}
	pkg, err := os.ReadFile(filepath.Join(src, "package.json"))
	if err != nil {
		return "", err.Error()
	}
	base := os.Getenv("ZHENGZHAO_NODE_CACHE")
	if base == "" {
		if base, err = os.UserCacheDir(); err != nil {
			base = os.TempDir()
		}
		base = filepath.Join(base, "zhengzhao-interop")
	}
	sum := sha256.Sum256(append(pkg, lock...))
	dir := filepath.Join(base, hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err.Error()
		}
		for name, b := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				return "", err.Error()
			}
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "npm ci: " + err.Error() + "\n" + string(out)
		}
	}
	return dir, ""
}

// oracle returns the directory to run oracle.mjs in, skipping the test
// (failing it with CI=true) when node or the packages are unavailable.
func oracle(t *testing.T) string {
	t.Helper()
	oracleOnce.Do(func() { oracleDir, oracleErr = setupOracle() })
	if oracleErr != "" {
		if required() {
			t.Fatalf("npm oracle unavailable (CI=true): %s", oracleErr)
		}
		t.Skipf("npm oracle unavailable: %s", oracleErr)
	}
	return oracleDir
}

// call runs one oracle command with req as its JSON input and decodes the
// answer into resp.
func call(t *testing.T, command string, req, resp any) {
	t.Helper()
	dir := oracle(t)
	script, err := os.ReadFile("testdata/node/oracle.mjs")
	if err != nil {
		t.Fatal(err)
	}
	// The script must sit beside node_modules for ESM resolution; keep the
	// copy in the cache current.
	if filepath.Clean(dir) != filepath.Clean(mustAbs(t, "testdata/node")) {
		if err := os.WriteFile(filepath.Join(dir, "oracle.mjs"), script, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "oracle.mjs", command)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node oracle.mjs %s: %v\n%s", command, err, stderr.String())
	}
	t.Logf("node oracle.mjs %s: %s", command, time.Since(start).Round(time.Millisecond))
	if err := json.Unmarshal(out, resp); err != nil {
		t.Fatalf("oracle answer %q: %v", out, err)
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
