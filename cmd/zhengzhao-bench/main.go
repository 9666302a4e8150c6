// Command zhengzhao-bench measures Zhengzhao on this machine and prints
// the figures of docs/performance.md, each next to a baseline measured in
// the same run (raw insert, bare HTTP handler, raw signature verify, raw
// primary-key lookup), since machines are noisy and ratios travel better
// than absolute numbers. It sends traffic to loopback only.
//
//	zhengzhao-bench load --db URL | --data DIR --n N     fill a library through its write path, next to a raw insert
//	zhengzhao-bench http --url URL --admin TOKEN --db URL | --data DIR [--pid PID]
//	zhengzhao-bench exemption --db URL | --data DIR                          material exemption over a loaded library
//	zhengzhao-bench soak --url URL --admin TOKEN --duration 10m [--verify-rate 1000 --issue-rate 50 …]  mixed open-loop load, latency and RSS over time
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := &cobra.Command{Use: "zhengzhao-bench", Short: "Measure Zhengzhao against same-run baselines", SilenceUsage: true}
	root.AddCommand(newLoadCommand(), newHTTPCommand(), newExemptionCommand(), newSoakCommand())
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "zhengzhao-bench:", err)
		os.Exit(1)
	}
}
