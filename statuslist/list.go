package statuslist

import (
	"bytes"
	"fmt"
	"io"

	"github.com/zhengzhao-project/zhengzhao"
)

// Status values of the IETF Token Status List (draft section 7.1) used by
// Zhengzhao.
const (
	Valid     uint8 = 0x00 // VALID
	Invalid   uint8 = 0x01 // INVALID: revoked (注销) or otherwise cancelled
	Suspended uint8 = 0x02 // SUSPENDED: temporarily invalid; not used by Zhengzhao licenses
	// UnderObjection (异议中) is application-specific (0x03): the license is
	// valid and an objection to it is open with its issuer.
	UnderObjection uint8 = 0x03
)

// StatusOf returns the IETF status value of a license: revocation wins over
// an open objection.
func StatusOf(revoked, underObjection bool) uint8 {
	switch {
	case revoked:
		return Invalid
	case underObjection:
		return UnderObjection
	}
	return Valid
}

// Bit orders of the two formats.
type order uint8

const (
	lsbFirst order = iota // IETF: entry 0 in the low bits of byte 0
	msbFirst              // W3C: entry 0 in the high bit of byte 0
)

// MaxEntries bounds the entries of one list (2^27, 128 Mi): decoders refuse
// longer lists, so a small compressed input cannot inflate into an
// arbitrarily large allocation.
const MaxEntries = 1 << 27

// List is a fixed-size array of status entries of Bits bits each, packed in
// the byte layout of its format.
type List struct {
	bits  int
	order order
	n     int
	data  []byte
}

func validBits(bits int) bool { return bits == 1 || bits == 2 || bits == 4 || bits == 8 }

func newList(n, bits int, o order) (*List, error) {
	if !validBits(bits) {
		return nil, invalid("bits", "must be 1, 2, 4 or 8, not %d", bits)
	}
	if n <= 0 || n > MaxEntries {
		return nil, invalid("size", "must be between 1 and %d entries", MaxEntries)
	}
	return &List{bits: bits, order: o, n: n, data: make([]byte, (n*bits+7)/8)}, nil
}

// Len returns the number of entries.
func (l *List) Len() int { return l.n }

// Bits returns the size of an entry in bits.
func (l *List) Bits() int { return l.bits }

// Bytes returns the packed, uncompressed byte array (shared, not copied).
func (l *List) Bytes() []byte { return l.data }

func (l *List) pos(i int) (byteIdx int, shift uint) {
	bit := i * l.bits
	byteIdx = bit / 8
	if l.order == lsbFirst {
		return byteIdx, uint(bit % 8)
	}
	// MSB-first: entry i covers the bits from the byte's top down; its
	// value's most significant bit comes first.
	return byteIdx, uint(8 - bit%8 - l.bits)
}

// Get returns entry i.
func (l *List) Get(i int) (uint8, error) {
	if i < 0 || i >= l.n {
		return 0, invalid("idx", "index %d outside the list of %d entries", i, l.n)
	}
	b, s := l.pos(i)
	return (l.data[b] >> s) & (1<<l.bits - 1), nil
}

// Set sets entry i to v, which must fit in Bits bits.
func (l *List) Set(i int, v uint8) error {
	if i < 0 || i >= l.n {
		return invalid("idx", "index %d outside the list of %d entries", i, l.n)
	}
	mask := uint8(1<<l.bits - 1)
	if v > mask {
		return invalid("status", "value %d does not fit in %d bits", v, l.bits)
	}
	b, s := l.pos(i)
	l.data[b] = l.data[b]&^(mask<<s) | v<<s
	return nil
}

// invalid returns an EINVALID error naming the bad field.
func invalid(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "status list " + field + ": " + msg,
		Fields: []zhengzhao.FieldError{{Field: field, Message: msg}}}
}

// deflate compresses data through the writer that newWriter wraps around
// a buffer: zlib for the IETF token list, gzip for the W3C bitstring.
func deflate(data []byte, newWriter func(io.Writer) (io.WriteCloser, error)) ([]byte, error) {
	var buf bytes.Buffer
	w, err := newWriter(&buf)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inflate reads a decompressor to the end, refusing more than max bytes.
func inflate(r io.ReadCloser, max int) ([]byte, error) {
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("corrupt compressed data")
	}
	if len(data) > max {
		return nil, fmt.Errorf("longer than %d bytes uncompressed", max)
	}
	return data, nil
}
