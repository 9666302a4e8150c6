package sqlstore

import (
	"strconv"
	"strings"
	"sync"
)

// Dialect holds everything that differs between the databases. Queries
// are written once with ? placeholders and the PostgreSQL forms that
// SQLite shares; a Dialect turns them into what its database runs.
type Dialect struct {
	// Name prefixes the Op of every error ("sqlite", "postgres").
	Name string
	// Numbered makes Rebind turn ? into $1, $2, … (PostgreSQL).
	Numbered bool
	// Arg converts an argument to the driver's form, nil for none: SQLite
	// stores times as text and string lists as JSON.
	Arg func(v any) any
	// Dest wraps a scan destination, nil for none, the inverse of Arg.
	Dest func(dest any) any
	// ListHas returns a condition, with one ?, that a string-list column
	// holds the value.
	ListHas func(column string) string
	// ListEmpty returns a condition that a string-list column is empty.
	ListEmpty func(column string) string
	// In returns a condition, with one ? bound to a []string, that the
	// column's value is in the list.
	In func(column string) string
	// Bytewise is the collation clause that orders text byte by byte.
	Bytewise string
	// LockRow is the suffix of a SELECT that locks its row until commit
	// ("" where the one writer holds every lock).
	LockRow string
	// SkipLocked is the suffix of a SELECT whose rows are claimed by one
	// worker of several: locked rows are skipped.
	SkipLocked string
	// ComputedBase says that licenses.base is a generated column, left
	// out of an INSERT.
	ComputedBase bool
	// GuardRefs says that a failed statement aborts the transaction, so
	// that an INSERT checks what it refers to with an EXISTS guard instead
	// of letting a foreign key refuse the row.
	GuardRefs bool
	// Code returns the domain code of a driver error: ECONFLICT for a
	// unique violation, ENOTFOUND for a foreign key violation, EINVALID
	// for malformed data, EUNAVAILABLE when the database cannot serve now;
	// "" for anything else. It reads codes, never message text.
	Code func(err error) string

	rebound sync.Map // query → rebound query, for queries of at most maxRebound bytes
}

// maxRebound bounds the queries Rebind remembers: the fixed statements,
// not the multi-row INSERTs (values), one per batch size, each as long as
// its batch, that would otherwise stay in the cache for good.
const maxRebound = 4096

// Rebind returns query with the dialect's placeholders. ? inside quotes is
// kept.
func (d *Dialect) Rebind(query string) string {
	if !d.Numbered {
		return query
	}
	cache := len(query) <= maxRebound
	if cache {
		if q, ok := d.rebound.Load(query); ok {
			return q.(string)
		}
	}
	var (
		b     strings.Builder
		n     int
		quote byte
	)
	b.Grow(len(query) + 16)
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	q := b.String()
	if cache {
		d.rebound.Store(query, q)
	}
	return q
}

// args returns args in the driver's form.
func (d *Dialect) args(args []any) []any {
	if d.Arg == nil {
		return args
	}
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = d.Arg(a)
	}
	return out
}

// row wraps a Row so that its destinations are converted.
type row struct {
	Row
	d *Dialect
}

func (r row) Scan(dest ...any) error { return r.Row.Scan(r.d.dests(dest)...) }

// rows wraps Rows so that their destinations are converted.
type rows struct {
	Rows
	d *Dialect
}

func (r rows) Scan(dest ...any) error { return r.Rows.Scan(r.d.dests(dest)...) }

func (d *Dialect) dests(dest []any) []any {
	for i, p := range dest {
		dest[i] = d.Dest(p)
	}
	return dest
}
