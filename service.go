package zhengzhao

import "context"

// The services below are what the transport calls. package library
// implements them with the rules; mock implements them for transport tests.
// Each method takes the acting party from the context (ActorFromContext).

// UnitService manages connected units and their API keys.
type UnitService interface {
	// CreateUnit registers a unit (admin only) and, for an issuing unit,
	// creates its signing key. EINVALID, EFORBIDDEN, ECONFLICT.
	CreateUnit(ctx context.Context, u *Unit) error
	// FindUnitByCode returns a unit. ENOTFOUND.
	FindUnitByCode(ctx context.Context, code string) (*Unit, error)
	// FindUnits lists units (admin only).
	FindUnits(ctx context.Context, f UnitFilter) ([]*Unit, int, string, error)
	// CreateUnitKey creates an API key for a unit (admin only) and returns
	// its secret, which is never shown again. ENOTFOUND, EFORBIDDEN.
	CreateUnitKey(ctx context.Context, unit string) (secret string, k *UnitKey, err error)
	// Authenticate returns the unit whose API key secret is given.
	// EUNAUTHENTICATED.
	Authenticate(ctx context.Context, secret string) (*Unit, error)
	// FindUnitKeys lists a unit's API keys, never their secrets (admin
	// only). ENOTFOUND, EFORBIDDEN.
	FindUnitKeys(ctx context.Context, unit string) ([]*UnitKey, error)
	// RevokeUnitKey revokes one of a unit's API keys at once (admin only):
	// a leaked key stops working. ENOTFOUND, EFORBIDDEN.
	RevokeUnitKey(ctx context.Context, unit, id string) (*UnitKey, error)
	// RotateSigningKey gives an issuing unit a new signing key and
	// certificate (admin only); licenses signed with the old key still
	// verify. EINVALID (not an issuer), ENOTFOUND, EFORBIDDEN.
	RotateSigningKey(ctx context.Context, unit string) (*SigningKey, error)
}

// CatalogService manages the catalog of license types (art. 7).
type CatalogService interface {
	// CreateLicenseType adds a type (admin or issuing unit). EINVALID,
	// EFORBIDDEN, ECONFLICT.
	CreateLicenseType(ctx context.Context, t *LicenseType) error
	// FindLicenseTypeByCode returns a type; a non-public type only to the
	// admin and its issuers. ENOTFOUND.
	FindLicenseTypeByCode(ctx context.Context, code string) (*LicenseType, error)
	// FindLicenseTypes lists the catalog: public types for everyone, all
	// types for the admin.
	FindLicenseTypes(ctx context.Context, f LicenseTypeFilter) ([]*LicenseType, int, string, error)
}

// LicenseService issues, reads, updates, revokes and verifies licenses.
type LicenseService interface {
	// IssueLicense issues and signs a license (issuing unit only). When
	// idempotencyKey is not empty, a repeated call with the same key and
	// request returns the first license. EINVALID, EFORBIDDEN, ECONFLICT.
	IssueLicense(ctx context.Context, r *IssueRequest, idempotencyKey string) (*License, error)
	// FindLicenseByID returns a license to its issuer or the admin and
	// audits the read. ENOTFOUND, EFORBIDDEN.
	FindLicenseByID(ctx context.Context, id string) (*License, error)
	// FindLicenses lists licenses: an issuer sees its own, the admin all.
	FindLicenses(ctx context.Context, f LicenseFilter) ([]*License, int, string, error)
	// UpdateLicense issues the next version and supersedes the current one
	// (its issuer only). EINVALID, ENOTFOUND, EFORBIDDEN, ECONFLICT.
	UpdateLicense(ctx context.Context, id string, u *LicenseUpdate) (*License, error)
	// RevokeLicense revokes a license (its issuer only). EINVALID,
	// ENOTFOUND, EFORBIDDEN, ECONFLICT.
	RevokeLicense(ctx context.Context, id, reason string) (*License, error)
	// VerifyLicense checks a license document: signature, issuer, validity
	// period and current status. A bad document is a result, not an error;
	// EINVALID only when doc is not a JSON object.
	VerifyLicense(ctx context.Context, doc []byte) (*VerifyResult, error)
}

// KeyService publishes the library's trust anchors.
type KeyService interface {
	// CACertificatePEM returns the library's CA certificate, PEM-encoded.
	// (SM2 certificates do not parse with crypto/x509, so PEM is the
	// domain's currency for certificates.)
	CACertificatePEM() string
	// FindSigningKeys lists the signing certificates of every issuer.
	FindSigningKeys(ctx context.Context) ([]*SigningKey, error)
}

// AuditService exposes the tamper-evident audit log.
type AuditService interface {
	// LatestCheckpoint returns the newest signed checkpoint. ENOTFOUND when
	// none has been signed yet.
	LatestCheckpoint(ctx context.Context) (*Checkpoint, error)
	// SignCheckpoint integrates every entry into the tree and signs a new
	// checkpoint now (admin only). EFORBIDDEN.
	SignCheckpoint(ctx context.Context) (*Checkpoint, error)
	// FindAuditEntries lists entries (admin only for now). EFORBIDDEN.
	FindAuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, string, error)
	// InclusionProof proves entry index in the tree of size leaves; size must
	// not exceed the integrated tree. EINVALID, ENOTFOUND.
	InclusionProof(ctx context.Context, index, size int64) (*InclusionProof, error)
	// ConsistencyProof proves that the tree of size2 extends that of size1.
	// EINVALID.
	ConsistencyProof(ctx context.Context, size1, size2 int64) (*ConsistencyProof, error)
}
