package zhengzhao

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Showing a license (亮证, Measures art. 16): the holder's phone shows a QR
// code of the URL <base>/v/<token>. The display token is a compact binary
// structure, signed by the library's display key (SM2 by default) and
// encoded base64url, small enough for a QR code of version 10 at error
// correction level M (213 bytes in byte mode) together with the URL. It
// binds the license, the holder (through the license and the disclosure),
// an expiry (60 s by default), a random nonce and the face fields the holder
// chose to show. When the license ID or the chosen fields do not fit, the
// token carries a 96-bit digest instead, and the library keeps the
// disclosure under the nonce (docs/architecture.md, "Display tokens").

// Purposes of a presentation.
const (
	PurposeDisplay = "display" // a dynamic QR on the holder's phone
	PurposePrint   = "print"   // the QR printed on a paper copy (art. 22)
)

// Pseudo-fields a holder may choose to show besides the face fields.
const (
	ShowHolderName = "holder.name" // the holder's name
	ShowNumber     = "number"      // the number printed on the license (证照编号)
	ShowValidUntil = "valid_until" // the end of the validity period
)

// Sizes in a display token.
const (
	DisplayTokenVersion   = 1
	DisplayKeyHandleSize  = 4  // the first bytes of the key's SHA-256 key ID
	DisplayNonceSize      = 8  // random; the presentation's identity
	DisplayDigestSize     = 12 // truncated SHA-256 of the license ID or the disclosure
	DisplaySignatureSize  = 64 // r||s (SM2, ES256) or Ed25519
	MaxDisplayFieldValue  = 255
	displayFlagLicense    = 1 << 0 // the license ID is inline
	displayFlagFields     = 1 << 1 // the fields are inline
	displayFixedHeaderLen = 2 + DisplayKeyHandleSize + 4 + DisplayNonceSize
)

// DisplayField is one field shown in a presentation.
type DisplayField struct {
	Key   string `json:"key"`
	Label string `json:"label,omitempty"`
	Value string `json:"value"`
}

// DisplayToken is the signed content of a display QR code.
type DisplayToken struct {
	KeyHandle [DisplayKeyHandleSize]byte
	// Expires is the end of the token's life, to the second.
	Expires time.Time
	Nonce   [DisplayNonceSize]byte
	// LicenseID is set when the license ID is inline; LicenseDigest
	// otherwise (DisplayDigest of the ID).
	LicenseID     string
	LicenseDigest []byte
	// Fields are set (possibly empty) when the chosen fields are inline;
	// DisclosureDigest otherwise (DisplayDigest of the stored disclosure).
	Fields           []DisplayField
	DisclosureDigest []byte
	Signature        []byte
}

// DisplayDigest returns the truncated SHA-256 digest a display token binds
// instead of inline content.
func DisplayDigest(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:DisplayDigestSize]
}

// NonceHex returns the nonce in hex, the presentation's key.
func (t *DisplayToken) NonceHex() string { return fmt.Sprintf("%x", t.Nonce[:]) }

// Payload returns the bytes the signature covers.
func (t *DisplayToken) Payload() ([]byte, error) {
	b := make([]byte, 0, 128)
	var flags byte
	if t.LicenseID != "" {
		flags |= displayFlagLicense
	}
	if t.DisclosureDigest == nil {
		flags |= displayFlagFields
	}
	b = append(b, DisplayTokenVersion, flags)
	b = append(b, t.KeyHandle[:]...)
	exp := t.Expires.Unix()
	if exp < 0 || exp > 1<<32-1 {
		return nil, Errorf(EINVALID, "token expiry out of range")
	}
	b = binary.BigEndian.AppendUint32(b, uint32(exp))
	b = append(b, t.Nonce[:]...)
	if t.LicenseID != "" {
		lic, err := packLicenseID(t.LicenseID)
		if err != nil {
			return nil, err
		}
		b = append(b, lic...)
	} else {
		if len(t.LicenseDigest) != DisplayDigestSize {
			return nil, Errorf(EINVALID, "token has neither a license ID nor its digest")
		}
		b = append(b, t.LicenseDigest...)
	}
	if t.DisclosureDigest == nil {
		if len(t.Fields) > 255 {
			return nil, Errorf(EINVALID, "too many fields")
		}
		b = append(b, byte(len(t.Fields)))
		for _, f := range t.Fields {
			if len(f.Key) == 0 || len(f.Key) > 64 || len(f.Value) > MaxDisplayFieldValue {
				return nil, Errorf(EINVALID, "field %q does not fit a display token", f.Key)
			}
			b = append(b, byte(len(f.Key)))
			b = append(b, f.Key...)
			b = append(b, byte(len(f.Value)))
			b = append(b, f.Value...)
		}
	} else {
		if len(t.DisclosureDigest) != DisplayDigestSize {
			return nil, Errorf(EINVALID, "bad disclosure digest")
		}
		b = append(b, t.DisclosureDigest...)
	}
	return b, nil
}

// Encode returns the token as it appears in the URL: base64url without
// padding of the payload followed by the signature.
func (t *DisplayToken) Encode() (string, error) {
	p, err := t.Payload()
	if err != nil {
		return "", err
	}
	if len(t.Signature) != DisplaySignatureSize {
		return "", Errorf(EINVALID, "token signature must have %d bytes", DisplaySignatureSize)
	}
	return base64.RawURLEncoding.EncodeToString(append(p, t.Signature...)), nil
}

// EncodedDisplayTokenLen returns the length of the encoded token for a
// payload of n bytes.
func EncodedDisplayTokenLen(n int) int {
	return base64.RawURLEncoding.EncodedLen(n + DisplaySignatureSize)
}

// errToken is the one answer to a token that does not parse; why is not
// worth telling a forger.
func errToken(why string) error {
	return &Error{Code: EINVALID, Message: "malformed display token: " + why}
}

// ParseDisplayToken decodes a token. It checks only the structure; the
// signature, the key and the expiry are the verifier's business.
// EINVALID.
func ParseDisplayToken(s string) (*DisplayToken, error) {
	if len(s) > 1024 {
		return nil, errToken("too long")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, errToken("not base64url")
	}
	if len(raw) < displayFixedHeaderLen+DisplaySignatureSize {
		return nil, errToken("too short")
	}
	body, sig := raw[:len(raw)-DisplaySignatureSize], raw[len(raw)-DisplaySignatureSize:]
	if body[0] != DisplayTokenVersion {
		return nil, errToken("unknown version")
	}
	flags := body[1]
	if flags&^(displayFlagLicense|displayFlagFields) != 0 {
		return nil, errToken("unknown flags")
	}
	t := &DisplayToken{Signature: append([]byte(nil), sig...)}
	copy(t.KeyHandle[:], body[2:])
	t.Expires = time.Unix(int64(binary.BigEndian.Uint32(body[2+DisplayKeyHandleSize:])), 0).UTC()
	copy(t.Nonce[:], body[6+DisplayKeyHandleSize:])
	r := body[displayFixedHeaderLen:]
	if flags&displayFlagLicense != 0 {
		id, n, err := unpackLicenseID(r)
		if err != nil {
			return nil, err
		}
		t.LicenseID, r = id, r[n:]
	} else {
		if len(r) < DisplayDigestSize {
			return nil, errToken("truncated license digest")
		}
		t.LicenseDigest, r = append([]byte(nil), r[:DisplayDigestSize]...), r[DisplayDigestSize:]
	}
	if flags&displayFlagFields != 0 {
		if len(r) < 1 {
			return nil, errToken("truncated fields")
		}
		n := int(r[0])
		r = r[1:]
		t.Fields = make([]DisplayField, 0, n)
		for range n {
			var k, v string
			if k, r, err = lenString(r); err != nil || k == "" {
				return nil, errToken("bad field")
			}
			if v, r, err = lenString(r); err != nil {
				return nil, errToken("bad field")
			}
			t.Fields = append(t.Fields, DisplayField{Key: k, Value: v})
		}
	} else {
		if len(r) < DisplayDigestSize {
			return nil, errToken("truncated disclosure digest")
		}
		t.DisclosureDigest, r = append([]byte(nil), r[:DisplayDigestSize]...), r[DisplayDigestSize:]
	}
	if len(r) != 0 {
		return nil, errToken("trailing bytes")
	}
	return t, nil
}

func lenString(b []byte) (string, []byte, error) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", nil, errToken("truncated")
	}
	s := string(b[1 : 1+int(b[0])])
	if !utf8.ValidString(s) {
		return "", nil, errToken("not UTF-8")
	}
	return s, b[1+int(b[0]):], nil
}

// packLicenseID packs a license ID without its fixed root and check
// character: the 36-character alphabet of type code, issuer code, serial
// and version read as one base-36 number, after a byte with the number of
// characters and a byte with the number's length. A typical ID of 74
// characters packs into 38 bytes.
func packLicenseID(s string) ([]byte, error) {
	id, err := ParseLicenseID(s)
	if err != nil {
		return nil, err
	}
	digits := id.TypeCode + id.IssuerCode + id.Serial + id.VersionString()
	n, ok := new(big.Int).SetString(strings.ToLower(digits), 36)
	if !ok || len(digits) > 255 {
		return nil, Errorf(EINVALID, "license ID %s cannot be packed", s)
	}
	nb := n.Bytes()
	return append([]byte{byte(len(digits)), byte(len(nb))}, nb...), nil
}

// unpackLicenseID reverses packLicenseID and returns the ID and the bytes
// read.
func unpackLicenseID(b []byte) (string, int, error) {
	if len(b) < 2 || len(b) < 2+int(b[1]) {
		return "", 0, errToken("truncated license ID")
	}
	chars, size := int(b[0]), int(b[1])
	const fixed = 21 + 18 + 3
	if chars <= fixed || chars > fixed+MaxSerialLength {
		return "", 0, errToken("bad license ID length")
	}
	digits := strings.ToUpper(new(big.Int).SetBytes(b[2 : 2+size]).Text(36))
	if len(digits) > chars {
		return "", 0, errToken("bad license ID")
	}
	digits = strings.Repeat("0", chars-len(digits)) + digits
	v, err := strconv.Atoi(digits[chars-3:])
	if err != nil || v < 1 {
		return "", 0, errToken("bad license version")
	}
	id := LicenseID{TypeCode: digits[:21], IssuerCode: digits[21:39], Serial: digits[39 : chars-3], Version: v}
	s := id.String()
	if _, err := ParseLicenseID(s); err != nil {
		return "", 0, errToken("bad license ID")
	}
	// Reject non-minimal encodings, so that one ID has one token form.
	if again, _ := packLicenseID(s); string(again) != string(b[:2+size]) {
		return "", 0, errToken("non-canonical license ID")
	}
	return s, 2 + size, nil
}

// Disclosure is what a presentation shows, kept by the library under the
// token's nonce. Its DisplayDigest is what a token binds when the fields do
// not fit inline. It names the holder, so the digest binds the holder too
// without putting an ID number into a QR code that any camera reads.
type Disclosure struct {
	Nonce   string         `json:"nonce"`
	License string         `json:"license"`
	Holder  HolderRef      `json:"holder"`
	Fields  []DisplayField `json:"fields"`
}

// Encode returns the disclosure's bytes, as stored and digested.
func (d *Disclosure) Encode() []byte {
	fs := make([]DisplayField, len(d.Fields))
	for i, f := range d.Fields {
		fs[i] = DisplayField{Key: f.Key, Value: f.Value} // labels are not bound
	}
	b, _ := json.Marshal(Disclosure{Nonce: d.Nonce, License: d.License, Holder: d.Holder, Fields: fs})
	return b
}

// PresentationRequest asks for a display token.
type PresentationRequest struct {
	// License is the ID of any version of one of the holder's licenses;
	// the token is always for the current version.
	License string `json:"license"`
	// Fields are the keys to show: face-field keys and the pseudo-fields
	// holder.name, number and valid_until. Empty shows none (the verifier
	// still sees the type, issuer and status).
	Fields []string `json:"fields"`
	// TTLSeconds is the token's life; 0 means the library's default.
	TTLSeconds int `json:"ttl_seconds,omitempty"`
	// Purpose is display (default) or print.
	Purpose string `json:"purpose,omitempty"`
}

// Presentation is one showing of a license: the record the library keeps
// under the token's nonce, and the token itself.
type Presentation struct {
	Nonce       string         `json:"nonce"`
	License     string         `json:"license"`
	LicenseBase string         `json:"license_base"`
	Holder      HolderRef      `json:"-"`
	Fields      []DisplayField `json:"fields"`
	Disclosure  []byte         `json:"-"`
	Purpose     string         `json:"purpose"`
	// Actor is who created it (the holder, or a proxy for the holder).
	Actor     string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Token and URL are set when the presentation is created; URL is
	// <base>/v/<token>, what the QR code encodes.
	Token string `json:"token"`
	URL   string `json:"url"`
	// LicenseInline and FieldsInline say what the token carries itself
	// rather than by digest.
	LicenseInline bool `json:"license_inline"`
	FieldsInline  bool `json:"fields_inline"`
}

// PresentationChecks are the individual checks of a display token.
type PresentationChecks struct {
	// Signature: the token is signed by the key its handle names.
	Signature bool `json:"signature"`
	// KeyTrusted: that key is a display key certified by the library CA.
	KeyTrusted bool `json:"key_trusted"`
	// NotExpired: the token's life has not ended.
	NotExpired bool `json:"not_expired"`
	// OnRecord: the library holds the presentation and it matches the
	// token's license and disclosure (online only).
	OnRecord bool `json:"on_record"`
	// LicenseValid: the license is current and in force now (online only).
	LicenseValid bool `json:"license_valid"`
}

// PresentationResult is the verdict on a display token. A refused token is
// a result with reasons, never an error.
type PresentationResult struct {
	Valid   bool               `json:"valid"`
	Checks  PresentationChecks `json:"checks"`
	Reasons []string           `json:"reasons"`
	// Status is the license's current status (valid, expired, revoked,
	// superseded), or unknown.
	Status    string         `json:"status"`
	License   string         `json:"license,omitempty"`
	TypeName  string         `json:"type_name,omitempty"`
	Issuer    *Party         `json:"issuer,omitempty"`
	Number    string         `json:"number,omitempty"`
	ValidFrom string         `json:"valid_from,omitempty"`
	ValidTo   *string        `json:"valid_until,omitempty"`
	Fields    []DisplayField `json:"fields"`
	Purpose   string         `json:"purpose,omitempty"`
	// RevokedAt and RevocationReason are set for a revoked license.
	RevokedAt        *time.Time `json:"revoked_at,omitempty"`
	RevocationReason string     `json:"revocation_reason,omitempty"`
	ExpiresAt        time.Time  `json:"expires_at"`
	VerifiedAt       time.Time  `json:"verified_at"`
}

// DisplayKey is a key of the library that signs display tokens, with the
// certificate the library CA issued for it. The private key is stored
// encrypted under the master key.
type DisplayKey struct {
	KID        string    `json:"kid"`
	Alg        string    `json:"alg"`
	CertPEM    string    `json:"cert"`
	PrivateKey []byte    `json:"-"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	CreatedAt  time.Time `json:"created_at"`
}
