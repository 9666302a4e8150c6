package zhengzhao

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Text rules shared by every entry point (HTTP, import, CLI): the domain
// types' Validate methods call them, so a name or a text field that one
// door refuses, every door refuses. Their messages name what is wrong and
// where, never the value.

// CheckName returns "" for a name fit to print on a license (a person's,
// an organisation's, a unit's, a matter's), or why it is not: invalid
// UTF-8, a control character (NUL, newline, tab...), a bidirectional
// control (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C: they make
// a name display as another), or U+FFFD, the mark of text decoded in the
// wrong encoding.
func CheckName(s string) string {
	return checkText(s, false)
}

// CheckText is CheckName for free text (a face field, a purpose): line
// breaks and tabs are allowed there.
func CheckText(s string) string {
	return checkText(s, true)
}

func checkText(s string, multiline bool) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Sprintf("is not valid UTF-8 (byte %d)", i)
			}
			return fmt.Sprintf("holds U+FFFD, the mark of text decoded in the wrong encoding (byte %d)", i)
		case multiline && (r == '\n' || r == '\r' || r == '\t'):
		case unicode.Is(unicode.Cc, r):
			return fmt.Sprintf("holds control character U+%04X (byte %d)", r, i)
		case isBidiControl(r):
			return fmt.Sprintf("holds bidirectional control U+%04X (byte %d)", r, i)
		}
	}
	return ""
}

func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// Plausible dates on a license: from MinPlausibleYear to MaxPlausibleYear.
// Year 1 or 2999 is a typing or conversion error, never a license.
const (
	MinPlausibleYear = 1900
	MaxPlausibleYear = 2199
)

// CheckDate returns "" for a date YYYY-MM-DD within the plausible years,
// or why it is not one.
func CheckDate(s string) string {
	t, err := ParseDate(s)
	if err != nil {
		return "must be a date YYYY-MM-DD"
	}
	if y := t.Year(); y < MinPlausibleYear || y > MaxPlausibleYear {
		return fmt.Sprintf("must lie between %d and %d", MinPlausibleYear, MaxPlausibleYear)
	}
	return ""
}

// ResidentBirthDate returns the birth date that a valid resident identity
// number carries (digits 7-14).
func ResidentBirthDate(id string) (time.Time, bool) {
	if ValidateResidentID(id) != nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102", id[6:14])
	return t, err == nil
}
