// Package auditlog holds the pure maths of Zhengzhao's tamper-evident audit
// log (Measures art. 26): the canonical leaf encoding of an audit entry, the
// RFC 6962 Merkle tree over the entries, inclusion and consistency proofs,
// C2SP signed-note checkpoints and Check, the auditor's fsck.
//
// The package does no I/O of its own beyond reading and writing a key file.
// Stores keep the entries, the tree nodes of the integrated prefix and the
// tree head; the integrator in package library extends the tree with Tree
// and signs checkpoints with SignCheckpoint; servers build proofs from
// stored nodes with InclusionProof and ConsistencyProof. Hashing and proof
// logic come from github.com/transparency-dev/merkle and signed notes from
// golang.org/x/mod/sumdb/note, so that any RFC 6962 or C2SP verifier can
// check what this package produces.
package auditlog
