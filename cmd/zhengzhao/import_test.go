package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
)

// importFile writes a CSV file of n rows for the test type: every 97th row
// has an impossible date (rejected), every 50th carries the issuer's full
// ID with a wrong check character (imported with a finding), every 333rd
// repeats row 1's number (duplicate). It returns the path and the serials
// of the valid rows.
func importFile(t *testing.T, dir string, n int) (string, map[string]bool) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"id", "number", "holder_id", "holder_name", "issued_on", "valid_until", "legal_representative", "registered_capital", "entity_type"})
	valid := map[string]bool{}
	for i := 1; i <= n; i++ {
		number := fmt.Sprintf("3100%011d", i)
		id, date := "", "2019-06-01"
		switch {
		case i%97 == 0:
			date = "2019-02-30"
		case i%333 == 0:
			number = fmt.Sprintf("3100%011d", 1)
		case i%50 == 0:
			lid := zhengzhao.LicenseID{TypeCode: typeCode, IssuerCode: issuerCode, Serial: number, Version: 1}.String()
			c := lid[len(lid)-1]
			bad := byte('0')
			if c == '0' {
				bad = '1'
			}
			id = lid[:len(lid)-1] + string(bad)
		}
		if i%97 != 0 && i%333 != 0 {
			valid[number] = true
		}
		w.Write([]string{id, number, demo.USCC(fmt.Sprintf("91310115%09d", i)), fmt.Sprintf("上海第%d贸易有限公司", i), date, "2039-05-31",
			"法人" + strconv.Itoa(i), strconv.Itoa(10 + i%500), "有限责任公司"})
	}
	w.Flush()
	path := filepath.Join(dir, "licenses.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, valid
}

// preparedData returns a data directory with the test units and type, made
// through a server that is then stopped.
func preparedData(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	srv := startServer(t, data)
	setupAt(t, srv.url)
	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.cmd.Wait()
	return data
}

// checkImported opens the data directory and checks that the issuer's
// licenses are exactly the valid rows, each with one import audit entry.
func checkImported(t *testing.T, data string, valid map[string]bool) {
	t.Helper()
	c := DefaultConfig()
	c.DataDir = data
	lib, ctx, closeLib, err := localLibrary(context.Background(), c, new(cobra.Command))
	if err != nil {
		t.Fatal(err)
	}
	defer closeLib()
	seen := map[string]int{}
	f := zhengzhao.LicenseFilter{Issuer: ptr(issuerCode), Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}}
	for {
		ls, _, next, err := lib.Licenses.FindLicenses(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			seen[l.Number]++
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	for number, n := range seen {
		if n != 1 || !valid[number] {
			t.Errorf("license %s stored %d times (valid row: %v)", number, n, valid[number])
		}
	}
	if len(seen) != len(valid) {
		t.Errorf("%d licenses stored, the file has %d valid rows", len(seen), len(valid))
	}
	audited := 0
	err = lib.Store().View(ctx, func(tx zhengzhao.ReadTx) error {
		size, err := tx.AuditSize()
		if err != nil {
			return err
		}
		for start := int64(0); start < size; start += 5000 {
			es, err := tx.AuditEntries(start, min(size, start+5000))
			if err != nil {
				return err
			}
			for _, e := range es {
				if e.Action == zhengzhao.ActionLicenseImport {
					audited++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if audited != len(valid) {
		t.Errorf("%d import audit entries, want %d", audited, len(valid))
	}
}

func ptr[T any](v T) *T { return &v }

// TestImportKill9Resumes kills the import process with SIGKILL at random
// moments, ten times, and runs the same command again each time; the end
// state is exactly the file's valid rows, and a further run adds nothing.
func TestImportKill9Resumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	data := preparedData(t)
	rows := 20000
	if s := os.Getenv("ZHENGZHAO_KILL_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	path, valid := importFile(t, t.TempDir(), rows)
	args := []string{"import", path, "--data", data, "--issuer", issuerCode, "--type", typeCode, "--progress", "log"}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 6))
	kills := 0
	var checkpoints []string
	for kills < 10 {
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Open, migrate and start: then a random moment within the run.
		delay := time.Duration(150+rng.IntN(1500)) * time.Millisecond
		select {
		case err := <-done:
			t.Logf("the import finished before the kill after %v (%v)", delay, err)
		case <-time.After(delay):
			cmd.Process.Kill()
			<-done
			kills++
			checkpoints = append(checkpoints, lastProgress(stderr.String()))
			continue
		}
		break
	}
	t.Logf("%d kills; rows committed at each: %v", kills, checkpoints)
	out, err := exec.Command(bin, args...).Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 { // 1: rows were rejected
		t.Fatalf("final run: %v\n%s", err, out)
	}
	t.Logf("final run: %s", out)
	checkImported(t, data, valid)

	// The report matches the file: one line per rejected or duplicate row
	// and per finding.
	rep, err := os.ReadFile(path + ".report.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(rep)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for i := 1; i <= rows; i++ {
		switch {
		case i%97 == 0:
			want["rejected"]++
		case i%333 == 0:
			want["duplicate"]++
		case i%50 == 0:
			want["finding"]++
		}
	}
	got := map[string]int{}
	for _, r := range recs[1:] {
		got[r[3]]++
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("report outcomes %v, want %v", got, want)
	}

	// Importing the same file again adds nothing.
	again, err := exec.Command(bin, args...).Output()
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !bytes.Equal(again, out) {
		t.Fatalf("second import: %v\n%s\nfirst:\n%s", err, again, out)
	}
	checkImported(t, data, valid)
}

// lastProgress returns the rows of the last progress line in a log.
func lastProgress(log string) string {
	last := "0"
	for _, line := range strings.Split(log, "\n") {
		if i := strings.Index(line, " rows="); i >= 0 && strings.Contains(line, "import progress") {
			f := strings.Fields(line[i+1:])
			last = strings.TrimPrefix(f[0], "rows=")
		}
	}
	return last
}

// TestImportThroughServer imports a GB18030 file through a running server
// with the issuer's key, twice.
func TestImportThroughServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, t.TempDir())
	_, issuer, _ := setupAt(t, srv.url)
	dir := t.TempDir()
	path, valid := importFile(t, dir, 1200)
	utf, _ := os.ReadFile(path)
	gb := toGB18030(t, string(utf))
	gbPath := filepath.Join(dir, "gb.csv")
	os.WriteFile(gbPath, gb, 0o644)
	args := []string{"import", gbPath, "--server", srv.url, "--key", issuer.token, "--type", typeCode, "--progress", "none"}
	out, err := exec.Command(bin, args...).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("import: %v\n%s", err, out)
	}
	job := issuer.do("GET", "/v1/imports", nil).want(t, 200).json(t)["items"].([]any)[0].(map[string]any)
	if job["encoding"] != "gb18030" || job["status"] != "done" || int(job["imported"].(float64)) != len(valid) {
		t.Fatalf("job %v, want %d imported", job, len(valid))
	}
	again, _ := exec.Command(bin, args...).CombinedOutput()
	if !bytes.Equal(again, out) {
		t.Fatalf("second run:\n%s\nfirst:\n%s", again, out)
	}
	rep, err := os.ReadFile(gbPath + ".report.csv")
	if err != nil || !strings.HasPrefix(string(rep), "row,field,reason,outcome\n") {
		t.Fatalf("report: %v\n%.200s", err, rep)
	}
}

func toGB18030(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
