package zhengzhao

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the API: the HTTP layer maps each to one
// status and puts the code in the problem document's "code" member.
// New codes are only ever added at the end.
const (
	EINVALID         = "invalid"         // the request is malformed or breaks a rule; see Fields
	ENOTFOUND        = "not_found"       // the object does not exist or the actor may not know it exists
	ECONFLICT        = "conflict"        // the request clashes with the current state
	EUNAUTHENTICATED = "unauthenticated" // no or a wrong credential
	EFORBIDDEN       = "forbidden"       // authenticated, but not allowed (also: missing consent)
	ETOOLARGE        = "too_large"       // the request body exceeds the limit
	EINTERNAL        = "internal"        // anything else; details only in the server log
	EUNAVAILABLE     = "unavailable"     // the service cannot serve now (e.g. database down); retry later
)

// FieldError names one bad field of a request by its JSON path
// (for example "holder.id" or "fields.capital") and says what is wrong.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one domain error type. Code is machine-readable, Message is
// safe to show to the caller, Op names the operation for operators' logs,
// Err is the wrapped cause (never shown to callers) and Fields lists every
// bad field of a rejected request.
type Error struct {
	Code    string
	Message string
	Op      string
	Err     error
	Fields  []FieldError
}

// Error implements the error interface.
func (e *Error) Error() string {
	var s string
	if e.Op != "" {
		s = e.Op + ": "
	}
	switch {
	case e.Message != "" && e.Err != nil:
		s += e.Message + ": " + e.Err.Error()
	case e.Message != "":
		s += e.Message
	case e.Err != nil:
		s += e.Err.Error()
	default:
		s += e.Code
	}
	return s
}

// Unwrap returns the wrapped cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error listing the bad fields. It returns nil
// when fields is empty, so callers can write `return Invalid(msg, errs)`
// after collecting field errors.
func Invalid(message string, fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: message, Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// EINTERNAL for any other non-nil error, or "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of the first *Error in err's
// chain, or a generic message for errors that are not domain errors (their
// text may hold internal details and belongs in the log only).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Message != "" {
			return e.Message
		}
		if e.Code != "" && e.Code != EINTERNAL {
			return e.Code
		}
	}
	return "internal error"
}

// ErrorFields returns the field errors of the first *Error in err's chain.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// fieldErrors collects FieldErrors under a common JSON path prefix.
type fieldErrors struct {
	prefix string
	list   *[]FieldError
}

func newFieldErrors() fieldErrors {
	return fieldErrors{list: new([]FieldError)}
}

func (f fieldErrors) at(prefix string) fieldErrors {
	return fieldErrors{prefix: joinPath(f.prefix, prefix), list: f.list}
}

func (f fieldErrors) add(field, format string, args ...any) {
	*f.list = append(*f.list, FieldError{Field: joinPath(f.prefix, field), Message: fmt.Sprintf(format, args...)})
}

func (f fieldErrors) addErr(field string, err error) {
	if err != nil {
		f.add(field, "%s", ErrorMessage(err))
	}
}

func (f fieldErrors) errors() []FieldError { return *f.list }

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case b[0] == '[':
		return a + b
	}
	return a + "." + b
}
