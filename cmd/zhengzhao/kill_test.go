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
		for w := range 8 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					body := issueBody()
					body["number"] = fmt.Sprintf("R%dW%dN%d", round, w, i)
					js, _ := json.Marshal(body)
					req, _ := nethttp.NewRequest("POST", srv.url+"/v1/licenses", bytes.NewReader(js))
					req.Header.Set("Authorization", "Bearer "+key)
					res, err := nethttp.DefaultClient.Do(req)
					if err != nil {
						return // the server died under us: this request was never acknowledged
					}
					var lic struct{ ID string }
					err = json.NewDecoder(res.Body).Decode(&lic)
					res.Body.Close()
					if res.StatusCode == 201 && err == nil {
						mu.Lock()
						acked = append(acked, lic.ID)
						mu.Unlock()
					}
				}
			})
		}
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
