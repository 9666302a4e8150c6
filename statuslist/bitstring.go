package statuslist

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"time"
)

// MinBitstringBytes is the W3C minimum size of an uncompressed bitstring
// (16 KiB, 131,072 one-bit entries): smaller lists would let a verifier
// narrow down whose status it reads (Bitstring Status List section 6.1).
const MinBitstringBytes = 16 * 1024

// NewBitstring returns a W3C Bitstring Status List of at least n entries of
// size bits each (statusSize; 1 for revocation and suspension). The list is
// grown to the 16 KiB minimum; Len reports its real size.
func NewBitstring(n, size int) (*List, error) {
	if validBits(size) {
		if min := MinBitstringBytes * 8 / size; n < min && n > 0 {
			n = min
		}
	}
	return newList(n, size, msbFirst)
}

// EncodeBitstring returns the encodedList value: "u" (multibase base64url
// without padding) followed by the GZIP-compressed bitstring, at the best
// compression (the smallest download for verifiers).
func (l *List) EncodeBitstring() (string, error) { return l.EncodeBitstringLevel(gzip.BestCompression) }

// EncodeBitstringLevel is EncodeBitstring at a compress/flate level.
func (l *List) EncodeBitstringLevel(level int) (string, error) {
	if l.order != msbFirst {
		return "", fmt.Errorf("statuslist: encode bitstring: list is in token (lsb-first) layout")
	}
	z, err := deflate(l.data, func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, level) })
	if err != nil {
		return "", err
	}
	return "u" + base64.RawURLEncoding.EncodeToString(z), nil
}

// DecodeBitstring decodes an encodedList of size-bit entries. It requires
// the "u" multibase prefix and refuses lists under the 16 KiB minimum.
func DecodeBitstring(encoded string, size int) (*List, error) {
	if !validBits(size) {
		return nil, invalid("statusSize", "must be 1, 2, 4 or 8, not %d", size)
	}
	if len(encoded) == 0 || encoded[0] != 'u' {
		return nil, invalid("encodedList", "must start with the multibase prefix u")
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded[1:])
	if err != nil {
		return nil, invalid("encodedList", "not unpadded base64url")
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, invalid("encodedList", "not gzip data")
	}
	data, err := inflate(zr, MaxEntries*size/8)
	if err != nil {
		return nil, invalid("encodedList", "%s", err)
	}
	if len(data) < MinBitstringBytes {
		return nil, invalid("encodedList", "%d bytes uncompressed, under the %d minimum", len(data), MinBitstringBytes)
	}
	return &List{bits: size, order: msbFirst, n: len(data) * 8 / size, data: data}, nil
}

// Purposes of a W3C status list.
const (
	PurposeRevocation = "revocation"
	PurposeSuspension = "suspension"
)

// BitstringCredential is the unsecured BitstringStatusListCredential of
// the W3C VC 2.0 data model. Securing it (vc+jwt, Data Integrity) is the
// job of the W3C VC export, not of this package.
type BitstringCredential struct {
	Context           []string         `json:"@context"`
	ID                string           `json:"id"`
	Type              []string         `json:"type"`
	Issuer            string           `json:"issuer"`
	ValidFrom         string           `json:"validFrom,omitempty"`
	ValidUntil        string           `json:"validUntil,omitempty"`
	CredentialSubject BitstringSubject `json:"credentialSubject"`
}

// BitstringSubject is the credentialSubject of a BitstringStatusListCredential.
type BitstringSubject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	EncodedList   string `json:"encodedList"`
	// TTL is in milliseconds, as the W3C spec has it.
	TTL int64 `json:"ttl,omitempty"`
}

// BitstringEntry is the credentialStatus of a credential that points into a
// bitstring status list.
type BitstringEntry struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// Credential returns the status list credential of l published at id.
func (l *List) Credential(id, issuer, purpose string, validFrom time.Time, ttl time.Duration) (*BitstringCredential, error) {
	enc, err := l.EncodeBitstring()
	if err != nil {
		return nil, err
	}
	c := &BitstringCredential{
		Context: []string{"https://www.w3.org/ns/credentials/v2"},
		ID:      id,
		Type:    []string{"VerifiableCredential", "BitstringStatusListCredential"},
		Issuer:  issuer,
		CredentialSubject: BitstringSubject{
			ID: id + "#list", Type: "BitstringStatusList", StatusPurpose: purpose,
			EncodedList: enc, TTL: ttl.Milliseconds(),
		},
	}
	if !validFrom.IsZero() {
		c.ValidFrom = validFrom.UTC().Format(time.RFC3339)
	}
	return c, nil
}

// Entry returns the credentialStatus for index i of the list credential id.
func Entry(id, purpose string, i int) BitstringEntry {
	return BitstringEntry{
		ID: fmt.Sprintf("%s#%d", id, i), Type: "BitstringStatusListEntry", StatusPurpose: purpose,
		StatusListIndex: fmt.Sprint(i), StatusListCredential: id,
	}
}
