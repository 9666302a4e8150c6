package http

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/yeqown/go-qrcode/v2"
	"github.com/yeqown/go-qrcode/writer/standard"
)

// maxQRVersion is the largest QR version a display URL may need: phone
// cameras read a version-10 symbol at level M from a screen at arm's length.
const maxQRVersion = 10

// nopCloser lets a bytes.Buffer be the writer's io.WriteCloser.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// qrPNG encodes text as a QR code at error correction level M, byte mode,
// as a PNG with module size px and a quiet zone of four modules. It returns
// the PNG and the symbol's version.
func qrPNG(text string, px uint8) ([]byte, int, error) {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium),
		qrcode.WithEncodingMode(qrcode.EncModeByte))
	if err != nil {
		return nil, 0, fmt.Errorf("qr code: %w", err)
	}
	var buf bytes.Buffer
	// PNG_FORMAT: without it the writer emits JPEG whatever the name says.
	w := standard.NewWithWriter(nopCloser{&buf}, standard.WithBuiltinImageEncoder(standard.PNG_FORMAT),
		standard.WithQRWidth(px), standard.WithBorderWidth(int(px)*4))
	if err := q.Save(w); err != nil {
		return nil, 0, fmt.Errorf("qr code: %w", err)
	}
	return buf.Bytes(), (q.Dimension() - 17) / 4, nil
}

// qrDataURL returns the QR code of text as a data: URL for an <img>.
func qrDataURL(text string) (string, int, error) {
	png, v, err := qrPNG(text, 8)
	if err != nil {
		return "", 0, err
	}
	return pngDataURLPrefix + base64.StdEncoding.EncodeToString(png), v, nil
}

// pngDataURLPrefix starts every data: URL that qrDataURL makes.
const pngDataURLPrefix = "data:image/png;base64,"

// dataImageURL marks a data: URL of a PNG image as safe for a src
// attribute. html/template refuses data: URLs held in plain strings (it
// writes "#ZgotmplZ" instead), so the QR image is passed as template.URL;
// only a PNG data: URL whose payload is standard base64, as qrDataURL
// makes, gets through, so nothing else can be smuggled into the page.
func dataImageURL(u string) template.URL {
	payload, ok := strings.CutPrefix(u, pngDataURLPrefix)
	if !ok {
		return ""
	}
	if _, err := base64.StdEncoding.DecodeString(payload); err != nil {
		return ""
	}
	return template.URL(u)
}
