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
	"golang.org/x/text/transform"

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
	// MaxRowBytes and MaxCellBytes bound one CSV row and one cell (0:
	// MaxRowBytes, MaxCellBytes). JSON Lines are bounded by MaxLineBytes a
	// line and MaxCellBytes a string member.
	MaxRowBytes, MaxCellBytes int
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
	limit    *limiter
	num      int64
	known    func(string) bool
}

// MaxLineBytes bounds one JSON line; MaxRowBytes and MaxCellBytes bound
// CSV rows and cells.
const MaxLineBytes = 1 << 20

// NewReader returns a reader of r. known reports whether a column name
// (after mapping) is one the caller accepts; nil accepts the standard
// columns only. For CSV it reads the header and returns an EINVALID error
// naming columns that are not known, repeated, or missing.
func NewReader(r io.Reader, o Options, known func(string) bool) (*Reader, error) {
	if known == nil {
		known = func(c string) bool { return slices.Contains(StandardColumns, c) }
	}
	if o.MaxRowBytes <= 0 {
		o.MaxRowBytes = MaxRowBytes
	}
	if o.MaxCellBytes <= 0 {
		o.MaxCellBytes = MaxCellBytes
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
	if o.Format == zhengzhao.FormatCSV {
		// Cut oversized rows and cells on the raw bytes, before any decoder
		// or csv buffer holds them; offsets are the file's.
		rd.limit = newLimiter(br, rd.counter.n-int64(br.Buffered()), o.MaxRowBytes, o.MaxCellBytes)
		text = rd.limit
	}
	if enc == zhengzhao.EncodingGB18030 {
		text = bufio.NewReaderSize(simplifiedchinese.GB18030.NewDecoder().Reader(text), 64<<10)
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
	if info := rd.limit.take(); info.problem != nil {
		return nil, fieldErr("", "the CSV header: "+info.problem.Message)
	}
	if err != nil {
		return nil, fieldErr("", "cannot read the CSV header: "+err.Error())
	}
	var fe []zhengzhao.FieldError
	seen := map[string]bool{}
	for i, h := range head {
		name := strings.TrimSpace(h)
		if !rd.validText(name) {
			fe = append(fe, zhengzhao.FieldError{Field: fmt.Sprintf("column %d", i+1), Message: "name is not valid " + rd.encodingName()})
			name = fmt.Sprintf("column %d", i+1)
		}
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
	info := r.limit.take()
	if info.problem != nil {
		p := *info.problem
		if info.cell >= 0 && info.cell < len(r.header) {
			p.Field = r.header[info.cell]
		}
		row.Problems = append(row.Problems, p)
		return row, nil
	}
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
		if !r.validText(v) {
			msg := "is not valid " + r.encodingName()
			if r.encoding == zhengzhao.EncodingUTF8 {
				msg += fmt.Sprintf(" at byte %d of the cell", invalidAt(v))
			}
			row.Problems = append(row.Problems, zhengzhao.FieldError{Field: r.header[i],
				Message: fmt.Sprintf("%s (the row starts at byte %d of the file)", msg, info.start)})
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
			if s, ok := v.(string); ok && len(s) > r.opts.MaxCellBytes {
				row.Problems = append(row.Problems, zhengzhao.FieldError{Field: name, Message: fmt.Sprintf("longer than %d bytes", r.opts.MaxCellBytes)})
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

// detectEncoding returns the given encoding or, when none is given,
// detects it from the first 64 KiB without ever reading a UTF-8 file in
// another encoding because of a damaged byte:
//
//   - a UTF-8 byte order mark, or valid UTF-8: UTF-8;
//   - more multi-byte UTF-8 characters than bytes that are not UTF-8:
//     UTF-8 — each row holding a bad byte is refused with its row and
//     byte offset, and every other row is read as written;
//   - otherwise, valid GB18030 throughout: GB18030 (a file written by a
//     GBK or GB18030 tool: as UTF-8, its Chinese text is almost nothing
//     but bad bytes);
//   - anything else: the file is refused, naming the row and byte offset
//     of its first byte that is not UTF-8, and asking for --encoding.
//
// A UTF-8 byte order mark is skipped. A given encoding is never second-
// guessed; in a GB18030 file, a cell holding a byte sequence that is not
// GB18030 is refused like a bad UTF-8 cell.
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
	atEOF := err != nil
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", err
	}
	bad := invalidAt(string(head))
	if bad < 0 || !atEOF && len(head)-bad < utf8.UTFMax && !utf8.FullRune(head[bad:]) {
		return zhengzhao.EncodingUTF8, nil // valid, or a character cut by the window's end
	}
	good, wrong := utf8Evidence(head, atEOF)
	if good > wrong {
		return zhengzhao.EncodingUTF8, nil // UTF-8 text with bad bytes: their rows are refused
	}
	if validGB18030(head, atEOF) {
		return zhengzhao.EncodingGB18030, nil
	}
	where := "the header"
	if row := rowAt(head, bad); row > 0 {
		where = fmt.Sprintf("row %d", row)
	}
	return "", fieldErr("encoding", fmt.Sprintf("byte %d of the file (%s) is neither UTF-8 nor GB18030: convert the file or give --encoding", bad, where))
}

// utf8Evidence counts the multi-byte UTF-8 characters of b and the bytes
// that start no UTF-8 character (a character cut at the end of b is
// neither unless atEOF). Chinese text in GB18030 is nearly all bytes that
// are not UTF-8; UTF-8 text with a damaged byte is nearly all characters.
func utf8Evidence(b []byte, atEOF bool) (good, wrong int) {
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			continue
		}
		if !atEOF && !utf8.FullRune(b) {
			break
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			wrong++
		} else {
			good++
		}
		b = b[size:]
	}
	return good, wrong
}

// validGB18030 reports whether b is GB18030 text (an incomplete character
// at its end allowed unless atEOF).
func validGB18030(b []byte, atEOF bool) bool {
	dst := make([]byte, 2*len(b)+utf8.UTFMax)
	nDst, _, err := simplifiedchinese.GB18030.NewDecoder().Transform(dst, b, atEOF)
	if err != nil && (atEOF || !errors.Is(err, transform.ErrShortSrc)) {
		return false
	}
	return !bytes.ContainsRune(dst[:nDst], utf8.RuneError)
}

// invalidAt returns the byte index of the first byte of s that is not
// UTF-8, or -1.
func invalidAt(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return -1
}

// validText reports whether a cell decoded right: valid UTF-8 in a UTF-8
// file; in a GB18030 file, no U+FFFD, which the decoder puts for a byte
// sequence that is not GB18030.
func (r *Reader) validText(s string) bool {
	if r.encoding == zhengzhao.EncodingGB18030 {
		return !strings.ContainsRune(s, utf8.RuneError)
	}
	return utf8.ValidString(s)
}

func (r *Reader) encodingName() string {
	if r.encoding == zhengzhao.EncodingGB18030 {
		return "GB18030"
	}
	return "UTF-8"
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
