package zhengzhao

import "time"

// Audit actions. Every change and every read of a license by a unit is
// written to the audit log in the same transaction as the change itself
// (Measures art. 26).
const (
	ActionUnitCreate        = "unit.create"
	ActionUnitKeyCreate     = "unit.key.create"
	ActionUnitKeyRevoke     = "unit.key.revoke"
	ActionSigningKeyRotate  = "signing_key.rotate"
	ActionSigningKeyCreate  = "signing_key.create"
	ActionLicenseTypeCreate = "license_type.create"
	ActionLicenseIssue      = "license.issue"
	ActionLicenseUpdate     = "license.update"
	ActionLicenseRevoke     = "license.revoke"
	ActionLicenseRead       = "license.read"
)

// AuditEntry is one leaf of the audit log. Entries are numbered from 0
// without gaps; the Merkle tree over them (RFC 6962) is what checkpoints
// sign. Every member is part of the leaf, so a changed entry no longer
// matches the tree.
type AuditEntry struct {
	// Index is the entry's position in the log, assigned by the store.
	Index int64 `json:"index"`
	// Time is when the change committed, truncated to microseconds.
	Time time.Time `json:"time"`
	// Actor is who acted, as returned by Actor.ID.
	Actor string `json:"actor"`
	// Action is one of the Action constants.
	Action string `json:"action"`
	// License is the license ID the entry is about, if any.
	License string `json:"license,omitempty"`
	// LicenseBase is the version-independent part of License, so that one
	// query returns the entries of every version of a license.
	LicenseBase string `json:"license_base,omitempty"`
	// Subject is another object the entry is about: a unit code, a type
	// code, a key ID.
	Subject string `json:"subject,omitempty"`
	// Details holds further facts (reason, digest of the signed document, …).
	Details map[string]string `json:"details,omitempty"`
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	// LicenseBase selects the entries of every version of one license.
	LicenseBase *string
	Actor       *string
	Page
}

// TreeHead is the state of the audit log's Merkle tree: how many entries
// are integrated into the stored tree nodes and the tree's root hash at
// that size.
type TreeHead struct {
	Size int64  `json:"size"`
	Root []byte `json:"root"`
}

// TreeNode is one stored node of the audit log's Merkle tree: the hash of
// the perfect subtree at Level whose leftmost leaf is Index<<Level.
type TreeNode struct {
	Level uint8
	Index int64
	Hash  []byte
}

// Checkpoint is a signed statement of the audit log's size and root hash,
// in the C2SP signed-note format (tlog-checkpoint).
type Checkpoint struct {
	Origin string    `json:"origin"`
	Size   int64     `json:"size"`
	Root   []byte    `json:"root_hash"`
	Note   string    `json:"note"`
	Time   time.Time `json:"time"`
}

// InclusionProof proves that an entry is the leaf at Index of the tree of
// Size leaves.
type InclusionProof struct {
	Index    int64    `json:"index"`
	Size     int64    `json:"size"`
	LeafHash []byte   `json:"leaf_hash"`
	Hashes   [][]byte `json:"hashes"`
	Root     []byte   `json:"root_hash"`
}

// ConsistencyProof proves that the tree of Size2 leaves extends the tree of
// Size1 leaves.
type ConsistencyProof struct {
	Size1  int64    `json:"size1"`
	Size2  int64    `json:"size2"`
	Hashes [][]byte `json:"hashes"`
}
