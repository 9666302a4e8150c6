package report

import (
	"encoding/csv"
	"io"
	"regexp"
)

// CSVWriter is the CSV writer of every export the library writes (the
// catalog, annual reports, import reports, reconciliation differences):
// an encoding/csv writer whose cells are neutralised against formula
// injection (CSV injection, OWASP). A spreadsheet runs a cell that begins
// with '=', '+', '-', '@', a tab or a carriage return as a formula, so
// such a cell gets a leading apostrophe, which spreadsheets show as text
// and do not print. A cell that is a plain number ("-3", "+1.5", "-2%")
// is left as it is: no spreadsheet reads it as a formula.
type CSVWriter struct {
	*csv.Writer
	rec []string
}

// NewCSVWriter returns a writer of neutralised CSV to w.
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{Writer: csv.NewWriter(w)}
}

// Write writes one record, each cell neutralised.
func (c *CSVWriter) Write(record []string) error {
	c.rec = c.rec[:0]
	for _, s := range record {
		c.rec = append(c.rec, NeutraliseCell(s))
	}
	return c.Writer.Write(c.rec)
}

// WriteAll writes records, each cell neutralised, and flushes.
func (c *CSVWriter) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := c.Write(r); err != nil {
			return err
		}
	}
	c.Flush()
	return c.Error()
}

var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?%?$`)

// NeutraliseCell returns s as a spreadsheet must show it: with a leading
// apostrophe when it begins with a formula prefix and is not a plain
// number.
func NeutraliseCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if plainNumber.MatchString(s) {
			return s
		}
		return "'" + s
	}
	return s
}
