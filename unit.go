package zhengzhao

import (
	"slices"
	"time"
)

// Role is what a unit may do in the library.
type Role string

// Unit roles (Measures art. 3).
const (
	RoleIssuer Role = "issuer" // 发证单位: issues, updates and revokes licenses
	RoleUser   Role = "user"   // 用证单位: a public office that uses licenses
	RoleSocial Role = "social" // 社会化用证主体: a bank, hospital … using licenses with the holder's consent
)

// Signature algorithms, named as in a license's proof.
const (
	AlgSM2SM3 = "SM2-SM3" // GB/T 32918 SM2 with SM3 digest; the default
	AlgES256  = "ES256"   // ECDSA P-256 with SHA-256
	AlgEdDSA  = "EdDSA"   // Ed25519
)

// Unit is a public body or organisation connected to the library, identified
// by its unified social credit code (统一社会信用代码).
type Unit struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Roles  []Role `json:"roles"`
	Region string `json:"region"`
	// SigningAlg is the algorithm of the unit's signing key; issuers only.
	SigningAlg string    `json:"signing_alg,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// HasRole reports whether u has role r.
func (u *Unit) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// Validate checks a unit as submitted for creation and fills defaults.
func (u *Unit) Validate() error {
	fe := newFieldErrors()
	fe.addErr("code", ValidateUSCC(u.Code))
	if u.Name == "" {
		fe.add("name", "required")
	} else if len([]rune(u.Name)) > 200 {
		fe.add("name", "at most 200 characters")
	} else if msg := CheckName(u.Name); msg != "" {
		fe.add("name", "%s", msg)
	}
	if len(u.Roles) == 0 {
		fe.add("roles", "at least one role is required")
	}
	seen := map[Role]bool{}
	for i, r := range u.Roles {
		switch r {
		case RoleIssuer, RoleUser, RoleSocial, RoleDistrict:
		default:
			fe.add("roles["+itoa(i)+"]", "must be one of issuer, user, social, district")
		}
		if seen[r] {
			fe.add("roles["+itoa(i)+"]", "duplicate role")
		}
		seen[r] = true
	}
	fe.addErr("region", ValidateRegionCode(u.Region))
	switch u.SigningAlg {
	case "":
		if u.HasRole(RoleIssuer) {
			u.SigningAlg = AlgSM2SM3
		}
	case AlgSM2SM3, AlgES256, AlgEdDSA:
		if !u.HasRole(RoleIssuer) {
			fe.add("signing_alg", "only issuing units sign licenses")
		}
	default:
		fe.add("signing_alg", "must be one of SM2-SM3, ES256, EdDSA")
	}
	return Invalid("invalid unit", fe.errors())
}

// UnitFilter selects units.
type UnitFilter struct {
	Code *string
	Role *Role
	Page
}

// UnitKey is an API key of a unit. The secret is shown once at creation;
// only its SHA-256 hash is stored.
type UnitKey struct {
	ID        string     `json:"id"`
	Unit      string     `json:"unit"`
	Hash      []byte     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// SigningKey is a unit's license-signing key with the certificate the
// library's CA issued for it. The private key is stored encrypted under the
// library's master key and never leaves the library.
type SigningKey struct {
	KID  string `json:"kid"`
	Unit string `json:"unit"`
	Alg  string `json:"alg"`
	// CertPEM is the X.509 certificate of the key, issued by the library CA.
	CertPEM string `json:"cert"`
	// PrivateKey is the encrypted PKCS#8 private key.
	PrivateKey []byte    `json:"-"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	CreatedAt  time.Time `json:"created_at"`
	// Active is true for the key the unit signs new licenses with.
	Active bool `json:"active"`
}

// SigningKeyFilter selects signing keys.
type SigningKeyFilter struct {
	Unit       *string
	ActiveOnly bool
}

// Page asks for one page of a list: at most Limit items after Cursor, an
// opaque value returned by the previous page.
type Page struct {
	Limit  int
	Cursor string
}

// Default and maximum page sizes of lists.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// Normalize applies the default and maximum limits.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit > MaxPageLimit {
		p.Limit = MaxPageLimit
	}
	return p
}
