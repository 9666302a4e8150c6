package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/library"
)

// loadThroughImport streams n generated licenses, spread over the demo
// types, as JSON Lines through the library's bulk import: validation,
// signature, the license and its audit entry per row, committed in batches
// with the job's checkpoint. It returns the rate and a few documents.
//
// After each type, analyze (if not nil) refreshes the database's planner
// statistics, as autovacuum would on a production server.
func loadThroughImport(ctx context.Context, lib *library.Services, units map[string]*zhengzhao.Unit, n int, seed uint64, analyze func(context.Context) error) (float64, [][]byte, error) {
	start := time.Now()
	var done atomic.Int64
	per := (n + len(demo.Types) - 1) / len(demo.Types)
	for ti, dt := range demo.Types {
		count := min(per, n-ti*per)
		if count <= 0 {
			break
		}
		pr, pw := io.Pipe()
		go func() {
			w := bufio.NewWriterSize(pw, 1<<16)
			rng := rand.New(rand.NewPCG(seed, uint64(ti)))
			enc := json.NewEncoder(w)
			for i := range count {
				req := dt.Request(rng)
				row := map[string]any{
					"serial":    fmt.Sprintf("B%dT%dN%d", seed, ti, i),
					"number":    req.Number,
					"holder_id": req.Holder.ID, "holder_name": req.Holder.Name,
					"issued_on": req.IssuedOn, "valid_from": req.ValidFrom,
				}
				if req.ValidUntil != nil {
					row["valid_until"] = *req.ValidUntil
				}
				for k, v := range req.Fields {
					row[k] = v
				}
				if err := enc.Encode(row); err != nil {
					pw.CloseWithError(err)
					return
				}
			}
			pw.CloseWithError(w.Flush())
		}()
		uctx := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: units[dt.Issuer]})
		base := done.Load()
		job, err := lib.Aggregation.Import(uctx, &zhengzhao.ImportSpec{Type: dt.Code, Format: zhengzhao.FormatJSONL,
			Provenance: zhengzhao.ProvenanceBornDigital, Source: "zhengzhao-bench",
			Progress: func(j *zhengzhao.ImportJob) {
				d := base + j.Imported
				if d/100000 != (d-int64(library.ImportBatchRows))/100000 {
					el := time.Since(start)
					fmt.Fprintf(os.Stderr, "  %d/%d licenses, %.0f/s\n", d, n, float64(d)/el.Seconds())
				}
			}}, pr)
		if err != nil {
			return 0, nil, fmt.Errorf("import %s: %w", dt.Name, err)
		}
		done.Add(job.Imported)
		if analyze != nil {
			if err := analyze(ctx); err != nil {
				return 0, nil, fmt.Errorf("analyze: %w", err)
			}
		}
	}
	rate := float64(done.Load()) / time.Since(start).Seconds()
	// A few stored documents for the raw baseline.
	var docs [][]byte
	for _, dt := range demo.Types {
		uctx := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: units[dt.Issuer]})
		ls, _, _, err := lib.Licenses.FindLicenses(uctx, zhengzhao.LicenseFilter{Type: &dt.Code, Page: zhengzhao.Page{Limit: 100}})
		if err != nil {
			return 0, nil, err
		}
		for _, l := range ls {
			b, _ := json.Marshal(l)
			docs = append(docs, b)
		}
	}
	return rate, docs, nil
}
