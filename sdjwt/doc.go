// Package sdjwt implements Selective Disclosure for JWTs (SD-JWT, RFC 9901)
// and the SD-JWT VC profile (IETF draft-ietf-oauth-sd-jwt-vc) on
// lestrrat-go/jwx/v3, which does the JWS signing and verification.
//
// The package is a pure format: no store, no HTTP, no clock of its own
// (callers pass Now). An issuer marks the claims that are selectively
// disclosable with SD and calls Issuer.Issue; the holder chooses
// disclosures with SDJWT.Present and binds the presentation to a verifier's
// nonce and audience with SDJWT.Bind; the verifier calls Verify, which
// checks the issuer's signature through a KeyFunc, every disclosure's digest
// (present exactly once, no duplicates, no unreferenced disclosure, nested
// disclosures) and the key-binding JWT.
//
// Only the hash algorithm sha-256 is produced and accepted: it is the
// default of RFC 9901 and the one every SD-JWT VC profile requires.
//
// Errors are zhengzhao.Error values with code invalid wrapping one of the
// sentinels below (test with errors.Is). Their messages name claims and
// digests, never claim values, because the values are personal data.
package sdjwt
