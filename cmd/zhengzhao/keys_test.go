package main

import (
	"testing"
)

// TestRevokeAndRotateKeys: a revoked API key stops working at once; after a
// signing-key rotation new licenses carry the new key and old ones still
// verify.
func TestRevokeAndRotateKeys(t *testing.T) {
	m := MustRunMain(t)
	admin, issuer, _ := setup(t, m)
	anon := client{t, m.URL, ""}

	old := issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201)
	oldKID := old.json(t)["proof"].(map[string]any)["kid"]

	rotated := admin.do("POST", "/v1/units/"+issuerCode+"/signing-keys", nil).want(t, 201).json(t)
	if rotated["kid"] == oldKID || rotated["active"] != true {
		t.Fatalf("rotation: %v (old kid %v)", rotated, oldKID)
	}
	body := issueBody()
	body["number"] = "310000000000002"
	fresh := issuer.do("POST", "/v1/licenses", body).want(t, 201)
	if kid := fresh.json(t)["proof"].(map[string]any)["kid"]; kid != rotated["kid"] {
		t.Fatalf("new license signed with %v, want the rotated key %v", kid, rotated["kid"])
	}
	for _, doc := range [][]byte{old.body, fresh.body} {
		if v := anon.do("POST", "/v1/verify", doc).want(t, 200).json(t); v["valid"] != true {
			t.Fatalf("after rotation: %v", v)
		}
	}
	issuer.do("POST", "/v1/units/"+issuerCode+"/signing-keys", nil).want(t, 403)

	keys := admin.do("GET", "/v1/units/"+issuerCode+"/keys", nil).want(t, 200).json(t)["items"].([]any)
	if len(keys) != 1 {
		t.Fatalf("keys: %v", keys)
	}
	id := keys[0].(map[string]any)["id"].(string)
	if _, leaked := keys[0].(map[string]any)["key"]; leaked {
		t.Fatal("the key list shows a secret")
	}
	revoked := admin.do("POST", "/v1/units/"+issuerCode+"/keys/"+id+"/revoke", nil).want(t, 200).json(t)
	if revoked["revoked_at"] == nil {
		t.Fatalf("revoked key: %v", revoked)
	}
	issuer.do("GET", "/v1/licenses", nil).want(t, 401)
	admin.do("POST", "/v1/units/"+issuerCode+"/keys/no-such-key/revoke", nil).want(t, 404)
	admin.do("POST", "/v1/units/"+otherCode+"/keys/"+id+"/revoke", nil).want(t, 404)
}
