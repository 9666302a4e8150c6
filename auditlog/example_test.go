package auditlog_test

import (
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"golang.org/x/mod/sumdb/note"
)

// This example builds the tree over three entries as the integrator does,
// keeps the nodes it returns, and proves from them that an entry is in the
// log.
func ExampleTree() {
	stored := map[[2]int64][]byte{}
	fetch := func(ids []zhengzhao.TreeNode) ([][]byte, error) {
		hashes := make([][]byte, len(ids))
		for i, id := range ids {
			hashes[i] = stored[[2]int64{int64(id.Level), id.Index}]
		}
		return hashes, nil
	}

	at := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	entries := []*zhengzhao.AuditEntry{
		{Index: 0, Time: at, Actor: "unit:110000", Action: zhengzhao.ActionLicenseIssue, License: "BL-1-1", LicenseBase: "BL-1"},
		{Index: 1, Time: at.Add(time.Second), Actor: "unit:120000", Action: zhengzhao.ActionLicenseRead, License: "BL-1-1", LicenseBase: "BL-1"},
		{Index: 2, Time: at.Add(2 * time.Second), Actor: "unit:110000", Action: zhengzhao.ActionLicenseRevoke, License: "BL-1-1", LicenseBase: "BL-1",
			Details: map[string]string{"reason": "吊销"}},
	}
	fmt.Printf("leaf 2: %s\n", auditlog.LeafData(entries[2]))

	tree, _ := auditlog.NewTree(0, nil)
	for _, e := range entries {
		nodes, _ := tree.Append(auditlog.LeafHash(e))
		for _, n := range nodes {
			stored[[2]int64{int64(n.Level), n.Index}] = n.Hash
			fmt.Printf("store node (%d, %d)\n", n.Level, n.Index)
		}
	}
	root, _ := tree.Root()
	fmt.Printf("size %d, root %x\n", tree.Size(), root)

	proof, _ := auditlog.InclusionProof(1, tree.Size(), fetch)
	err := auditlog.VerifyInclusion(1, tree.Size(), auditlog.LeafHash(entries[1]), proof, root)
	fmt.Printf("entry 1: %d proof hashes, verified: %t\n", len(proof), err == nil)

	// The integrator later resumes from the stored nodes alone.
	ids := auditlog.ResumeNodes(tree.Size())
	hashes, _ := fetch(ids)
	resumed, _ := auditlog.NewTree(tree.Size(), hashes)
	again, _ := resumed.Root()
	fmt.Printf("resumed from %d nodes, same root: %t\n", len(ids), string(again) == string(root))
	// Output:
	// leaf 2: {"index":2,"time":"2024-03-01T08:00:02.000000000Z","actor":"unit:110000","action":"license.revoke","license":"BL-1-1","license_base":"BL-1","details":{"reason":"吊销"}}
	// store node (0, 0)
	// store node (0, 1)
	// store node (1, 0)
	// store node (0, 2)
	// size 3, root f4455f5647b08def3cab61d61de327bff0b79a792b1e6bca7e34be0dcceb7342
	// entry 1: 2 proof hashes, verified: true
	// resumed from 2 nodes, same root: true
}

// This example checks a log kept by memLog, an in-memory Source standing in
// for a store (see log_test.go), then changes an entry as someone with
// access to the database might, and recomputes the stored tree to hide it.
// The signed checkpoints give the change away.
func ExampleCheck() {
	skey, vkey, _ := auditlog.GenerateLogKey("audit.zhengzhao.example/log")
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)

	log := newMemLog()
	for range 4 { // four rounds of the integrator, 10 entries each
		log.add(10)
		log.integrate(signer)
	}
	report, _ := auditlog.Check(log, verifier)
	fmt.Printf("%d entries, %d checkpoints, tree size %d, ok: %t\n",
		report.Entries, report.Checkpoints, report.TreeSize, report.OK())

	log.entries[25].Actor = "unit:999999"
	report, _ = auditlog.Check(log, verifier)
	for _, p := range report.Problems {
		fmt.Printf("%s at %d: %s\n", p.Kind, p.Index, p.Message)
	}

	log.recompute(40)
	report, _ = auditlog.Check(log, verifier)
	for _, p := range report.Problems {
		fmt.Printf("%s at %d: %s\n", p.Kind, p.Index, p.Message)
	}
	// Output:
	// 40 entries, 4 checkpoints, tree size 40, ok: true
	// changed at 25: entry 25 does not match its stored leaf hash
	// checkpoint at 20: checkpoint of size 30 does not match the entries, although they match the stored tree: entries in [20, 30) differ from what was signed
}
