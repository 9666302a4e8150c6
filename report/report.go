// Package report renders the supervision area's downloadable documents: the
// public catalog as CSV (Measures art. 7) and a unit's annual assessment
// report as CSV and PDF (art. 29). It is pure rendering of root types; the
// figures come from the library.
//
// CSV files start with a UTF-8 byte order mark, so that Excel (the tool
// most offices open them with) reads the Chinese text correctly.
package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// DefaultFont is where Debian's fonts-lxgw-wenkai package puts a TrueType
// font with both CJK and Latin glyphs.
const DefaultFont = "/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf"

// bom is the UTF-8 byte order mark.
const bom = "\uFEFF"

// levelNames names the standard levels.
var levelNames = map[string]string{
	zhengzhao.LevelNational:  "国家级 national",
	zhengzhao.LevelMunicipal: "市级 municipal",
	zhengzhao.LevelDistrict:  "区级 district",
}

// LevelName returns the bilingual name of a standard level.
func LevelName(level string) string {
	if n, ok := levelNames[level]; ok {
		return n
	}
	return level
}

// holderKinds names the holder kinds.
var holderKinds = map[zhengzhao.HolderKind]string{
	zhengzhao.HolderPerson:       "自然人 person",
	zhengzhao.HolderOrganization: "法人和非法人组织 organization",
}

// WriteCatalogCSV writes the public catalog, one license type per row
// (repeated under each of its issuers), with its face fields' labels.
func WriteCatalogCSV(w io.Writer, c *zhengzhao.PublicCatalog) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := NewCSVWriter(w)
	cw.UseCRLF = true // what Excel writes and expects
	_ = cw.Write([]string{"发证单位 Issuer", "统一社会信用代码 Issuer code", "标准级别 Level", "证照类型代码 Type code",
		"证照名称 Name", "持证主体 Holder kind", "归集起始 Collected since", "照面信息 Face fields", "字段标识 Field keys"})
	for _, is := range c.Issuers {
		for _, lv := range is.Levels {
			for _, t := range lv.Types {
				labels := make([]string, len(t.Fields))
				keys := make([]string, len(t.Fields))
				for i, f := range t.Fields {
					labels[i], keys[i] = f.Label, f.Key
				}
				_ = cw.Write([]string{is.Issuer.Name, is.Issuer.Code, LevelName(lv.Level), t.Code, t.Name,
					holderKinds[t.HolderKind], t.CollectSince, strings.Join(labels, "、"), strings.Join(keys, ";")})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// Figure is one line of a report: a label in both languages and its value.
type Figure struct {
	Label string
	Value string
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }
func num(n int64) string   { return strconv.FormatInt(n, 10) }
func dec(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// Figures returns the figures of a unit in report order.
func Figures(f zhengzhao.UnitFigures) []Figure {
	return []Figure{
		{"发证数量 Licenses issued", num(f.Issued)},
		{"按时归集 Aggregated on time (≤1 working day)", num(f.IssuedOnTime)},
		{"按时归集率 On-time rate", pct(f.OnTimeRate)},
		{"平均归集时长（工作日）Average aggregation lag (working days)", dec(f.AvgLagWorkdays)},
		{"变更 Updated", num(f.Updated)},
		{"注销 Revoked", num(f.Revoked)},
		{"用证次数 Uses", num(f.Used)},
		{"拒绝用证 Refused uses", num(f.Refused)},
		{"收到异议 Objections filed", num(f.ObjectionsFiled)},
		{"已答复异议 Objections answered", num(f.ObjectionsAnswered)},
		{"逾期答复 Answered late", num(f.ObjectionsLate)},
		{"更正 Corrected", num(f.ObjectionsCorrected)},
		{"平均答复时长（工作日）Average answer time (working days)", dec(f.AvgAnswerWorkdays)},
		{"待答复异议 Objections open", num(f.ObjectionsOpen)},
		{"其中逾期 of which overdue", num(f.ObjectionsOverdue)},
		{"抽查复核 Random-check items reviewed", num(f.ChecksReviewed)},
		{"抽查不合格 Random-check items failed", num(f.ChecksFailed)},
		{"目录证照类型 Catalog types", strconv.Itoa(f.CatalogTypes)},
		{"有模板 With a template", strconv.Itoa(f.TypesWithTemplate)},
		{"已归集证照的类型 Types with licenses", strconv.Itoa(f.TypesWithLicenses)},
		{"目录完整度 Catalog completeness", pct(f.CatalogCompleteness)},
		{"责任人 Responsible staff", strconv.Itoa(f.Contacts)},
	}
}

// WriteAnnualCSV writes an annual report: the figures, the monthly series,
// the responsible staff (masked) and the random checks.
func WriteAnnualCSV(w io.Writer, r *zhengzhao.AnnualReport) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := NewCSVWriter(w)
	cw.UseCRLF = true
	row := func(cells ...string) { _ = cw.Write(cells) }
	row(fmt.Sprintf("%d 年度电子证照工作考核报告 Annual assessment %d", r.Year, r.Year))
	row("单位 Unit", r.Unit.Name, r.Unit.Code)
	row("生成时间 Generated", r.GeneratedAt.In(zhengzhao.ChinaTime).Format("2006-01-02 15:04"))
	row()
	row("指标 Figure", "数值 Value")
	for _, f := range Figures(r.Figures) {
		row(f.Label, f.Value)
	}
	row()
	row("月份 Month", "发证 Issued", "用证 Uses", "异议 Objections")
	for _, p := range r.Monthly {
		row(p.Period, num(p.Issued), num(p.Used), num(p.Objections))
	}
	row()
	row("责任人 Responsible staff", "职务 Title", "电话 Phone", "邮箱 Email")
	for _, c := range r.Contacts {
		row(c.Name, c.Title, c.Phone, c.Email)
	}
	row()
	row("抽查 Random check", "类型 Kind", "时间 Created", "抽样 Items", "已复核 Reviewed", "不合格 Failed")
	for _, c := range r.Checks {
		row(c.ID, c.Kind, c.CreatedAt.In(zhengzhao.ChinaTime).Format("2006-01-02"), strconv.Itoa(len(c.Items)),
			strconv.Itoa(c.Reviewed), strconv.Itoa(c.Failed))
	}
	cw.Flush()
	return cw.Error()
}
