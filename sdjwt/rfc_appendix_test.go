package sdjwt

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRFC9901ComplexStructured verifies the presentation of RFC 9901
// Appendix A.2: disclosures nested in an array element (evidence) and in
// structured objects; the result must be exactly the RFC's "data for
// further processing".
func TestRFC9901ComplexStructured(t *testing.T) {
	r, err := Verify(context.Background(), readExample(t, "complex-presentation.txt"), VerifyOptions{Key: rfcKey(t), Now: at(1683000001)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"iss": "https://issuer.example.com", "iat": json.Number("1683000000"), "exp": json.Number("1883000000"),
		"verified_claims": map[string]any{
			"verification": map[string]any{
				"trust_framework": "de_aml",
				"evidence":        []any{map[string]any{"method": "pipp"}},
				"time":            "2012-04-23T18:25Z",
			},
			"claims": map[string]any{
				"given_name": "Max", "family_name": "Müller",
				"address": map[string]any{"locality": "Maxstadt", "postal_code": "12344", "country": "DE", "street_address": "Weidenstraße 22"},
			},
		},
	}
	if diff := cmp.Diff(want, r.Claims); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
}

// TestRFC9901VC verifies the SD-JWT VC of RFC 9901 Appendix A.3 with all
// its 21 disclosures, including the recursive address and place_of_birth
// and the disclosable keys of age_equal_or_over; the result must be the
// RFC's input claim set plus the always-visible claims.
func TestRFC9901VC(t *testing.T) {
	r, err := Verify(context.Background(), readExample(t, "vc-issued.txt"), VerifyOptions{Key: rfcKey(t), Now: at(1683000001), Typ: "vc+sd-jwt"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"iss": "https://issuer.example.com", "iat": json.Number("1683000000"), "exp": json.Number("1883000000"),
		"vct":        "https://bmi.bund.example/credential/pid/1.0",
		"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1963-08-12", "source_document_type": "id_card",
		"address":       map[string]any{"street_address": "Heidestraße 17", "locality": "Köln", "postal_code": "51147", "country": "DE"},
		"nationalities": []any{"DE"}, "gender": "female", "birth_family_name": "Gabler",
		"place_of_birth":    map[string]any{"locality": "Berlin", "country": "DE"},
		"also_known_as":     "Schwester Agnes",
		"age_equal_or_over": map[string]any{"12": true, "14": true, "16": true, "18": true, "21": true, "65": false},
		"cnf":               rfcAllClaims["cnf"],
	}
	if diff := cmp.Diff(want, r.Claims); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	if len(r.Disclosed) != 21 {
		t.Errorf("%d disclosures, want 21", len(r.Disclosed))
	}
	// The profile check refuses it: its typ is the draft's older
	// vc+sd-jwt and it has none of Zhengzhao's always-visible claims.
	if _, err := VerifyCredential(context.Background(), readExample(t, "vc-issued.txt"), VerifyOptions{Key: rfcKey(t), Now: at(1683000001)}); err == nil {
		t.Error("VerifyCredential accepted a vc+sd-jwt without license claims")
	}
}
