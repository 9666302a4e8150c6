package zhengzhao

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Identifier rules of the national e-license conventions (CONTRACT.md).

// LicenseIDRoot is the fixed OID prefix of license IDs (证照标识).
const LicenseIDRoot = "1.2.156.3005.2"

// MaxSerialLength bounds the serial part of a license ID.
const MaxSerialLength = 32

// LicenseID is a parsed license ID:
// 1.2.156.3005.2.{type code}.{issuer code}.{serial}.{version}.{check}.
type LicenseID struct {
	TypeCode   string // 21 characters: definer's credit code + 3 digits
	IssuerCode string // 18 characters: the issuer's credit code
	Serial     string // [0-9A-Z]+, unique per type and issuer
	Version    int    // 1..999
}

// Base returns "{type}.{issuer}.{serial}": what every version shares.
func (id LicenseID) Base() string {
	return id.TypeCode + "." + id.IssuerCode + "." + id.Serial
}

// VersionString returns the 3-digit version.
func (id LicenseID) VersionString() string { return fmt.Sprintf("%03d", id.Version) }

// CheckChar returns the ISO/IEC 7064 MOD 37,36 check character over type
// code, issuer code, serial and version (no root, no dots).
func (id LicenseID) CheckChar() byte {
	return MOD3736(id.TypeCode + id.IssuerCode + id.Serial + id.VersionString())
}

// MOD3736 returns the ISO/IEC 7064 MOD 37,36 check character of s over the
// alphabet 0-9A-Z, or 0 if s holds another character.
func MOD3736(s string) byte {
	c, ok := mod3736(s)
	if !ok {
		return 0
	}
	return c
}

// String returns the full ID with its check character.
func (id LicenseID) String() string {
	return LicenseIDRoot + "." + id.Base() + "." + id.VersionString() + "." + string(id.CheckChar())
}

// ParseLicenseID parses and checks a license ID, including its check
// character. On a wrong check character it returns the parsed ID together
// with an EINVALID error, so that callers handling historical data can keep
// the ID and flag it.
func ParseLicenseID(s string) (LicenseID, error) {
	if !strings.HasPrefix(s, LicenseIDRoot+".") {
		return LicenseID{}, Errorf(EINVALID, "a license ID starts with %s.", LicenseIDRoot)
	}
	parts := strings.Split(s[len(LicenseIDRoot)+1:], ".")
	if len(parts) != 5 {
		return LicenseID{}, Errorf(EINVALID, "a license ID has type, issuer, serial, version and check parts")
	}
	id := LicenseID{TypeCode: parts[0], IssuerCode: parts[1], Serial: parts[2]}
	if len(id.TypeCode) != 21 || !isCodeChars(id.TypeCode) {
		return LicenseID{}, Errorf(EINVALID, "the type code of a license ID has 21 characters")
	}
	if len(id.IssuerCode) != 18 || !isCodeChars(id.IssuerCode) {
		return LicenseID{}, Errorf(EINVALID, "the issuer code of a license ID has 18 characters")
	}
	if err := ValidateSerial(id.Serial); err != nil {
		return LicenseID{}, Errorf(EINVALID, "serial of license ID: %s", ErrorMessage(err))
	}
	if len(parts[3]) != 3 || !isDigits(parts[3]) || parts[3] == "000" {
		return LicenseID{}, Errorf(EINVALID, "the version of a license ID has 3 digits from 001")
	}
	id.Version, _ = strconv.Atoi(parts[3])
	if len(parts[4]) != 1 || !isCodeChars(parts[4]) {
		return LicenseID{}, Errorf(EINVALID, "the check part of a license ID is one character 0-9 or A-Z")
	}
	if want := id.CheckChar(); parts[4][0] != want {
		return id, Errorf(EINVALID, "wrong check character %q in license ID (want %q)", parts[4], string(want))
	}
	return id, nil
}

// ValidateSerial checks the serial part of a license ID.
func ValidateSerial(s string) error {
	if s == "" || len(s) > MaxSerialLength || !isCodeChars(s) {
		return Errorf(EINVALID, "a serial is 1 to %d characters 0-9 or A-Z", MaxSerialLength)
	}
	return nil
}

// mod3736 computes the ISO/IEC 7064 MOD 37,36 (hybrid) check character of
// s over the alphabet 0-9A-Z.
func mod3736(s string) (byte, bool) {
	const m = 36
	p := m
	for i := 0; i < len(s); i++ {
		v := alnumValue(s[i])
		if v < 0 {
			return 0, false
		}
		p = (p + v) % m
		if p == 0 {
			p = m
		}
		p = (p * 2) % (m + 1)
	}
	return alnum[(m+1-p)%m], true
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func alnumValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}

func isCodeChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if alnumValue(s[i]) < 0 {
			return false
		}
	}
	return s != ""
}

// Unified social credit code (统一社会信用代码), GB 32100-2015.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheckChar returns the check character of the first 17 characters of a
// unified social credit code, or false if they hold a character outside the
// code's alphabet (no I, O, S, V, Z).
func USCCCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31], true
}

// ValidateUSCC checks a unified social credit code: 18 characters of its
// alphabet, a 6-digit region code in positions 3-8, and the check character.
func ValidateUSCC(s string) error {
	if len(s) != 18 {
		return Errorf(EINVALID, "a unified social credit code has 18 characters")
	}
	want, ok := USCCCheckChar(s[:17])
	if !ok || strings.IndexByte(usccAlphabet, s[17]) < 0 {
		return Errorf(EINVALID, "a unified social credit code uses only 0-9 and A-Y without I, O, S, V")
	}
	if !isDigits(s[2:8]) {
		return Errorf(EINVALID, "characters 3-8 of a unified social credit code are a region code")
	}
	if s[17] != want {
		return Errorf(EINVALID, "wrong check character %q in unified social credit code (want %q)", s[17:], string(want))
	}
	return nil
}

// Resident identity number (公民身份号码), GB 11643-1999.
var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const residentCheck = "10X98765432"

// ResidentIDCheckChar returns the MOD 11-2 check character of the first 17
// digits of a resident identity number.
func ResidentIDCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 || !isDigits(first17) {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * residentWeights[i]
	}
	return residentCheck[sum%11], true
}

// ValidateResidentID checks an 18-digit resident identity number: a region
// code with a known province, a real birth date not in the future, and the
// MOD 11-2 check character.
func ValidateResidentID(s string) error {
	if len(s) != 18 || !isDigits(s[:17]) || !(isDigits(s[17:]) || s[17] == 'X') {
		return Errorf(EINVALID, "a resident identity number has 17 digits and a check digit or X")
	}
	if err := ValidateRegionCode(s[:6]); err != nil {
		return Errorf(EINVALID, "the first 6 digits of a resident identity number are a region code: %s", ErrorMessage(err))
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < MinPlausibleYear || birth.After(time.Now()) {
		return Errorf(EINVALID, "digits 7-14 of a resident identity number are not a real birth date")
	}
	if want, _ := ResidentIDCheckChar(s[:17]); s[17] != want {
		return Errorf(EINVALID, "wrong check digit %q in resident identity number (want %q)", s[17:], string(want))
	}
	return nil
}

// provinces are the first two digits of the administrative division codes
// (GB/T 2260) of China's provinces, municipalities, autonomous regions and
// special administrative regions.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}

// ValidateRegionCode checks a 6-digit administrative division code
// (GB/T 2260): six digits with a known province prefix.
// TODO(region): check against the full division table, not only provinces.
func ValidateRegionCode(s string) error {
	if len(s) != 6 || !isDigits(s) {
		return Errorf(EINVALID, "a region code has 6 digits")
	}
	if !provinces[s[:2]] {
		return Errorf(EINVALID, "region code %s has no known province prefix %s", s, s[:2])
	}
	return nil
}
