package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao/ledger"
)

// TestRestoreBehindPublishedCheckpoints restores an older backup of a
// library that kept publishing its checkpoints (serve --checkpoint-dir):
// the restored server refuses writes and says what is missing; check
// names the published checkpoint the log lacks; restore --accept-loss
// lists the lost licenses, after which they verify as revoked online
// ("lost in restore"), a lost revocation holds again, a retry of a lost
// issue's Idempotency-Key answers 409 naming the lost license instead of
// issuing a second one, writes work again and check is clean.
func TestRestoreBehindPublishedCheckpoints(t *testing.T) {
	data, pub := t.TempDir(), t.TempDir()
	withPub := func(c *Config) {
		c.CheckpointInterval = 50 * time.Millisecond
		c.Recovery.CheckpointDir = pub
	}
	m := runMainWith(t, data, withPub)
	admin, issuer, _ := setup(t, m)
	issue := func(c client, n int) (string, []byte) {
		body := issueBody()
		body["number"] = fmt.Sprintf("N%d", n)
		r := c.do("POST", "/v1/licenses", body, "Idempotency-Key", fmt.Sprintf("order-%d", n)).want(t, 201)
		return r.json(t)["id"].(string), r.body
	}
	var kept []string
	for i := range 3 {
		id, _ := issue(issuer, i)
		kept = append(kept, id)
	}
	admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200)
	archive := filepath.Join(t.TempDir(), "old.backup")
	if out, err := runCmd("backup", "--data", data, "--out", archive); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	lost := map[string][]byte{}
	var lostIDs []string
	for i := 3; i < 6; i++ {
		id, doc := issue(issuer, i)
		lost[id] = doc
		lostIDs = append(lostIDs, id)
	}
	keptDoc := issuer.do("GET", "/v1/licenses/"+kept[0], nil).want(t, 200).body
	issuer.do("POST", "/v1/licenses/"+kept[0]+"/revoke", map[string]any{"reason": "企业申请注销"}).want(t, 200)
	cp := admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200).json(t)
	waitPublished(t, pub, m, int64(cp["size"].(float64)))
	m.Close()

	restored := filepath.Join(t.TempDir(), "restored")
	out, err := runCmd("restore", "--from", archive, "--data", restored, "--checkpoint-dir", pub)
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if !strings.Contains(out, "WARNING: the library is behind") {
		t.Errorf("restore does not warn that the library is behind:\n%s", out)
	}

	m2 := runMainWith(t, restored, withPub)
	_, issuer2, _ := setupClients(m2.URL, t, issuer.token)
	body := issueBody()
	body["number"] = "N99"
	r := issuer2.do("POST", "/v1/licenses", body, "Idempotency-Key", "order-99")
	if r.status != 503 || !strings.Contains(string(r.body), "behind") || !strings.Contains(string(r.body), "accept-loss") {
		t.Fatalf("a write to a library behind its published checkpoint: %d %s", r.status, r.body)
	}
	anon := client{t, m2.URL, ""}
	if v := anon.do("POST", "/v1/verify", lost[lostIDs[0]]).want(t, 200).json(t); v["status"] != "unknown" {
		t.Fatalf("before accept-loss a lost license verifies %v, want unknown", v["status"])
	}
	m2.Close()
	out, err = runCheckCmd(restored, "", "--checkpoint-dir", pub)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, "published: ") || !strings.Contains(out, "behind") {
		t.Fatalf("check of a library behind its published checkpoint: %v\n%s", err, out)
	}

	out, err = runCmd("restore", "--accept-loss", "--data", restored, "--checkpoint-dir", pub)
	if err != nil {
		t.Fatalf("restore --accept-loss: %v\n%s", err, out)
	}
	t.Log(out)
	for _, id := range lostIDs {
		if !strings.Contains(out, "lost: "+id) {
			t.Errorf("accept-loss does not list lost license %s:\n%s", id, out)
		}
	}
	if !strings.Contains(out, "revoked again: "+kept[0]) {
		t.Errorf("accept-loss does not revoke %s again:\n%s", kept[0], out)
	}

	m3 := runMainWith(t, restored, withPub)
	_, issuer3, _ := setupClients(m3.URL, t, issuer.token)
	anon = client{t, m3.URL, ""}
	for _, id := range lostIDs {
		v := anon.do("POST", "/v1/verify", lost[id]).want(t, 200).json(t)
		if v["valid"] != false || v["status"] != "revoked" || !strings.Contains(fmt.Sprint(v["reasons"]), "lost in restore") {
			t.Errorf("lost license %s verifies %v %v %v, want revoked: lost in restore", id, v["valid"], v["status"], v["reasons"])
		}
	}
	if v := anon.do("POST", "/v1/verify", keptDoc).want(t, 200).json(t); v["status"] != "revoked" {
		t.Errorf("license %s, whose revocation the restore lost, verifies %v", kept[0], v["status"])
	}
	retry := issueBody()
	retry["number"] = "N3"
	r = issuer3.do("POST", "/v1/licenses", retry, "Idempotency-Key", "order-3")
	if r.status != 409 || !strings.Contains(string(r.body), lostIDs[0]) {
		t.Errorf("retry of a lost issue's Idempotency-Key: %d %s, want 409 naming %s", r.status, r.body, lostIDs[0])
	}
	issuer3.do("POST", "/v1/licenses", body, "Idempotency-Key", "order-99").want(t, 201)
	// A fresh issue and checkpoint reach the published directory again.
	cp = client{t, m3.URL, testAdminToken}.do("POST", "/v1/audit/checkpoint", nil).want(t, 200).json(t)
	waitPublished(t, pub, m3, int64(cp["size"].(float64)))
	m3.Close()
	if out, err := runCheckCmd(restored, "", "--checkpoint-dir", pub); err != nil {
		t.Fatalf("check after accept-loss: %v\n%s", err, out)
	}
}

// setupClients returns the admin and issuer clients of a restored server
// (whose units and keys came with the backup).
func setupClients(base string, t *testing.T, issuerToken string) (admin, issuer client, _ struct{}) {
	return client{t, base, testAdminToken}, client{t, base, issuerToken}, struct{}{}
}

// waitPublished waits until the published checkpoint covers size.
func waitPublished(t *testing.T, dir string, m *Main, size int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p, err := ledger.OpenLatest(dir, m.Library.LogVerifier())
		if err != nil {
			t.Fatal(err)
		}
		if p != nil && p.Size >= size {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no checkpoint of size %d published in %s", size, dir)
}
