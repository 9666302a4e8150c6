package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

func newVerifyCommand() *cobra.Command {
	var keys, token string
	cmd := &cobra.Command{
		Use:   "verify (LICENSE.json | --token TOKEN) --keys KEYS.pem",
		Short: "Verify a license document offline, with no server",
		Long: `Verify checks a license document without contacting a server: the
signature over its canonical JSON (RFC 8785), that the signing certificate
chains to a trusted CA in KEYS.pem (as served by GET /v1/keys?format=pem)
and belongs to the document's issuer, and that today lies in its validity
period. Whether it has been revoked or superseded since can only be checked
online (POST /v1/verify). With --token it checks a display token (the QR
code of a shown license, or its URL) instead: its signature by a display
key certified by the CA, and its expiry. Exit status: 0 valid, 1 invalid,
2 error.`,
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
