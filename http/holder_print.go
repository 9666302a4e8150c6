package http

import (
	"bytes"
	"fmt"
	"image/png"
	nethttp "net/http"
	"time"

	"github.com/signintech/gopdf"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/report"
)

// handlePrint handles GET /wallet/licenses/{id}/print: a printable A4 PDF
// of the license (Measures art. 22, traditional channels): face fields,
// issuer, validity and a long-lived verification QR code whose scan shows
// the license's status at scan time. The CJK font is embedded (subset).
func (s *Server) handlePrint(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	hl, err := s.holders.FindHolderLicense(r.Context(), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var keys []string
	for _, f := range faceFields(hl) {
		keys = append(keys, f.Key)
	}
	p, err := s.presentation(r, &zhengzhao.PresentationRequest{License: hl.License.ID, Fields: keys, Purpose: zhengzhao.PurposePrint})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pdf, err := printLicense(s.font, hl, faceFields(hl), p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", "license-"+hl.License.Number+".pdf"))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(pdf)
}

// printLicense lays out the A4 page.
func printLicense(font []byte, hl *zhengzhao.HolderLicense, fields []fieldRow, p *presentationResponse) ([]byte, error) {
	lic := hl.License
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	pdf.SetInfo(gopdf.PdfInfo{Title: lic.TypeName + " " + lic.Number, Creator: "Zhengzhao"})
	cjk := report.CJKFont
	if err := pdf.AddTTFFontData(cjk, font); err != nil {
		return nil, fmt.Errorf("print: font: %w", err)
	}
	pdf.AddPage()
	const left, width = 60.0, 475.0
	text := func(size float64, x, y float64, s string) error {
		if err := pdf.SetFont(cjk, "", size); err != nil {
			return err
		}
		pdf.SetXY(x, y)
		return pdf.Cell(nil, s)
	}
	// Frame and title.
	pdf.SetLineWidth(2)
	pdf.SetStrokeColor(179, 38, 30)
	pdf.RectFromUpperLeft(40, 40, 515, 762)
	pdf.SetLineWidth(0.5)
	pdf.SetTextColor(179, 38, 30)
	if err := text(26, left, 70, lic.TypeName); err != nil {
		return nil, err
	}
	pdf.SetTextColor(30, 30, 30)
	y := 115.0
	rows := append([]fieldRow{
		{"", "持证人 Holder", lic.Holder.Name},
		{"", "证照编号 Number", lic.Number},
		{"", "发证单位 Issuer", lic.Issuer.Name},
		{"", "发证日期 Issued on", lic.IssuedOn},
		{"", "有效期 Validity", lic.ValidFrom + " 至 " + validUntil(lic)},
	}, fields...)
	for _, f := range rows {
		if err := text(11, left, y, f.Label); err != nil {
			return nil, err
		}
		// Wrap long values.
		if err := pdf.SetFont(cjk, "", 13); err != nil {
			return nil, err
		}
		lines, err := pdf.SplitTextWithWordWrap(f.Value, width-160)
		if err != nil || len(lines) == 0 {
			lines = []string{f.Value}
		}
		for i, line := range lines {
			pdf.SetXY(left+160, y-1+float64(i)*18)
			if err := pdf.Cell(nil, line); err != nil {
				return nil, err
			}
		}
		y += 10 + 18*float64(len(lines))
		pdf.SetStrokeColor(217, 214, 204)
		pdf.Line(left, y-6, left+width, y-6)
	}
	// The verification QR code.
	png1, _, err := qrPNG(p.URL, 6)
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(png1))
	if err != nil {
		return nil, err
	}
	qy := max(y+20, 560)
	if err := pdf.ImageFrom(img, left, qy, &gopdf.Rect{W: 170, H: 170}); err != nil {
		return nil, err
	}
	notes := []string{
		"扫码核验：显示扫码时证照的状态（有效、注销、过期）。",
		"Scan to verify: shows the license's status at the time of the scan.",
		"证照标识 License ID:",
		lic.ID,
		"打印时间 Printed: " + time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04"),
		"本件为电子证照的打印件，以扫码核验结果为准。",
		"This is a printed copy of an electronic license; the scan result prevails.",
	}
	ny := qy + 12
	for _, n := range notes {
		if err := pdf.SetFont(cjk, "", 9); err != nil {
			return nil, err
		}
		lines, err := pdf.SplitText(n, 290) // the ID has no spaces: split anywhere
		if err != nil || len(lines) == 0 {
			lines = []string{n}
		}
		for _, line := range lines {
			if err := text(9, left+190, ny, line); err != nil {
				return nil, err
			}
			ny += 16
		}
		ny += 4
	}
	var buf bytes.Buffer
	if _, err := pdf.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("print: %w", err)
	}
	return buf.Bytes(), nil
}
