package statuslist

import (
	"compress/gzip"
	"compress/zlib"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"
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

// BenchmarkPaired… time ten raw ES256 verifications and one list operation
// alternately and report the list operation in ES256 verifications, a
// ratio that holds up on a noisy shared machine.
func pairedES256(b *testing.B, op func() error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.Sum256([]byte("baseline"))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, h[:])
	var base, subj time.Duration
	for b.Loop() {
		t0 := time.Now()
		for range 10 {
			if !ecdsa.VerifyASN1(&key.PublicKey, h[:], sig) {
				b.Fatal("bad signature")
			}
		}
		t1 := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		base, subj = base+t1.Sub(t0)/10, subj+time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(base.Nanoseconds())/n, "es256-verify-ns")
	b.ReportMetric(float64(subj.Nanoseconds())/n, "op-ns")
	b.ReportMetric(float64(subj)/float64(base), "op/es256-verify")
}

func BenchmarkPairedTokenEncode1M(b *testing.B) {
	l := benchList(b, false)
	pairedES256(b, func() error { _, err := l.EncodeToken(); return err })
}

func BenchmarkPairedTokenEncode1MDefault(b *testing.B) {
	l := benchList(b, false)
	pairedES256(b, func() error { _, err := l.EncodeTokenLevel(zlib.DefaultCompression); return err })
}

func BenchmarkPairedTokenDecode1M(b *testing.B) {
	s, err := benchList(b, false).EncodeToken()
	if err != nil {
		b.Fatal(err)
	}
	pairedES256(b, func() error { _, err := DecodeToken(s, 2); return err })
}

func BenchmarkPairedBitstringEncode1M(b *testing.B) {
	l := benchList(b, true)
	pairedES256(b, func() error { _, err := l.EncodeBitstring(); return err })
}

func BenchmarkPairedBitstringEncode1MDefault(b *testing.B) {
	l := benchList(b, true)
	pairedES256(b, func() error { _, err := l.EncodeBitstringLevel(gzip.DefaultCompression); return err })
}

func BenchmarkPairedBitstringDecode1M(b *testing.B) {
	s, err := benchList(b, true).EncodeBitstring()
	if err != nil {
		b.Fatal(err)
	}
	pairedES256(b, func() error { _, err := DecodeBitstring(s, 1); return err })
}
