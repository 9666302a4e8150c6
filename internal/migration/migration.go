// Package migration reads a store's embedded schema migrations: files
// migration/NNNN_name.sql, applied in the order of their numbers. Each
// store runs them its own way (transactions, locks, version table), so
// only the reading and ordering are shared.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema change. A migration is never edited once
// released; a change is a new file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads migration/*.sql from fsys in version order. A file name must
// start with a positive number and "_"; two files with one number are an
// error. Gaps in the numbers are allowed.
func Load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migration/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must start with a positive number and _", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}
