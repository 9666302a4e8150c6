// Package formatdoc holds the test that keeps docs/formats.md true: every
// worked example in it (a fenced block with an example=NAME info string) is
// recomputed from the code and compared with the page and with
// testdata/NAME.golden. Run `go test ./internal/formatdoc -update` after a
// deliberate change of an example to rewrite both.
package formatdoc
