package sdjwt

import (
	"errors"
	"fmt"

	"github.com/zhengzhao-project/zhengzhao"
)

// Sentinels wrapped by every error of this package, so that callers can tell
// the kind of failure with errors.Is. All of them mean "refuse the token";
// none is worth a retry with the same input.
var (
	// ErrMalformed: the input is not an SD-JWT (or a part of one) at all.
	ErrMalformed = errors.New("malformed sd-jwt")
	// ErrSignature: the issuer-signed JWT's algorithm is refused, its key
	// unknown or its signature wrong.
	ErrSignature = errors.New("issuer signature rejected")
	// ErrDisclosure: a disclosure does not match the signed digests (not
	// referenced, duplicated, wrong shape for its place, or clashing claim).
	ErrDisclosure = errors.New("disclosure rejected")
	// ErrValidity: the token is expired or not yet valid.
	ErrValidity = errors.New("outside validity period")
	// ErrKeyBinding: the key-binding JWT is missing where required, or its
	// signature, typ, nonce, audience, age or sd_hash is wrong.
	ErrKeyBinding = errors.New("key binding rejected")
	// ErrProfile: the token breaks the SD-JWT VC profile (typ, iss, vct,
	// always-visible claims).
	ErrProfile = errors.New("sd-jwt vc profile violated")
)

func fail(kind error, format string, args ...any) error {
	return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: fmt.Sprintf(format, args...), Err: kind}
}

func malformed(format string, args ...any) error { return fail(ErrMalformed, format, args...) }
