package zhengzhao

// Audit actions of a restore that lost acknowledged changes.
const (
	// ActionRestoreAcceptLoss records that the operator accepted that a
	// restored library lacks entries of a published checkpoint; Details
	// name the published and restored sizes and how many changes were lost.
	ActionRestoreAcceptLoss = "restore.accept_loss"
	// ActionLicenseLost records a stand-in for a license version issued
	// before a restore and lost by it: the library keeps its ID and
	// signature value, revoked, so that the document verifies as revoked
	// online and its idempotency key cannot issue again.
	ActionLicenseLost = "license.lost"
)

// ReasonLostInRestore is the revocation reason of a license lost in a
// restore, and of a revocation that the restore lost and accept-loss
// applied again.
const ReasonLostInRestore = "lost in restore"

// LostChange is a license change that a published checkpoint covers and
// a restored library lacks, as the published ledger recorded it.
type LostChange struct {
	// Index is the audit entry's index in the published log.
	Index int64 `json:"index"`
	// Action is ActionLicenseIssue, ActionLicenseImport,
	// ActionLicenseUpdate or ActionLicenseRevoke.
	Action string `json:"action"`
	// License is the license version's ID.
	License string `json:"license"`
	// Unit is the issuing unit's code.
	Unit string `json:"unit,omitempty"`
	// IdempotencyKey is the key the issue was requested with, if any.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Proof is the signature of the lost version (alg, kid, value; no
	// certificate), so that the stand-in is recognised as that document.
	Proof *Proof `json:"proof,omitempty"`
}
