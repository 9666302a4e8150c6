package main

import (
	"encoding/json"
	"strings"
	"testing"

	zzhttp "github.com/zhengzhao-project/zhengzhao/http"
)

// TestUnsignableNumberRefused: a number whose RFC 8785 form would differ
// from its text is refused naming the field, and nothing is issued; a
// number that reads back the same is signed as sent.
func TestUnsignableNumberRefused(t *testing.T) {
	m := MustRunMain(t)
	_, issuer, _ := setup(t, m)
	body := strings.Replace(mustMarshal(t, issueBody()), `"registered_capital":100`, `"registered_capital":9007199254740993`, 1)
	if !strings.Contains(body, "9007199254740993") {
		t.Fatal("test body not built")
	}
	p := issuer.do("POST", "/v1/licenses", body).want(t, 400).json(t)
	errs, _ := json.Marshal(p["errors"])
	if !strings.Contains(string(errs), `"field":"fields.registered_capital"`) || !strings.Contains(string(errs), "9007199254740992") {
		t.Fatalf("the problem does not name the field and the signed value: %s", errs)
	}
	if n := issuer.do("GET", "/v1/licenses?holder_id=91350100M000100Y43", nil).want(t, 200).json(t)["total"]; n != float64(0) {
		t.Fatalf("a refused issue left %v licenses", n)
	}
	body = strings.Replace(mustMarshal(t, issueBody()), `"registered_capital":100`, `"registered_capital":12.50`, 1)
	res := issuer.do("POST", "/v1/licenses", body).want(t, 201)
	if !strings.Contains(string(res.body), `"registered_capital":12.50`) && !strings.Contains(string(res.body), `"registered_capital":12.5`) {
		t.Fatalf("12.50 not kept: %s", res.body)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConsistencySize1 checks the documented minimum of size1 against the
// real server: the minimum is accepted and one below it is refused naming
// size1.
func TestConsistencySize1(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(zzhttp.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var op struct {
		Parameters []struct {
			Name   string `json:"name"`
			Schema struct {
				Minimum *int64 `json:"minimum"`
			} `json:"schema"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(doc.Paths["/v1/audit/consistency"]["get"], &op); err != nil {
		t.Fatal(err)
	}
	var min *int64
	for _, p := range op.Parameters {
		if p.Name == "size1" {
			min = p.Schema.Minimum
		}
	}
	if min == nil {
		t.Fatal("size1 has no documented minimum")
	}
	m := MustRunMain(t)
	setup(t, m) // a few entries in the log; the admin signs a checkpoint of them
	anon := client{t, m.URL, ""}
	admin := client{t, m.URL, testAdminToken}
	size := int64(admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200).json(t)["size"].(float64))
	if size < 2 {
		t.Fatalf("tree size %d", size)
	}
	anon.do("GET", "/v1/audit/consistency?size1="+itoa(*min)+"&size2="+itoa(size), nil).want(t, 200)
	p := anon.do("GET", "/v1/audit/consistency?size1="+itoa(*min-1)+"&size2="+itoa(size), nil).want(t, 400)
	if !strings.Contains(string(p.body), `"field":"size1"`) {
		t.Fatalf("size1 below the documented minimum: %s", p.body)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
