// Package importer reads the files of a bulk import — CSV in UTF-8 or
// GB18030, or JSON Lines — one row at a time, and turns each row into the
// license request it describes, with the problems found in it. It holds
// no rules beyond the file's shape: the library validates, signs and
// stores. It reads in constant memory, whatever the file's size.
package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/zhengzhao-project/zhengzhao"
)

// Standard column names. A file's columns are these and the face-field
// keys of the license type; Options.Mapping renames others to them.
const (
	ColID           = "id"             // the issuer's full license ID (historical data), version and check included
	ColNumber       = "number"         // the number printed on the license
	ColSerial       = "serial"         // serial part of the ID (optional)
	ColHolderID     = "holder_id"      // holder's ID number
	ColHolderIDType = "holder_id_type" // 111 or 001; inferred from holder_id when absent
	ColHolderName   = "holder_name"
	ColIssuedOn     = "issued_on"
	ColValidFrom    = "valid_from"
	ColValidUntil   = "valid_until" // empty: does not expire
	ColProvenance   = "provenance"  // optional, per row
)

// StandardColumns lists the standard columns in their usual order.
var StandardColumns = []string{ColID, ColNumber, ColSerial, ColHolderID, ColHolderIDType, ColHolderName,
	ColIssuedOn, ColValidFrom, ColValidUntil, ColProvenance}

// Options say how to read a file.
type Options struct {
	// Format is zhengzhao.FormatCSV or zhengzhao.FormatJSONL.
	Format string
	// Encoding is zhengzhao.EncodingUTF8, zhengzhao.EncodingGB18030, or
	// empty to detect it (CSV only; JSON Lines are UTF-8).
	Encoding string
	// Mapping renames the file's columns: file name → standard name.
	Mapping map[string]string
}

// Row is one data row of a file.
type Row struct {
	// Num is the row's number: the Nth record after the CSV header, or
	// the Nth non-blank line of JSON Lines, from 1.
	Num int64
	// Values holds the row's values by standard column name: strings from
	// CSV (empty cells left out), JSON values from JSON Lines (numbers as
	// json.Number).
	Values map[string]any
	// Problems are what made the row unreadable (a wrong number of
	// cells, malformed JSON, an unknown member); Values may be partial.
	Problems []zhengzhao.FieldError
}

// Has reports whether the row has a value in the column.
func (r *Row) Has(col string) bool {
	_, ok := r.Values[col]
	return ok
}

// Reader reads the rows of a file.
type Reader struct {
	opts     Options
	encoding string
	counter  *countingReader
	csv      *csv.Reader
	header   []string // standard names of the CSV columns
	lines    *bufio.Reader
	num      int64
	known    func(string) bool
}

// MaxLineBytes bounds one JSON line (and, through the CSV reader's buffer,
// keeps a runaway quoted CSV cell from eating memory).
const MaxLineBytes = 1 << 20

// NewReader returns a reader of r. known reports whether a column name
// (after mapping) is one the caller accepts; nil accepts the standard
// columns only. For CSV it reads the header and returns an EINVALID error
// naming columns that are not known, repeated, or missing.
func NewReader(r io.Reader, o Options, known func(string) bool) (*Reader, error) {
	if known == nil {
		known = func(c string) bool { return slices.Contains(StandardColumns, c) }
	}
	rd := &Reader{opts: o, counter: &countingReader{r: r}, known: known}
	br := bufio.NewReaderSize(rd.counter, 64<<10)
	switch o.Format {
	case zhengzhao.FormatCSV:
	case zhengzhao.FormatJSONL:
		if o.Encoding != "" && o.Encoding != zhengzhao.EncodingUTF8 {
			return nil, fieldErr("encoding", "JSON Lines are UTF-8")
		}
	default:
		return nil, fieldErr("format", "must be csv or jsonl")
	}
	given := o.Encoding
	if o.Format == zhengzhao.FormatJSONL {
		given = zhengzhao.EncodingUTF8 // never guessed: a bad byte is the line's problem (found by FuzzParseJSONL)
	}
	enc, err := detectEncoding(br, given)
	if err != nil {
		return nil, err
	}
	rd.encoding = enc
	var text io.Reader = br
	if enc == zhengzhao.EncodingGB18030 {
		text = bufio.NewReaderSize(simplifiedchinese.GB18030.NewDecoder().Reader(br), 64<<10)
	}
	if o.Format == zhengzhao.FormatJSONL {
		rd.lines = bufio.NewReaderSize(text, 64<<10)
		return rd, nil
	}
	rd.csv = csv.NewReader(text)
	rd.csv.ReuseRecord = true
	rd.csv.FieldsPerRecord = -1 // checked per row, so a short row is a row problem
	head, err := rd.csv.Read()
	if errors.Is(err, io.EOF) {
		return nil, fieldErr("", "the file is empty: a CSV file starts with a header row")
	}
	if err != nil {
		return nil, fieldErr("", "cannot read the CSV header: "+err.Error())
	}
	var fe []zhengzhao.FieldError
	seen := map[string]bool{}
	for i, h := range head {
		name := strings.TrimSpace(h)
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff")
		}
		if m, ok := o.Mapping[name]; ok {
			name = m
		}
		switch {
		case name == "":
			fe = append(fe, zhengzhao.FieldError{Field: fmt.Sprintf("column %d", i+1), Message: "has no name"})
		case seen[name]:
			fe = append(fe, zhengzhao.FieldError{Field: name, Message: "appears more than once"})
		case !known(name):
			fe = append(fe, zhengzhao.FieldError{Field: name, Message: "unknown column: neither a standard column nor a face field of the type (rename it with --map)"})
		}
		seen[name] = true
		rd.header = append(rd.header, name)
	}
	if err := zhengzhao.Invalid("invalid CSV header", fe); err != nil {
		return nil, err
	}
	return rd, nil
}

func fieldErr(field, msg string) error {
	return zhengzhao.Invalid("invalid import file", []zhengzhao.FieldError{{Field: field, Message: msg}})
}

// Encoding returns the file's encoding, as given or detected.
func (r *Reader) Encoding() string { return r.encoding }

// Columns returns the CSV columns by standard name (nil for JSON Lines).
func (r *Reader) Columns() []string { return r.header }

// BytesRead returns how many bytes of the file have been read (ahead of
// the rows returned, by up to the buffers' size).
func (r *Reader) BytesRead() int64 { return r.counter.n }

// Next returns the next row, or io.EOF after the last. Other errors are
// read errors of the underlying reader.
func (r *Reader) Next() (*Row, error) {
	if r.lines != nil {
		return r.nextJSON()
	}
	rec, err := r.csv.Read()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	r.num++
	row := &Row{Num: r.num, Values: make(map[string]any, len(r.header))}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return nil, err
		}
		row.Problems = append(row.Problems, zhengzhao.FieldError{Message: "malformed CSV: " + pe.Err.Error()})
		return row, nil
	}
	if len(rec) != len(r.header) {
		row.Problems = append(row.Problems, zhengzhao.FieldError{
			Message: fmt.Sprintf("has %d cells, the header %d", len(rec), len(r.header))})
	}
	for i, v := range rec {
		if i >= len(r.header) || v == "" {
			continue
		}
		if !utf8.ValidString(v) {
			row.Problems = append(row.Problems, zhengzhao.FieldError{Field: r.header[i], Message: "is not valid text in the file's encoding"})
			continue
		}
		row.Values[r.header[i]] = strings.Clone(v) // the record is reused
	}
	return row, nil
}

func (r *Reader) nextJSON() (*Row, error) {
	for {
		line, err := readLine(r.lines)
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return nil, io.EOF
		}
		if errors.Is(err, errLineTooLong) {
			r.num++
			return &Row{Num: r.num, Values: map[string]any{},
				Problems: []zhengzhao.FieldError{{Message: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}}}, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 && err == nil {
			continue
		}
		if len(trimmed) == 0 {
			return nil, io.EOF
		}
		r.num++
		row := &Row{Num: r.num, Values: map[string]any{}}
		if !utf8.Valid(trimmed) {
			row.Problems = append(row.Problems, zhengzhao.FieldError{Message: "is not valid UTF-8"})
			return row, nil
		}
		var obj map[string]any
		d := json.NewDecoder(bytes.NewReader(trimmed))
		d.UseNumber()
		if err := d.Decode(&obj); err != nil || obj == nil {
			msg := "not a JSON object"
			if err != nil {
				msg = "malformed JSON: " + err.Error()
			}
			row.Problems = append(row.Problems, zhengzhao.FieldError{Message: msg})
			return row, nil
		}
		if d.More() {
			row.Problems = append(row.Problems, zhengzhao.FieldError{Message: "more than one JSON value on the line"})
			return row, nil
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := obj[k]
			name := k
			if m, ok := r.opts.Mapping[k]; ok {
				name = m
			}
			if !r.known(name) {
				row.Problems = append(row.Problems, zhengzhao.FieldError{Field: name, Message: "unknown member: neither a standard column nor a face field of the type"})
				continue
			}
			if _, dup := row.Values[name]; dup {
				row.Problems = append(row.Problems, zhengzhao.FieldError{Field: name, Message: "given more than once"})
				continue
			}
			if v == nil || v == "" {
				continue
			}
			row.Values[name] = v
		}
		return row, nil
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line without its end, at most MaxLineBytes; a longer
// line is skipped to its end and reported with errLineTooLong.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > MaxLineBytes {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return []byte{}, errLineTooLong
		}
		line = append(line, chunk...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil:
			return line, err
		}
		return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")), nil
	}
}

// detectEncoding returns the given encoding, or, when it is empty, UTF-8
// if the file starts with a UTF-8 byte order mark or its first 64 KiB are
// valid UTF-8, and GB18030 otherwise. A UTF-8 byte order mark is skipped.
func detectEncoding(br *bufio.Reader, given string) (string, error) {
	switch strings.ToLower(strings.ReplaceAll(given, "_", "-")) {
	case "":
	case "utf-8", "utf8":
		skipBOM(br)
		return zhengzhao.EncodingUTF8, nil
	case "gb18030", "gbk", "gb2312":
		// GBK and GB2312 are subsets of GB18030.
		return zhengzhao.EncodingGB18030, nil
	default:
		return "", fieldErr("encoding", "must be utf-8 or gb18030")
	}
	if skipBOM(br) {
		return zhengzhao.EncodingUTF8, nil
	}
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", err
	}
	// A multi-byte character may be cut at the end of the window.
	for i := 0; i < utf8.UTFMax && len(head) > 0 && !utf8.FullRune(head[lastStart(head):]); i++ {
		head = head[:lastStart(head)]
	}
	if utf8.Valid(head) {
		return zhengzhao.EncodingUTF8, nil
	}
	return zhengzhao.EncodingGB18030, nil
}

// lastStart returns the index of the last rune start in b.
func lastStart(b []byte) int {
	i := len(b) - 1
	for i > 0 && !utf8.RuneStart(b[i]) {
		i--
	}
	return max(i, 0)
}

func skipBOM(br *bufio.Reader) bool {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
		return true
	}
	return false
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// jsonNumberRE matches a JSON number (RFC 8259).
var jsonNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
