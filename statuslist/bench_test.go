package statuslist

import (
	"compress/gzip"
	"compress/zlib"
	"testing"
)

const benchEntries = 1_000_000

// benchList is a list of a million licenses with 1% revoked (and, in the
// 2-bit token list, 0.1% under objection), spread as the random allocator
// spreads them. The W3C list has one bit per entry (revocation purpose).
func benchList(b *testing.B, bitstring bool) *List {
	var l *List
	var err error
	if bitstring {
		l, err = NewBitstring(benchEntries, 1)
	} else {
		l, err = New(benchEntries, 2)
	}
	if err != nil {
		b.Fatal(err)
	}
	a := NewAllocator(benchEntries, nil)
	for k := 0; k < benchEntries/100; k++ {
		i, err := a.Next()
		if err != nil {
			b.Fatal(err)
		}
		v := Invalid
		if !bitstring && k%10 == 0 {
			v = UnderObjection
		}
		if err := l.Set(i, v); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

func BenchmarkTokenEncode1M(b *testing.B) {
	l := benchList(b, false)
	var n int
	for b.Loop() {
		s, err := l.EncodeToken()
		if err != nil {
			b.Fatal(err)
		}
		n = len(s)
	}
	b.ReportMetric(float64(n), "lst-bytes")
}

// BenchmarkTokenEncode1MDefault is the same list at zlib's default level.
func BenchmarkTokenEncode1MDefault(b *testing.B) {
	l := benchList(b, false)
	var n int
	for b.Loop() {
		s, err := l.EncodeTokenLevel(zlib.DefaultCompression)
		if err != nil {
			b.Fatal(err)
		}
		n = len(s)
	}
	b.ReportMetric(float64(n), "lst-bytes")
}

func BenchmarkTokenDecode1M(b *testing.B) {
	l := benchList(b, false)
	s, err := l.EncodeToken()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := DecodeToken(s, 2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBitstringEncode1M(b *testing.B) {
	l := benchList(b, true)
	var n int
	for b.Loop() {
		s, err := l.EncodeBitstring()
		if err != nil {
			b.Fatal(err)
		}
		n = len(s)
	}
	b.ReportMetric(float64(n), "encoded-bytes")
}

func BenchmarkBitstringEncode1MDefault(b *testing.B) {
	l := benchList(b, true)
	var n int
	for b.Loop() {
		s, err := l.EncodeBitstringLevel(gzip.DefaultCompression)
		if err != nil {
			b.Fatal(err)
		}
		n = len(s)
	}
	b.ReportMetric(float64(n), "encoded-bytes")
}

func BenchmarkBitstringDecode1M(b *testing.B) {
	l := benchList(b, true)
	s, err := l.EncodeBitstring()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := DecodeBitstring(s, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAllocatorNext(b *testing.B) {
	a := NewAllocator(benchEntries, nil)
	for b.Loop() {
		if _, err := a.Next(); err == ErrFull {
			a = NewAllocator(benchEntries, nil)
		}
	}
}
