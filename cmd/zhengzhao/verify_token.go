package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// verifyTokenOffline prints the offline checks of a display token (the
// token of a QR code, or its whole URL) and reports whether all passed:
// its structure, the signature by a display key whose certificate in the
// trust bundle chains to the library CA, and its expiry. Whether the
// presentation is on record and the license still valid can only be
// checked online (POST /v1/presentations/verify, or open the URL).
func verifyTokenOffline(w io.Writer, ts *sign.TrustStore, token string, now time.Time) bool {
	if i := strings.LastIndex(token, "/v/"); i >= 0 {
		token = token[i+len("/v/"):]
	}
	tok, err := zhengzhao.ParseDisplayToken(strings.TrimSpace(token))
	if err != nil {
		fmt.Fprintln(w, "result: INVALID")
		fmt.Fprintln(w, "  -", zhengzhao.ErrorMessage(err))
		return false
	}
	chk := ts.VerifyDisplayToken(tok, now)
	notExpired := !now.After(tok.Expires)
	mark := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "FAILED"
	}
	if tok.LicenseID != "" {
		fmt.Fprintf(w, "license:   %s\n", tok.LicenseID)
	} else {
		fmt.Fprintf(w, "license:   by digest %s (the library holds the ID)\n", hex.EncodeToString(tok.LicenseDigest))
	}
	if tok.DisclosureDigest == nil {
		for _, f := range tok.Fields {
			fmt.Fprintf(w, "shown:     %s = %s\n", f.Key, f.Value)
		}
	} else {
		fmt.Fprintf(w, "shown:     by digest %s (the library holds the fields)\n", hex.EncodeToString(tok.DisclosureDigest))
	}
	fmt.Fprintf(w, "signature: %s (%s, display key %s)\n", mark(chk.Signature), chk.Alg, chk.KID)
	fmt.Fprintf(w, "display key certified by the CA: %s\n", mark(chk.KeyTrusted))
	fmt.Fprintf(w, "expires:   %s: %s\n", tok.Expires.Format(time.RFC3339), mark(notExpired))
	fmt.Fprintln(w, "record and license status: not checked offline; open the URL or use POST /v1/presentations/verify")
	reasons := chk.Reasons
	if chk.Signature && !notExpired {
		reasons = append(reasons, "the token has expired")
	}
	ok := chk.Signature && chk.KeyTrusted && notExpired
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
