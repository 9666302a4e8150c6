package zhengzhao

import (
	"context"
	"time"
)

// Store keeps the library's state. Implementations (sqlite.Store,
// postgres.Store) hold no rules: the rules are in package library, which
// reads and writes through transactions. Every Store passes the storetest
// conformance suite.
type Store interface {
	// Update runs fn in a read-write transaction and commits it. A store may
	// commit several concurrent Update calls in one database transaction
	// (group commit); each fn then runs in its own savepoint, so an error
	// from fn undoes only fn's own changes. Update returns fn's error, or the
	// commit's; when it returns nil the changes are durable.
	// fn may run more than once only if it has not been acknowledged; it must
	// not have effects outside the transaction, and it must not call Update
	// (that deadlocks). A panic in fn panics again, with the same value, in
	// the caller's goroutine; the calls committed with it are unaffected.
	// When Update returns an error that errors.Is ctx.Err(), nothing of fn
	// was committed; once fn has returned nil, the caller gets the commit's
	// result, never ctx.Err() for changes that were saved. A Tx stays usable
	// after one of its methods returns an error.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(ReadTx) error) error
	// Close releases the store's resources after pending commits finish.
	Close() error
}

// LicenseStatus is what online verification needs of a stored license.
type LicenseStatus struct {
	// License holds the identity and lifecycle fields only.
	License *License
	// UnderObjection reports an open objection to any version.
	UnderObjection bool
}

// Peeker is implemented by stores whose reads cost a round trip each to a
// database server (PostgreSQL). Peek runs fn's reads outside any
// transaction: each statement sees the latest committed state on its own,
// and statements do not share a snapshot, so fn must need only one
// statement's consistency. It saves the BEGIN and the end of a transaction
// on hot paths such as verification. fn may run again if the connection is
// lost; it must only read.
type Peeker interface {
	Peek(ctx context.Context, fn func(ReadTx) error) error
}

// A SoloUpdater runs a write transaction of its own beside the group
// commit, where the database runs transactions concurrently (PostgreSQL).
// UpdateAlone is for long maintenance work whose rows the short writes do
// not touch — integrating the audit log into its Merkle tree — so that it
// does not hold up the writes committed together in Update. It has
// Update's guarantees, except that fn may run again after a lost
// connection.
type SoloUpdater interface {
	UpdateAlone(ctx context.Context, fn func(Tx) error) error
}

// Pinger is implemented by stores that can report whether the database is
// reachable (readiness).
type Pinger interface {
	Ping(ctx context.Context) error
}

// ReadTx reads the library's state. Find…ByX methods return ENOTFOUND when
// nothing matches. List methods return the page of items, the total number
// of matches, and the cursor of the next page ("" on the last page).
type ReadTx interface {
	// Now returns the transaction's timestamp (UTC, microsecond precision),
	// fixed for the transaction's life.
	Now() time.Time

	FindUnitByCode(code string) (*Unit, error)
	FindUnits(f UnitFilter) ([]*Unit, int, string, error)
	// FindUnitKeyByHash returns the unit key whose secret hashes to hash.
	FindUnitKeyByHash(hash []byte) (*UnitKey, error)
	// FindUnitKeys returns a unit's keys, oldest first.
	FindUnitKeys(unit string) ([]*UnitKey, error)
	FindSigningKeyByKID(kid string) (*SigningKey, error)
	// FindSigningKeys returns matching keys, oldest first.
	FindSigningKeys(f SigningKeyFilter) ([]*SigningKey, error)

	FindLicenseTypeByCode(code string) (*LicenseType, error)
	FindLicenseTypes(f LicenseTypeFilter) ([]*LicenseType, int, string, error)

	// FindLicenseByID returns the license with its current lifecycle fields.
	FindLicenseByID(id string) (*License, error)
	// FindLicenseStatus returns the license's ID, Type, Issuer.Code, Serial,
	// Version and lifecycle fields only, without reading the signed
	// document, and whether any version of it is under objection: the hot
	// path of verification, one statement.
	FindLicenseStatus(id string) (*LicenseStatus, error)
	// FindLicenses returns matching licenses in the order they were stored.
	FindLicenses(f LicenseFilter) ([]*License, int, string, error)
	FindIdempotencyRecord(unit, key string) (*IdempotencyRecord, error)
	// FindIdempotencyRecords returns a unit's records with key > afterKey,
	// by key, at most limit of them.
	FindIdempotencyRecords(unit, afterKey string, limit int) ([]*IdempotencyRecord, error)

	// AuditSize returns the number of audit entries.
	AuditSize() (int64, error)
	// AuditEntries returns the entries with index in [start, end), in order.
	AuditEntries(start, end int64) ([]*AuditEntry, error)
	// FindAuditEntries returns matching entries in index order.
	FindAuditEntries(f AuditFilter) ([]*AuditEntry, int, string, error)
	// FindTreeHead returns the integrated tree head (size 0 and a nil root
	// when nothing is integrated). Inside Update it also locks the head
	// until commit, so that one integrator at a time extends the tree even
	// when several servers share the database.
	FindTreeHead() (TreeHead, error)
	// FindTreeNodes returns the hashes of the given nodes in order;
	// ENOTFOUND if any is missing.
	FindTreeNodes(ids []TreeNode) ([][]byte, error)
	// LatestCheckpoint returns the checkpoint with the largest size.
	LatestCheckpoint() (*Checkpoint, error)
	// FindCheckpoints returns the checkpoints with size > afterSize, by
	// size, at most limit of them.
	FindCheckpoints(afterSize int64, limit int) ([]*Checkpoint, error)

	// Feature areas keep their reads in their own files.
	AggregationReadTx
	SupervisionReadTx
	HolderReadTx
	UseReadTx
	CopyReadTx
}

// Tx reads and writes the library's state. Create methods return ECONFLICT
// when the object exists.
type Tx interface {
	ReadTx

	CreateUnit(u *Unit) error
	CreateUnitKey(k *UnitKey) error
	// RevokeUnitKey marks a unit's key revoked at the given time; revoking
	// a revoked key keeps the first time. ENOTFOUND when the unit has no
	// such key.
	RevokeUnitKey(unit, id string, at time.Time) error
	CreateSigningKey(k *SigningKey) error
	// DeactivateSigningKeys marks every key of the unit inactive.
	DeactivateSigningKeys(unit string) error
	CreateLicenseType(t *LicenseType) error
	// CreateLicense stores a signed license. ECONFLICT when the ID, or the
	// same type, issuer, serial and version, exists.
	CreateLicense(l *License) error
	// UpdateLicenseLifecycle stores l's lifecycle fields (status,
	// superseded_by, revoked_at, revocation_reason); the signed content
	// never changes. ENOTFOUND when there is no such license.
	UpdateLicenseLifecycle(l *License) error
	CreateIdempotencyRecord(r *IdempotencyRecord) error

	// AppendAudit appends e to the audit log: it sets e.Index to the next
	// index (no gaps, even with several servers on one database) and e.Time
	// to the stored time: Now() when e.Time is zero, else e.Time in UTC cut
	// to microseconds. Hash an entry only after appending it.
	AppendAudit(e *AuditEntry) error
	// PutTreeNodes stores tree nodes; storing a node again with the same
	// hash is a no-op.
	PutTreeNodes(nodes []TreeNode) error
	// SetTreeHead records the integrated tree head.
	SetTreeHead(h TreeHead) error
	// CreateCheckpoint stores a signed checkpoint; ECONFLICT when one of
	// the same size exists.
	CreateCheckpoint(c *Checkpoint) error

	// Feature areas keep their writes in their own files.
	AggregationTx
	SupervisionTx
	HolderTx
	UseTx
	CopyTx
}

// IdempotencyRecord remembers the license an Idempotency-Key produced, so
// that a retried issue returns it instead of issuing again.
type IdempotencyRecord struct {
	Unit string
	Key  string
	// RequestHash is the SHA-256 of the canonical request body; the same
	// key with another body is a conflict.
	RequestHash []byte
	LicenseID   string
	CreatedAt   time.Time
}
