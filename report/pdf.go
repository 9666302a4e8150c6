package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/signintech/gopdf"

	"github.com/zhengzhao-project/zhengzhao"
)

// WriteAnnualPDF writes an annual report as an A4 PDF with the TrueType
// font embedded (subset). The font must have CJK and Latin glyphs in glyf
// outlines, such as font.Subset or Debian's LXGWWenKai-Regular.ttf
// (DefaultFont); CFF-based .ttc/.otf files are rejected by gopdf.
func WriteAnnualPDF(w io.Writer, r *zhengzhao.AnnualReport, font []byte) error {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	pdf.SetInfo(gopdf.PdfInfo{Title: fmt.Sprintf("%s %d 年度考核报告", r.Unit.Name, r.Year), Creator: "Zhengzhao",
		CreationDate: r.GeneratedAt})
	cjk := CJKFont
	if err := pdf.AddTTFFontData(cjk, font); err != nil {
		return fmt.Errorf("annual report: font: %w", err)
	}
	const left, right, bottom = 56.0, 539.0, 790.0
	pdf.AddPage()
	y := 0.0
	text := func(size, x float64, s string) error {
		if err := pdf.SetFont(cjk, "", size); err != nil {
			return err
		}
		pdf.SetXY(x, y)
		return pdf.Cell(nil, s)
	}
	newline := func(h float64) {
		y += h
		if y > bottom {
			pdf.AddPage()
			y = 56
		}
	}

	// Title.
	pdf.SetFillColor(179, 38, 30)
	pdf.RectFromUpperLeftWithStyle(0, 0, 595.28, 8, "F")
	y = 48
	pdf.SetTextColor(179, 38, 30)
	if err := text(20, left, fmt.Sprintf("%d 年度电子证照工作考核报告", r.Year)); err != nil {
		return err
	}
	newline(26)
	pdf.SetTextColor(90, 90, 90)
	if err := text(11, left, fmt.Sprintf("Annual assessment report %d · 《上海市电子证照管理办法》第二十九条", r.Year)); err != nil {
		return err
	}
	newline(28)
	pdf.SetTextColor(26, 26, 26)
	if err := text(14, left, r.Unit.Name); err != nil {
		return err
	}
	newline(18)
	pdf.SetTextColor(90, 90, 90)
	if err := text(10, left, "统一社会信用代码 "+r.Unit.Code+"    生成 Generated "+r.GeneratedAt.In(zhengzhao.ChinaTime).Format("2006-01-02 15:04")); err != nil {
		return err
	}
	newline(26)

	section := func(title string) error {
		newline(6)
		pdf.SetTextColor(179, 38, 30)
		if err := text(13, left, title); err != nil {
			return err
		}
		newline(20)
		pdf.SetStrokeColor(179, 38, 30)
		pdf.Line(left, y-4, right, y-4)
		pdf.SetTextColor(26, 26, 26)
		return nil
	}

	// Figures, two columns of label and value.
	if err := section("一、考核指标 Figures"); err != nil {
		return err
	}
	for _, f := range Figures(r.Figures) {
		if err := text(10, left, f.Label); err != nil {
			return err
		}
		if err := text(10, 440, f.Value); err != nil {
			return err
		}
		pdf.SetStrokeColor(217, 214, 204)
		pdf.Line(left, y+15, right, y+15)
		newline(19)
	}

	// Monthly bars of issued licenses.
	if err := section("二、月度发证与用证 Licenses issued and used by month"); err != nil {
		return err
	}
	var peak int64 = 1
	for _, p := range r.Monthly {
		peak = max(peak, p.Issued, p.Used)
	}
	const chartH = 110.0
	if y+chartH+30 > bottom {
		newline(bottom)
	}
	base := y + chartH
	slot := (right - left) / float64(max(len(r.Monthly), 1))
	for i, p := range r.Monthly {
		x := left + float64(i)*slot
		h1 := chartH * float64(p.Issued) / float64(peak)
		h2 := chartH * float64(p.Used) / float64(peak)
		pdf.SetFillColor(179, 38, 30)
		pdf.RectFromUpperLeftWithStyle(x+slot*0.15, base-h1, slot*0.33, h1, "F")
		pdf.SetFillColor(11, 87, 208)
		pdf.RectFromUpperLeftWithStyle(x+slot*0.5, base-h2, slot*0.33, h2, "F")
		y = base + 4
		if err := text(8, x+slot*0.2, p.Period[len(p.Period)-2:]); err != nil {
			return err
		}
	}
	y = base + 18
	pdf.SetFillColor(179, 38, 30)
	pdf.RectFromUpperLeftWithStyle(left, y+2, 8, 8, "F")
	if err := text(9, left+12, "发证 issued"); err != nil {
		return err
	}
	pdf.SetFillColor(11, 87, 208)
	pdf.RectFromUpperLeftWithStyle(left+90, y+2, 8, 8, "F")
	if err := text(9, left+102, "用证 used   (最高 peak "+strconv.FormatInt(peak, 10)+")"); err != nil {
		return err
	}
	newline(22)

	// Staff and checks.
	if err := section("三、责任人 Responsible staff"); err != nil {
		return err
	}
	if len(r.Contacts) == 0 {
		pdf.SetTextColor(166, 27, 27)
		if err := text(10, left, "未登记责任人 No responsible administrator recorded (art. 25)"); err != nil {
			return err
		}
		pdf.SetTextColor(26, 26, 26)
		newline(18)
	}
	for _, c := range r.Contacts {
		if err := text(10, left, c.Name+"  "+c.Title+"  "+c.Phone+"  "+c.Email); err != nil {
			return err
		}
		newline(16)
	}
	if err := section("四、随机抽查 Random checks"); err != nil {
		return err
	}
	if len(r.Checks) == 0 {
		if err := text(10, left, "本年度无抽查 No random checks this year"); err != nil {
			return err
		}
		newline(16)
	}
	for _, c := range r.Checks {
		line := fmt.Sprintf("%s  %s  %s  抽样 %d  复核 %d  不合格 %d", c.CreatedAt.In(zhengzhao.ChinaTime).Format("2006-01-02"),
			c.ID, c.Kind, len(c.Items), c.Reviewed, c.Failed)
		if err := text(10, left, line); err != nil {
			return err
		}
		newline(16)
	}
	if _, err := pdf.WriteTo(w); err != nil {
		return fmt.Errorf("annual report: %w", err)
	}
	return nil
}
