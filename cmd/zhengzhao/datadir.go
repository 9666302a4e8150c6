package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// prepareDataDir creates the data directory (mode 0700) or checks the one
// there: it holds the database with every holder's ID number and name, the
// signing keys and the tokens, so a directory that group or others may
// read, write or enter is refused, with the command that fixes it.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("data directory %s is not a directory", dir)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("data directory %s has mode %04o: group and others may reach the database, keys and tokens in it; run `chmod 700 %s` (and keep it owned by the service's user)",
			dir, st.Mode().Perm(), dir)
	}
	return nil
}

// sqliteFiles are the database file and the files SQLite keeps beside it.
func sqliteFiles(db string) []string {
	return []string{db, db + "-wal", db + "-shm", db + "-journal"}
}

// createPrivate makes sure the SQLite database file exists with mode 0600
// before SQLite opens it: SQLite (modernc included) creates its -wal,
// -shm and -journal files with the database file's mode, and would create
// the database itself 0644. Files of an older version are narrowed to 0600.
func createPrivate(db string) error {
	f, err := os.OpenFile(db, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("create database file: %w", err)
	}
	return narrowPrivate(db)
}

// narrowPrivate sets the database's files that exist to mode 0600.
func narrowPrivate(db string) error {
	for _, name := range sqliteFiles(db) {
		st, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(name, 0o600); err != nil {
				return fmt.Errorf("database file %s has mode %04o and cannot be narrowed to 0600: %w", name, st.Mode().Perm(), err)
			}
		}
	}
	return nil
}

// loadOrCreateLogKey reads the library's log-reference key (32 bytes,
// hex) from path, or creates it (mode 0600). Logs name holders by
// zhengzhao.LogRef under this key, never by ID number; keeping it in the
// data directory keeps references stable across restarts, and an operator
// with the directory can still tell whose requests a reference marks.
func loadOrCreateLogKey(path string) ([]byte, error) {
	text, err := os.ReadFile(path)
	if err == nil {
		key, err := hex.DecodeString(string(bytes.TrimSpace(text)))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("log key %s does not hold 32 hex-encoded bytes", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("log key: %w", err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create log key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("create log key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("create log key: %w", err)
	}
	return key, nil
}
