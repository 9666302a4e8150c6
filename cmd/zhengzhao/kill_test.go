package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles the zhengzhao binary once per test run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "zhengzhao-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "zhengzhao")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// server is a zhengzhao serve process.
type server struct {
	cmd *exec.Cmd
	url string
}

func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, append([]string{"serve", "--data", data, "--addr", addr, "--checkpoint-interval", "200ms"}, extra...)...)
	cmd.Env = append(os.Environ(), "ZHENGZHAO_ADMIN_TOKEN="+testAdminToken)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, url, ok := strings.Cut(sc.Text(), "listening on "); ok {
			go io.Copy(io.Discard, stdout)
			return &server{cmd, url}
		}
	}
	t.Fatalf("server did not start")
	return nil
}

// issueOnce issues one license with the given number through a server and
// returns the status and the license ID; err when the server did not
// answer.
func issueOnce(url, key, number string) (status int, id string, err error) {
	body := issueBody()
	body["number"] = number
	js, _ := json.Marshal(body)
	req, _ := nethttp.NewRequest("POST", url+"/v1/licenses", bytes.NewReader(js))
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	var lic struct{ ID string }
	if json.NewDecoder(res.Body).Decode(&lic) != nil && res.StatusCode == 201 {
		return res.StatusCode, "", fmt.Errorf("undecodable 201 answer")
	}
	return res.StatusCode, lic.ID, nil
}

// issueUntil starts workers goroutines on wg that issue licenses through
// url back to back until stop is closed, each answer passed to record
// (which must be safe for concurrent use); a worker also stops when record
// returns false. Numbers are prefix, worker and sequence, so all differ.
func issueUntil(wg *sync.WaitGroup, stop <-chan struct{}, url, key, prefix string, workers int, record func(status int, id string, err error) bool) {
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if !record(issueOnce(url, key, fmt.Sprintf("%sW%dN%d", prefix, w, i))) {
					return
				}
			}
		})
	}
}

// TestKill9LosesNothingAcknowledged issues licenses from several clients,
// kills the server with SIGKILL mid-stream, restarts it, and checks that
// every acknowledged license is there and the audit log is intact — three
// times over.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	data := t.TempDir()
	srv := startServer(t, data)
	_, issuer, _ := setupAt(t, srv.url)
	key := issuer.token

	var acked []string
	for round := range 3 {
		var (
			mu   sync.Mutex
			wg   sync.WaitGroup
			stop = make(chan struct{})
		)
		issueUntil(&wg, stop, srv.url, key, fmt.Sprintf("R%d", round), 8, func(status int, id string, err error) bool {
			if err != nil {
				return false // the server died under us: this request was never acknowledged
			}
			if status == 201 {
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
			return true
		})
		time.Sleep(time.Duration(700+300*round) * time.Millisecond)
		srv.cmd.Process.Signal(syscall.SIGKILL)
		srv.cmd.Wait()
		close(stop)
		wg.Wait()

		srv = startServer(t, data)
		issuer = client{t, srv.url, key}
		for _, id := range acked {
			issuer.do("GET", "/v1/licenses/"+id, nil).want(t, 200)
		}
		t.Logf("round %d: %d licenses acknowledged so far, all present after SIGKILL", round, len(acked))
	}
	if len(acked) == 0 {
		t.Fatal("no license was acknowledged: the test proved nothing")
	}
	// Stop cleanly, then audit the log offline.
	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.cmd.Wait()
	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs([]string{"audit", "verify", "--data", data})
	cmd.SetOut(&out)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("audit verify after kills: %v\n%s", err, out.String())
	}
}
