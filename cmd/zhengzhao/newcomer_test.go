package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// TestUpdateWithIssueShape sends the issue document back with a change, as
// an integrator naturally does: the real library accepts it, and refuses
// a different type with an error that names the member.
func TestUpdateWithIssueShape(t *testing.T) { forEachStore(t, testUpdateWithIssueShape) }

func testUpdateWithIssueShape(t *testing.T, db string) {
	m := MustRunMainDB(t, db)
	_, issuer, _ := setup(t, m)
	body := issueBody()
	lic := issuer.do("POST", "/v1/licenses", body).want(t, 201).json(t)
	id := lic["id"].(string)

	body["fields"].(map[string]any)["legal_representative"] = "李四"
	body["serial"] = lic["serial"]
	v2 := issuer.do("PUT", "/v1/licenses/"+id, body).want(t, 200).json(t)
	if v2["version"] != "002" || v2["fields"].(map[string]any)["legal_representative"] != "李四" {
		t.Fatalf("version 2: %v", v2)
	}

	body["type"] = typeCode[:len(typeCode)-1] + "2"
	res := issuer.do("PUT", "/v1/licenses/"+v2["id"].(string), body).want(t, 400)
	var p struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	if err := json.Unmarshal(res.body, &p); err != nil || len(p.Errors) != 1 || p.Errors[0].Field != "type" ||
		!strings.Contains(p.Errors[0].Message, typeCode) {
		t.Fatalf("a changed type must be refused naming the member and the license's type: %s", res.body)
	}
}

// TestProofDefaultSize asks for an inclusion proof without size: it is
// against the latest signed checkpoint.
func TestProofDefaultSize(t *testing.T) {
	m := MustRunMain(t)
	admin, issuer, _ := setup(t, m)
	issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201)
	cp := admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200).json(t)
	anon := client{t, m.URL, ""}
	p := anon.do("GET", "/v1/audit/proof?index=0", nil).want(t, 200).json(t)
	if p["size"] != cp["size"] || p["root_hash"] != cp["root_hash"] {
		t.Fatalf("proof %v is not against the checkpoint %v", p, cp)
	}
}

// TestDemoDashboardRates loads the demo and reads the supervision figures:
// the back catalogue is imported (not counted as issuing), this month's
// licenses are mostly on time, and the units differ, as in a real month.
func TestDemoDashboardRates(t *testing.T) {
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	m := NewMain()
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Demo = true
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	admin := client{t, m.URL, testAdminToken}
	var rep struct {
		Totals struct {
			Issued     int64   `json:"issued"`
			OnTimeRate float64 `json:"on_time_rate"`
		} `json:"totals"`
		Units []struct {
			Unit       struct{ Code string } `json:"unit"`
			Issued     int64                 `json:"issued"`
			OnTimeRate float64               `json:"on_time_rate"`
		} `json:"units"`
	}
	if err := json.Unmarshal(admin.do("GET", "/v1/supervision", nil).want(t, 200).body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Issued == 0 || rep.Totals.OnTimeRate < 0.7 || rep.Totals.OnTimeRate > 0.97 {
		t.Fatalf("demo totals: %d issued, on-time rate %.3f; want a realistic rate between 70 %% and 97 %%", rep.Totals.Issued, rep.Totals.OnTimeRate)
	}
	rates := map[float64]bool{}
	for _, u := range rep.Units {
		if u.Issued > 0 {
			rates[u.OnTimeRate] = true
		}
	}
	if len(rates) < 3 {
		t.Fatalf("the issuing units' on-time rates %v do not differ as in a real month", rates)
	}
}
