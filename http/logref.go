package http

import (
	"crypto/rand"
	"strings"
)

// logPath is a request path as logs may show it: the display token of a
// verifier page (/v/{token}: anyone holding it sees the holder's shown
// fields) is replaced by "[token]". Other paths carry license, job and
// unit identifiers, never an ID number, a name or a credential; tokens
// in query strings are not logged at all (only the path is).
func logPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "/v/"); ok && rest != "" {
		return "/v/[token]"
	}
	return p
}

func logKeyOrRandom(k []byte) []byte {
	if len(k) > 0 {
		return k
	}
	k = make([]byte, 32)
	_, _ = rand.Read(k) // never fails (crypto/rand)
	return k
}
