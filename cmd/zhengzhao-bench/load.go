package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// result is what one closed-loop load run measured.
type result struct {
	Name      string
	Requests  int
	Errors    int
	Duration  time.Duration
	P50, P99  time.Duration
	PerSecond float64
}

func (r result) String() string {
	return fmt.Sprintf("%-22s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  (%d requests, %d errors)",
		r.Name, r.PerSecond, ms(r.P50), ms(r.P99), r.Requests, r.Errors)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// closedLoop runs op from clients goroutines back to back for d and
// collects every latency. op returns false on an error. Loopback only.
func closedLoop(name string, clients int, d time.Duration, op func(worker, i int) bool) result {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errors    int
		wg        sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	for w := range clients {
		wg.Go(func() {
			var local []time.Duration
			bad := 0
			for i := 0; ctx.Err() == nil; i++ {
				t0 := time.Now()
				ok := op(w, i)
				local = append(local, time.Since(t0))
				if !ok {
					bad++
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			errors += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	r := result{Name: name, Requests: len(latencies), Errors: errors, Duration: elapsed}
	if n := len(latencies); n > 0 {
		r.P50 = latencies[n/2]
		r.P99 = latencies[min(n-1, n*99/100)]
		r.PerSecond = float64(n) / elapsed.Seconds()
	}
	return r
}

// httpClient is tuned for many keep-alive connections to one host.
var httpClient = &http.Client{
	Timeout: 30 * time.Second,
	Transport: &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	},
}

// newRequest builds a request with the bearer token (if any) and, when
// body is not nil, the JSON content type.
func newRequest(method, url, token string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// do sends one request and drains the body; it reports whether the status
// was the wanted one.
func do(method, url, token string, body []byte, want int) bool {
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := newRequest(method, url, token, rd)
	if err != nil {
		return false
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == want
}

// rssKiB returns the resident set size of a process (VmRSS), in KiB.
func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// sampleRSS samples a process's RSS every 100 ms until stop is closed and
// returns the largest value seen.
func sampleRSS(pid int, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := rssKiB(pid); err == nil && v > peak {
				peak = v
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}
