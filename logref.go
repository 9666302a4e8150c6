package zhengzhao

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// LogRef returns what a log may say of an actor (an Actor.ID()): units,
// the administrator, the system and anonymous callers as they are (their
// IDs are public); a holder, whose actor ID carries an ID number, as
// "holder:" and the first 16 hex digits of HMAC-SHA256 under the library's
// log key. The same holder gets the same reference in every line, so an
// operator can follow one person's requests and, holding the key, check a
// reference against an ID number (LogRef of the actor ID) — but a copied
// log names nobody.
func LogRef(key []byte, actorID string) string {
	if !strings.HasPrefix(actorID, string(ActorHolder)+":") {
		return actorID
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(actorID))
	return string(ActorHolder) + ":" + hex.EncodeToString(m.Sum(nil)[:8])
}
