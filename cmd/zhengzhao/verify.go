package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

func newVerifyCommand() *cobra.Command {
	var keys, token string
	cmd := &cobra.Command{
		Use:   "verify (LICENSE.json | RECEIPT-OR-DISCLOSURE.json | --token TOKEN) --keys KEYS.pem",
		Short: "Verify a license document offline, with no server",
		Long: `Verify checks a license document without contacting a server: the
signature over its canonical JSON (RFC 8785), that the signing certificate
chains to a trusted CA in KEYS.pem (as served by GET /v1/keys?format=pem)
and belongs to the document's issuer, and that today lies in its validity
period. Whether it has been revoked or superseded since can only be checked
online (POST /v1/verify). With --token it checks a display token (the QR
code of a shown license, or its URL) instead: its signature by a display
key certified by the CA, and its expiry.

The same command checks the documents the library signs itself, told apart
by their "type": a consent receipt (zhengzhao.consent-receipt.v1), a
disclosure under a consent grant (zhengzhao.grant-disclosure.v1) or under a
government scenario (zhengzhao.scenario-disclosure.v1): the library's
signature over exactly the fields and values it lists, by the display key
certified by the CA in KEYS.pem. Exit status: 0 valid, 1 invalid, 2 error.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if token != "" {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if keys == "" {
				return fmt.Errorf("--keys is required: a PEM bundle of trusted certificates")
			}
			bundle, err := os.ReadFile(keys)
			if err != nil {
				return err
			}
			ts, err := sign.ParseTrustBundle(bundle)
			if err != nil {
				return fmt.Errorf("keys %s: %w", keys, err)
			}
			if token != "" {
				if verifyTokenOffline(cmd.OutOrStdout(), ts, token, time.Now()) {
					return nil
				}
				return exitError{1}
			}
			doc, err := readInput(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			if ok, isLib := verifyLibraryOffline(cmd.OutOrStdout(), ts, doc); isLib {
				if ok {
					return nil
				}
				return exitError{1}
			}
			if verifyOffline(cmd.OutOrStdout(), ts, doc, time.Now()) {
				return nil
			}
			return exitError{1}
		},
	}
	cmd.Flags().StringVar(&keys, "keys", "", "PEM bundle of trusted CA and issuer certificates")
	cmd.Flags().StringVar(&token, "token", "", "a display token (or the URL of its QR code) to check instead of a license document")
	return cmd
}

// verifyOffline prints the offline checks of a license document and reports
// whether all passed.
func verifyOffline(w io.Writer, ts *sign.TrustStore, doc []byte, now time.Time) bool {
	chk := ts.VerifyDocument(doc, now)
	var lic zhengzhao.License
	parsed := json.Unmarshal(doc, &lic) == nil
	inPeriod := parsed && lic.InValidityPeriod(now)
	mark := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "FAILED"
	}
	if parsed {
		fmt.Fprintf(w, "license:   %s (%s)\n", lic.ID, lic.TypeName)
		fmt.Fprintf(w, "issuer:    %s %s\n", lic.Issuer.Code, lic.Issuer.Name)
	}
	fmt.Fprintf(w, "signature: %s (%s, key %s)\n", mark(chk.Signature), chk.Alg, chk.KID)
	fmt.Fprintf(w, "issuer certificate trusted: %s\n", mark(chk.IssuerTrusted))
	if parsed {
		fmt.Fprintf(w, "validity period %s: %s\n", validityText(&lic), mark(inPeriod))
	}
	fmt.Fprintln(w, "status (revoked/superseded): not checked offline; use POST /v1/verify")
	reasons := chk.Reasons
	if parsed && !inPeriod {
		reasons = append(reasons, "today is outside the validity period")
	}
	if !parsed {
		reasons = append(reasons, "the document is not a license")
	}
	ok := chk.Signature && chk.IssuerTrusted && inPeriod
	if ok {
		fmt.Fprintln(w, "result: VALID (offline checks)")
	} else {
		fmt.Fprintln(w, "result: INVALID")
		for _, r := range reasons {
			fmt.Fprintln(w, "  -", r)
		}
	}
	return ok
}

// verifyLibraryOffline prints the offline check of a document the library
// signed itself (consent receipt, disclosure) and reports whether it
// passed; isLib is false when doc is not such a document.
func verifyLibraryOffline(w io.Writer, ts *sign.TrustStore, doc []byte) (ok, isLib bool) {
	var head struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(doc, &head) != nil {
		return false, false
	}
	var err error
	switch head.Type {
	case zhengzhao.ConsentReceiptType:
		var r *zhengzhao.ConsentReceipt
		if r, err = library.VerifyConsentReceipt(ts, doc); err == nil {
			fmt.Fprintf(w, "consent receipt: grant %s, unit %s %s, holder %s\n", r.Grant, r.Unit.Code, r.Unit.Name, r.Holder)
			fmt.Fprintf(w, "purpose: %s; valid until %s\n", r.Purpose, r.ValidUntil.Format(time.RFC3339))
		}
	case zhengzhao.GrantDisclosureType:
		var d *zhengzhao.GrantDisclosure
		if d, err = library.VerifyGrantDisclosure(ts, doc); err == nil {
			fmt.Fprintf(w, "grant disclosure: grant %s, unit %s %s, holder %s, disclosed at %s\n", d.Grant, d.Unit.Code, d.Unit.Name,
				d.Holder, d.DisclosedAt.Format(time.RFC3339))
			for _, l := range d.Licenses {
				printDisclosed(w, l)
			}
		}
	case zhengzhao.ScenarioDisclosureType:
		var d *zhengzhao.ScenarioDisclosure
		if d, err = library.VerifyScenarioDisclosure(ts, doc); err == nil {
			fmt.Fprintf(w, "scenario disclosure: scenario %s, unit %s %s, matter %s %s, case %s, disclosed at %s\n", d.Scenario, d.Unit.Code,
				d.Unit.Name, d.Context.MatterCode, d.Context.MatterName, d.Context.CaseNumber, d.DisclosedAt.Format(time.RFC3339))
			printDisclosed(w, d.License)
		}
	default:
		return false, false
	}
	if err != nil {
		fmt.Fprintln(w, "result: INVALID")
		fmt.Fprintln(w, "  -", err)
		return false, true
	}
	fmt.Fprintln(w, "signature by the library: ok")
	fmt.Fprintln(w, "result: VALID (offline checks)")
	return true, true
}

// printDisclosed prints one disclosed license with its fields in key order.
func printDisclosed(w io.Writer, l zhengzhao.DisclosedLicense) {
	fmt.Fprintf(w, "license: %s (%s, version %s, %s)\n", l.ID, l.TypeName, l.Version, l.Status)
	keys := make([]string, 0, len(l.Fields))
	for k := range l.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %v\n", k, l.Fields[k])
	}
}

func validityText(l *zhengzhao.License) string {
	until := "(no end)"
	if l.ValidUntil != nil {
		until = *l.ValidUntil
	}
	return l.ValidFrom + " to " + until
}

// readInput reads a file, or standard input for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}
