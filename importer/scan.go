package importer

import (
	"fmt"
	"io"

	"github.com/zhengzhao-project/zhengzhao"
)

// Size limits of one CSV row and one cell, in bytes of the file. A row or
// cell over its limit is cut before encoding/csv sees it — the reader's
// memory stays flat whatever the file holds — and the row is refused with
// a problem naming the row, the column and the row's byte offset.
const (
	MaxRowBytes  = MaxLineBytes
	MaxCellBytes = 64 << 10
)

// scanState follows encoding/csv's grammar (comma ',', LazyQuotes off) far
// enough to find where its records end: the limiter must count records
// exactly as csv.Reader does, malformed ones included, so that the
// offsets and cuts it notes belong to the row csv returns. The bytes it
// looks at ('"', ',', '\r', '\n') never occur inside a multi-byte
// character of UTF-8 or GB18030, so it runs on the file's raw bytes.
type scanState uint8

const (
	sStart      scanState = iota // at the start of a cell
	sUnquoted                    // in an unquoted cell
	sQuoted                      // in a quoted cell
	sQuoteEnd                    // after a '"' in a quoted cell: end or escape
	sQuoteEndCR                  // after `"` and '\r'
	sSkip                        // after a syntax error csv reports: the rest of the line is dropped
)

// recordInfo is what the limiter noted about one CSV record.
type recordInfo struct {
	start   int64 // byte offset of the record's first byte in the file
	problem *zhengzhao.FieldError
	cell    int // the cut cell's index (problem.Field is filled by the reader, which knows the header)
}

// scanner counts records and measures rows and cells.
type scanner struct {
	st       scanState
	off      int64 // file offset of the next byte
	inRec    bool  // a record has begun (a byte other than a blank line's)
	recStart int64
	rowLen   int
	cellLen  int
	cell     int
	firstCR  bool // the record so far is a lone '\r' (csv skips "\r\n" lines)
}

// step advances over byte c and reports whether a record ended at it (and
// whether that record was a blank line csv skips).
func (s *scanner) step(c byte) (ended, blank bool) {
	off := s.off
	s.off++
	if !s.inRec {
		if c == '\n' {
			return false, false // a blank line, not a record
		}
		s.inRec, s.recStart, s.rowLen, s.cellLen, s.cell, s.firstCR = true, off, 0, 0, 0, c == '\r'
	} else if c != '\n' {
		s.firstCR = false
	}
	end := func() (bool, bool) {
		blank := s.rowLen == 2 && s.firstCR // "\r\n"
		s.inRec, s.st = false, sStart
		return true, blank
	}
	s.rowLen++
	s.cellLen++
	switch s.st {
	case sStart, sUnquoted:
		switch {
		case c == '\n':
			return end()
		case c == ',':
			s.st, s.cellLen, s.cell = sStart, 0, s.cell+1
		case c == '"' && s.st == sStart:
			s.st = sQuoted
		case c == '"':
			s.st = sSkip // a bare quote: csv refuses the line
		default:
			s.st = sUnquoted
		}
	case sQuoted:
		if c == '"' {
			s.st = sQuoteEnd
		}
	case sQuoteEnd, sQuoteEndCR:
		switch {
		case c == '\n':
			return end()
		case c == '"' && s.st == sQuoteEnd:
			s.st = sQuoted
		case c == ',' && s.st == sQuoteEnd:
			s.st, s.cellLen, s.cell = sStart, 0, s.cell+1
		case c == '\r' && s.st == sQuoteEnd:
			s.st = sQuoteEndCR
		default:
			s.st = sSkip
		}
	case sSkip:
		if c == '\n' {
			return end()
		}
	}
	return false, false
}

// limiter passes a CSV file's bytes to encoding/csv, cutting any record
// whose row or one of whose cells is over its limit down to a valid
// record, and notes each record's offset and cut.
type limiter struct {
	r        io.Reader
	s        scanner
	maxRow   int
	maxCell  int
	cutting  bool
	cut      *recordInfo
	done     []recordInfo // records ended, not yet taken by the reader
	finished bool
}

func newLimiter(r io.Reader, base int64, maxRow, maxCell int) *limiter {
	return &limiter{r: r, s: scanner{off: base}, maxRow: maxRow, maxCell: maxCell}
}

func (l *limiter) Read(p []byte) (int, error) {
	for {
		n, err := l.r.Read(p)
		w := 0
		for i := 0; i < n; i++ {
			c := p[i]
			st := l.s.st
			loneCR := l.s.inRec && l.s.rowLen == 1 && l.s.firstCR
			ended, blank := l.s.step(c)
			if !l.cutting && !ended && l.s.inRec && (l.s.rowLen > l.maxRow || l.s.cellLen > l.maxCell) {
				l.cutting = true
				info := recordInfo{start: l.s.recStart, cell: l.s.cell}
				if l.s.cellLen > l.maxCell {
					info.problem = &zhengzhao.FieldError{Message: fmt.Sprintf("cell longer than %d bytes (the row starts at byte %d of the file)", l.maxCell, info.start)}
				} else {
					info.problem = &zhengzhao.FieldError{Message: fmt.Sprintf("row longer than %d bytes (the row starts at byte %d of the file)", l.maxRow, info.start)}
					info.cell = -1
				}
				l.cut = &info
				switch {
				case st == sQuoted:
					p[w] = '"' // close the cell so that csv ends the record where the scanner does
					w++
				case loneCR:
					p[w] = '-' // csv would skip a record cut down to "\r" as a blank line
					w++
				}
				continue
			}
			if ended {
				if !blank {
					info := recordInfo{start: l.s.recStart}
					if l.cutting {
						info = *l.cut
					}
					l.done = append(l.done, info)
				}
				l.cutting, l.cut = false, nil
			}
			if l.cutting {
				continue
			}
			p[w] = c
			w++
		}
		if err != nil {
			l.finish()
		}
		if w > 0 || err != nil {
			return w, err
		}
	}
}

// finish notes the last record when the file does not end with a newline.
func (l *limiter) finish() {
	if l.finished {
		return
	}
	l.finished = true
	if l.s.inRec && !(l.s.rowLen == 1 && l.s.firstCR) {
		info := recordInfo{start: l.s.recStart}
		if l.cutting {
			info = *l.cut
		}
		l.done = append(l.done, info)
	}
}

// take returns what was noted about the next record.
func (l *limiter) take() recordInfo {
	if len(l.done) == 0 {
		return recordInfo{start: -1}
	}
	info := l.done[0]
	l.done = l.done[1:]
	return info
}

// rowAt returns the data row (0 for the header) that holds byte offset off
// of head, the start of a CSV file.
func rowAt(head []byte, off int) int64 {
	var s scanner
	var recs int64
	for _, c := range head[:off] {
		if ended, blank := s.step(c); ended && !blank {
			recs++
		}
	}
	return recs
}
