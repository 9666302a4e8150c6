package statuslist

import (
	"crypto/rand"
	"errors"
	"io"
	"math/big"
	"math/bits"
)

// ErrFull is returned by Allocator.Next when every index of the list is
// taken: the caller opens a new list.
var ErrFull = errors.New("status list full")

// Allocator hands out the indexes of one status list in uniformly random
// order among the free ones.
//
// Why random and not sequential: a holder (and every verifier the holder
// shows the credential to) sees the index; sequential indexes would tell
// how many licenses the issuer issued before and after this one, and link
// credentials issued together. Why random and not a keyed permutation of a
// counter: a permutation needs a secret that, once leaked, reveals the
// order of every past issuance, and a format-preserving cipher is not
// available from a well-kept Go module here, so it would be hand-rolled.
// Random choice from crypto/rand needs no secret; its cost is that the
// taken set must be kept, which the store has anyway (each license keeps
// its index, and a unique constraint on list and index catches a race).
//
// Next samples an index uniformly and retries while it is taken; after a
// few misses (a full list) it picks the k-th free index for a uniform k, so
// the choice stays uniform over the free slots however full the list is.
// An index is never handed out twice, even after its license is revoked:
// old credentials still point at it.
type Allocator struct {
	n    int
	used []uint64
	free int
	rand io.Reader
}

// NewAllocator returns an allocator for a list of n entries; r is the
// randomness (crypto/rand when nil).
func NewAllocator(n int, r io.Reader) *Allocator {
	if r == nil {
		r = rand.Reader
	}
	return &Allocator{n: n, used: make([]uint64, (n+63)/64), free: n, rand: r}
}

// Free returns the number of free indexes.
func (a *Allocator) Free() int { return a.free }

// Taken reports whether index i is handed out; false outside the list.
func (a *Allocator) Taken(i int) bool {
	return i >= 0 && i < a.n && a.used[i/64]&(1<<(i%64)) != 0
}

// Mark records index i as taken (when loading the list's licenses from the
// store). It refuses an index outside the list or already taken.
func (a *Allocator) Mark(i int) error {
	if i < 0 || i >= a.n {
		return invalid("idx", "index %d outside the list of %d entries", i, a.n)
	}
	if a.Taken(i) {
		return invalid("idx", "index %d already taken", i)
	}
	a.used[i/64] |= 1 << (i % 64)
	a.free--
	return nil
}

func (a *Allocator) uniform(n int) (int, error) {
	v, err := rand.Int(a.rand, big.NewInt(int64(n)))
	if err != nil {
		return 0, err
	}
	return int(v.Int64()), nil
}

// Next returns a free index chosen uniformly at random and marks it taken.
func (a *Allocator) Next() (int, error) {
	if a.free == 0 {
		return 0, ErrFull
	}
	for try := 0; try < 8; try++ {
		i, err := a.uniform(a.n)
		if err != nil {
			return 0, err
		}
		if !a.Taken(i) {
			return i, a.Mark(i)
		}
	}
	k, err := a.uniform(a.free)
	if err != nil {
		return 0, err
	}
	for w, word := range a.used {
		freeBits := ^word
		if last := a.n - w*64; last < 64 {
			freeBits &= 1<<last - 1
		}
		if c := bits.OnesCount64(freeBits); k >= c {
			k -= c
			continue
		}
		for ; ; k-- {
			b := bits.TrailingZeros64(freeBits)
			if k == 0 {
				i := w*64 + b
				return i, a.Mark(i)
			}
			freeBits &^= 1 << b
		}
	}
	return 0, ErrFull // unreachable while free counts match the bitmap
}
