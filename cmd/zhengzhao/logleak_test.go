package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsNameNobody runs a walkthrough-like flow — issue, update,
// revoke, holder sign-in and wallet, QR show and check (API and verifier
// page), print copy, import — with debug logging, and greps the log for
// every ID number, name and token of the test data. Holder requests were
// logged as actor=holder:111:<ID number> and verifier pages with their
// display token in the path.
func TestLogsNameNobody(t *testing.T) {
	var logs lockedBuffer
	m2 := NewMain()
	m2.Config.DataDir = t.TempDir()
	m2.Config.Addr = "127.0.0.1:0"
	m2.Stdout = &logs
	m2.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	if err := m2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	m := m2
	base := m.URL
	_, issuer, _ := setup(t, m)
	personTy := typeCode[:18] + "007"
	issuer.do("POST", "/v1/license-types", map[string]any{
		"code": personTy, "name": "机动车驾驶证", "holder_kind": "person", "level": "national", "public": true, "collect_since": "2021-06-01",
		"fields": []map[string]any{
			{"key": "vehicle_class", "label": "准驾车型", "type": "string", "required": true},
			{"key": "address", "label": "住址", "type": "string", "required": true},
		},
	}).want(t, 201)
	a := zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: "111", ID: demo.ResidentID("310115", time.Date(1948, 3, 1, 0, 0, 0, 0, time.UTC), 12), Name: "王秀英"}
	b := zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: "111", ID: demo.ResidentID("310104", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), 31), Name: "李强"}
	c := zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: "111", ID: demo.ResidentID("310101", time.Date(1990, 5, 6, 0, 0, 0, 0, time.UTC), 7), Name: "赵敏"}
	secrets := []string{a.ID, a.Name, b.ID, b.Name, c.ID, c.Name, issuer.token, testAdminToken}
	issue := func(h zhengzhao.Holder, number string) map[string]any {
		return issuer.do("POST", "/v1/licenses", map[string]any{
			"type": personTy, "number": number, "holder": h, "issued_on": "2024-01-02", "valid_from": "2024-01-02", "valid_until": "2034-01-01",
			"fields": map[string]any{"vehicle_class": "C1", "address": "上海市浦东新区张杨路1500号"},
		}).want(t, 201).json(t)
	}
	licA := issue(a, "JZ-0001")
	licB := issue(b, "JZ-0002")
	up := map[string]any{"number": "JZ-0001", "holder": a, "issued_on": "2024-01-02", "valid_from": "2024-01-02", "valid_until": "2036-01-01",
		"fields": map[string]any{"vehicle_class": "C1E", "address": "上海市浦东新区张杨路1500号"}}
	v2 := issuer.do("PUT", "/v1/licenses/"+licA["id"].(string), up).want(t, 200).json(t)
	idA := v2["id"].(string)
	issuer.do("POST", "/v1/licenses/"+licB["id"].(string)+"/revoke", map[string]any{"reason": "持证人申请注销"}).want(t, 200)

	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	cookie, err := m.Library.Holders.CreateHolderSession(sys, &zhengzhao.HolderSession{Holder: a.Ref(), Name: a.Name, Method: zhengzhao.SignInOIDC}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, cookie)
	holderDo(t, base, cookie, "GET", "/wallet", nil)
	holderDo(t, base, cookie, "GET", "/wallet/licenses/"+idA, nil).want(t, 200)
	holderDo(t, base, cookie, "GET", "/wallet/licenses/"+idA+"/show", nil).want(t, 200)
	p := holderDo(t, base, cookie, "POST", "/v1/holder/presentations",
		map[string]any{"license": idA, "fields": []string{"holder.name", "vehicle_class"}}).want(t, 201).json(t)
	token := p["token"].(string)
	secrets = append(secrets, token)
	client{t, base, ""}.do("POST", "/v1/presentations/verify", map[string]any{"token": p["url"]}).want(t, 200)
	holderDo(t, base, "", "GET", "/v/"+token, nil).want(t, 200)
	holderDo(t, base, "", "GET", "/v/"+token+"x", nil)
	holderDo(t, base, cookie, "GET", "/wallet/licenses/"+idA+"/print", nil).want(t, 200)

	var csvBuf bytes.Buffer
	w := csv.NewWriter(&csvBuf)
	w.Write([]string{"number", "holder_id", "holder_name", "issued_on", "valid_until", "vehicle_class", "address"})
	w.Write([]string{"JZ-0003", c.ID, c.Name, "2024-02-01", "2034-01-31", "C2", "上海市黄浦区人民大道200号"})
	w.Write([]string{"JZ-0004", c.ID[:17] + "0", c.Name, "2024-02-01", "2034-01-31", "C2", "上海市黄浦区人民大道200号"}) // a wrong check digit: a rejected row
	w.Flush()
	job := issuer.do("POST", "/v1/imports?type="+personTy+"&provenance=digitised_checked", csvBuf.Bytes(), "Content-Type", "text/csv").want(t, 201).json(t)
	issuer.do("GET", "/v1/imports/"+job["id"].(string)+"/report", nil).want(t, 200)

	out := logs.String()
	if !strings.Contains(out, "actor=holder:") || !strings.Contains(out, "path=/v/") {
		t.Fatalf("the flow did not log the holder's and the verifier's requests:\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the log holds %q", s)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", out)
	}
}
