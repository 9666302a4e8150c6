package main

import (
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

// TestOtherIssuersLicenseIs404 reads another issuer's license and a
// made-up one: both answers are 404 with the same code and, but for the
// ID, the same message, so the answer does not tell that the license
// exists (it was 403 before).
func TestOtherIssuersLicenseIs404(t *testing.T) {
	m := MustRunMain(t)
	_, issuer, other := setup(t, m)
	id := issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201).json(t)["id"].(string)
	lid, err := zhengzhao.ParseLicenseID(id)
	if err != nil {
		t.Fatal(err)
	}
	lid.Serial += "9"
	madeUp := lid.String()

	theirs := other.do("GET", "/v1/licenses/"+id, nil).want(t, 404).json(t)
	none := other.do("GET", "/v1/licenses/"+madeUp, nil).want(t, 404).json(t)
	if theirs["code"] != none["code"] || strings.ReplaceAll(theirs["detail"].(string), id, "ID") != strings.ReplaceAll(none["detail"].(string), madeUp, "ID") {
		t.Errorf("another issuer's license: %v\na made-up one: %v", theirs, none)
	}
	issuer.do("GET", "/v1/licenses/"+id, nil).want(t, 200)
}
