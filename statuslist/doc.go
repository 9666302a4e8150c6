// Package statuslist encodes and decodes the two open status list formats
// of issue 16, without store or HTTP:
//
//   - the IETF Token Status List (draft-ietf-oauth-status-list): a JWT of
//     typ statuslist+jwt whose status_list.lst is the ZLIB-compressed byte
//     array, entries of 1, 2, 4 or 8 bits packed from the least significant
//     bit of each byte;
//   - the W3C Bitstring Status List v1.0: a GZIP-compressed bitstring,
//     entries packed from the most significant bit, encoded as a multibase
//     base64url string with the "u" prefix, at least 16 KiB uncompressed.
//
// A Zhengzhao license gets 2 bits in the IETF list: Valid (0x00), Invalid
// (0x01, revoked) and UnderObjection (0x03). 0x02 is SUSPENDED in the
// draft ("temporarily invalid"), which is not what an objection means: a
// license under objection stays valid until it is corrected. The draft
// reserves 0x03 for application-specific use, so UnderObjection takes it;
// a verifier that does not know it sees a non-zero, application-specific
// status and must look up its meaning (docs/interop.md gives it).
//
// Indexes are handed out by Allocator in uniformly random order among the
// free slots of a list, so that an index tells nothing about when a
// license was issued relative to others.
package statuslist
