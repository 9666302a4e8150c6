package zhengzhao

import (
	"strings"
	"time"
)

// Proxies (代办, Measures art. 22): a family member or a social worker acts
// for a holder — often an elderly one — under a recorded, revocable
// authorization. Every action of a proxy is logged as such: the audit
// actor is "holder:<id type>:<id>/proxy:<id type>:<id>".

// Relations of a proxy to the holder.
const (
	RelationFamily       = "family"        // a family member (亲属)
	RelationSocialWorker = "social_worker" // a social worker (社工)
	RelationOther        = "other"         // anyone else the holder names
)

// ProxyAuthorization lets Proxy act for Holder until it expires or is
// revoked.
type ProxyAuthorization struct {
	ID         string    `json:"id"`
	Holder     HolderRef `json:"holder"`
	HolderName string    `json:"holder_name"`
	Proxy      HolderRef `json:"proxy"`
	ProxyName  string    `json:"proxy_name"`
	Relation   string    `json:"relation"`
	// Note records the basis, e.g. the paper form's number.
	Note      string     `json:"note,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
}

// ActiveAt reports whether the authorization is in force at t.
func (p *ProxyAuthorization) ActiveAt(t time.Time) bool {
	return p.RevokedAt == nil && (p.ExpiresAt == nil || t.Before(*p.ExpiresAt))
}

// Validate checks a new authorization.
func (p *ProxyAuthorization) Validate() error {
	fe := newFieldErrors()
	if err := ValidateHolderRef(p.Holder); err != nil {
		for _, f := range ErrorFields(err) {
			fe.at("holder").add(f.Field, "%s", f.Message)
		}
	}
	if err := ValidateHolderRef(p.Proxy); err != nil {
		for _, f := range ErrorFields(err) {
			fe.at("proxy").add(f.Field, "%s", f.Message)
		}
	}
	if p.Holder == p.Proxy && !p.Holder.IsZero() {
		fe.add("proxy", "a holder cannot be their own proxy")
	}
	switch p.Relation {
	case RelationFamily, RelationSocialWorker, RelationOther:
	default:
		fe.add("relation", "must be family, social_worker or other")
	}
	if n := len([]rune(strings.TrimSpace(p.ProxyName))); n == 0 || n > 100 {
		fe.add("proxy_name", "1 to 100 characters")
	} else if msg := CheckName(p.ProxyName); msg != "" {
		fe.add("proxy_name", "%s", msg)
	}
	if len([]rune(p.Note)) > 500 {
		fe.add("note", "at most 500 characters")
	} else if msg := CheckText(p.Note); msg != "" {
		fe.add("note", "%s", msg)
	}
	if p.ExpiresAt != nil && !p.ExpiresAt.After(p.CreatedAt) {
		fe.add("expires_at", "must be in the future")
	}
	return Invalid("invalid proxy authorization", fe.errors())
}

// ProxyFilter selects authorizations; zero members match all.
type ProxyFilter struct {
	Holder HolderRef
	Proxy  HolderRef
	// ActiveAt, when set, selects those in force at that time.
	ActiveAt *time.Time
}
