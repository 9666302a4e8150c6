package http

import (
	"context"
	nethttp "net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// Pages of the use area for the administrator (Measures art. 13): the
// service matters with their required materials, and the using units'
// usage lists that say which license types replace each material. They
// live under /supervision, so the administrator's sign-in there
// (supervision_pages.go) opens them and its cookie (Path=/supervision,
// SameSite=Strict) reaches them. Forms post through the same library
// calls as the JSON API (use.go), so the same rules apply and every change
// is audited in its transaction. Cross-site form posts are refused by the
// server's CrossOriginProtection before any handler runs.

// usePageRoutes are the use area's pages.
func (s *Server) usePageRoutes() []route {
	rs := []route{
		{method: "GET", path: "/supervision/matters", page: true, query: withPage("lang", "owner", "saved"), handler: s.handleMattersPage},
		{method: "GET", path: "/supervision/matters/new", page: true, query: []string{"lang"}, handler: s.handleNewMatterPage},
		{method: "POST", path: "/supervision/matters", page: true, handler: s.handleCreateMatterForm},
		{method: "GET", path: "/supervision/matters/{code}", page: true, query: []string{"lang", "unit", "saved"}, handler: s.handleMatterPage},
		{method: "GET", path: "/supervision/matters/{code}/edit", page: true, query: []string{"lang"}, handler: s.handleEditMatterPage},
		{method: "POST", path: "/supervision/matters/{code}", page: true, handler: s.handleUpdateMatterForm},
		{method: "POST", path: "/supervision/matters/{code}/usage-lists", page: true, handler: s.handlePutUsageListForm},
		// The language switch of a form's error page links to its own path.
		{method: "GET", path: "/supervision/matters/{code}/usage-lists", page: true, query: []string{"lang"}, handler: s.handleUsageListsRedirect},
		{method: "POST", path: "/supervision/matters/{code}/usage-lists/{unit}/delete", page: true, handler: s.handleDeleteUsageListForm},
		{method: "GET", path: "/supervision/units/{code}/usage-lists", page: true, query: []string{"lang"}, handler: s.handleUnitUsageListsPage},
	}
	for i := range rs {
		h := rs[i].handler
		rs[i].handler = func(w nethttp.ResponseWriter, r *nethttp.Request) {
			if s.use == nil {
				s.pageError(w, r, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "the use area is not enabled"))
				return
			}
			r, ok := s.adminPage(r)
			if !ok {
				// Nothing is read or changed without the administrator's
				// session: a unit key or a holder session is not enough.
				nethttp.Redirect(w, r, "/supervision/login", nethttp.StatusSeeOther)
				return
			}
			h(w, r)
		}
	}
	return rs
}

// fieldMsg is one error message of a form field, in Chinese and English.
type fieldMsg struct{ ZH, EN string }

// Text is the message in the page's language: Chinese with the English
// after it, or English alone.
func (m fieldMsg) Text(en bool) string {
	if en || m.ZH == "" {
		return m.EN
	}
	return m.ZH + "（" + m.EN + "）"
}

// formErrors are a form's error messages by form field; "" holds the
// messages of the whole form.
type formErrors map[string][]fieldMsg

func (fe formErrors) add(field, msg string) { fe[field] = append(fe[field], zhMessage(msg)) }

// Has reports whether the field has errors, for aria-invalid.
func (fe formErrors) Has(field string) bool { return len(fe[field]) > 0 }

// zhMessages translate the library's field messages for the pages. A
// message without a translation is shown in English only.
var zhMessages = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^required$`), "必填"},
	{regexp.MustCompile(`^1 to 64 letters, digits, '\.', '_' or '-', starting with a letter or digit$`), "1 至 64 位字母、数字、“.”、“_”或“-”，以字母或数字开头"},
	{regexp.MustCompile(`^must be person or organization$`), "须为自然人或法人和其他组织"},
	{regexp.MustCompile(`^at least one material is required$`), "至少填写一项申请材料"},
	{regexp.MustCompile(`^at most 100 materials$`), "至多 100 项申请材料"},
	{regexp.MustCompile(`^lower-case letters, digits and '_', starting with a letter, at most 64$`), "小写字母、数字和“_”，以字母开头，至多 64 位"},
	{regexp.MustCompile(`^duplicate material (.+)$`), "材料 $1 重复"},
	{regexp.MustCompile(`^at most 200 characters$`), "至多 200 个字"},
	{regexp.MustCompile(`^no unit (.+)$`), "没有单位 $1"},
	{regexp.MustCompile(`^unit (.+) is not a using unit$`), "单位 $1 不是用证单位"},
	{regexp.MustCompile(`^at least one item is required$`), "请至少为一项材料选择可替代的证照类型"},
	{regexp.MustCompile(`^matter (.+) has no material "(.+)"$`), "事项 $1 没有材料 $2"},
	{regexp.MustCompile(`^1 to 20 license types$`), "1 至 20 个证照类型"},
	{regexp.MustCompile(`^no license type (.+) in the catalog$`), "目录中没有证照类型 $1"},
	{regexp.MustCompile(`^a unified social credit code has 18 characters$`), "统一社会信用代码为 18 位"},
	{regexp.MustCompile(`^a unified social credit code uses only`), "统一社会信用代码只含数字和大写字母（不含 I、O、S、V、Z）"},
	{regexp.MustCompile(`^characters 3-8 of a unified social credit code are a region code`), "统一社会信用代码第 3–8 位应为行政区划代码"},
	{regexp.MustCompile(`^wrong check character .* in unified social credit code`), "统一社会信用代码校验位错误"},
	{regexp.MustCompile(`^matter (.+) exists$`), "事项编码 $1 已存在"},
	{regexp.MustCompile(`^matter (.+) not found$`), "没有事项 $1"},
	{regexp.MustCompile(`^unit (.+) not found$`), "没有单位 $1"},
	{regexp.MustCompile(`^usage list not found$`), "没有这份用证目录"},
}

func zhMessage(en string) fieldMsg {
	for _, m := range zhMessages {
		if m.re.MatchString(en) {
			return fieldMsg{ZH: m.re.ReplaceAllString(en, m.zh), EN: en}
		}
	}
	return fieldMsg{EN: en}
}

// names are the display names the pages need: units and license types by
// code.
type names struct {
	Units      map[string]string
	Types      map[string]string
	UnitList   []*zhengzhao.Unit
	UsingUnits []*zhengzhao.Unit
	TypeList   []*zhengzhao.LicenseType
}

// Unit returns a unit's name, or its code when it is unknown.
func (n names) Unit(code string) string {
	if v, ok := n.Units[code]; ok {
		return v
	}
	return code
}

// Type returns a license type's name, or its code when it is unknown.
func (n names) Type(code string) string {
	if v, ok := n.Types[code]; ok {
		return v
	}
	return code
}

// loadNames reads the units and the catalog (the administrator sees all
// of both, up to the largest page).
func (s *Server) loadNames(ctx context.Context) (names, error) {
	n := names{Units: map[string]string{}, Types: map[string]string{}}
	us, _, _, err := s.units.FindUnits(ctx, zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}})
	if err != nil {
		return n, err
	}
	for _, u := range us {
		n.Units[u.Code] = u.Name
		if u.HasRole(zhengzhao.RoleUser) {
			n.UsingUnits = append(n.UsingUnits, u)
		}
	}
	n.UnitList = us
	ts, _, _, err := s.catalog.FindLicenseTypes(ctx, zhengzhao.LicenseTypeFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}})
	if err != nil {
		return n, err
	}
	for _, t := range ts {
		n.Types[t.Code] = t.Name
	}
	n.TypeList = ts
	return n, nil
}

// mattersPage is the data of /supervision/matters.
type mattersPage struct {
	Names   names
	Matters []*zhengzhao.Matter
	Total   int
	Next    string
	Owner   string
	Saved   string
}

// NextURL is the link to the next page of the list.
func (d mattersPage) NextURL() string {
	q := url.Values{"cursor": {d.Next}}
	if d.Owner != "" {
		q.Set("owner", d.Owner)
	}
	return "/supervision/matters?" + q.Encode()
}

// handleMattersPage lists the service matters, of one owner when asked.
func (s *Server) handleMattersPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	q := r.URL.Query()
	p := zhengzhao.Page{Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.pageError(w, r, zhengzhao.Invalid("invalid query", []zhengzhao.FieldError{{Field: "limit", Message: "a positive number"}}))
			return
		}
		p.Limit = n
	}
	d := mattersPage{Owner: q.Get("owner"), Saved: q.Get("saved")}
	var err error
	if d.Names, err = s.loadNames(r.Context()); err != nil {
		s.pageError(w, r, err)
		return
	}
	if d.Matters, d.Total, d.Next, err = s.use.FindMatters(r.Context(), d.Owner, p); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.page(w, r, nethttp.StatusOK, "matters", d)
}

// matterForm is the data of the create and edit forms of a matter.
type matterForm struct {
	Names  names
	New    bool
	Matter zhengzhao.Matter
	Rows   []materialRow
	Errors formErrors
}

// materialRow is one material line of the matter form.
type materialRow struct {
	Key, Name string
	Errors    []fieldMsg
}

// emptyRows is how many blank material lines the form offers.
const emptyRows = 3

func newMatterForm(n names, m zhengzhao.Matter, isNew bool) matterForm {
	f := matterForm{Names: n, New: isNew, Matter: m, Errors: formErrors{}}
	for _, mat := range m.Materials {
		f.Rows = append(f.Rows, materialRow{Key: mat.Key, Name: mat.Name})
	}
	for range emptyRows {
		f.Rows = append(f.Rows, materialRow{})
	}
	return f
}

// handleNewMatterPage serves the form that defines a matter.
func (s *Server) handleNewMatterPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	n, err := s.loadNames(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.page(w, r, nethttp.StatusOK, "matter_form", newMatterForm(n, zhengzhao.Matter{ApplicantKind: zhengzhao.HolderOrganization}, true))
}

// handleEditMatterPage serves the form that changes a matter.
func (s *Server) handleEditMatterPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	m, err := s.use.FindMatterByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	n, err := s.loadNames(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.page(w, r, nethttp.StatusOK, "matter_form", newMatterForm(n, *m, false))
}

// parseMatterForm reads a matter from the posted form. Material lines
// left blank are skipped; rows maps each material's index to its line.
func parseMatterForm(r *nethttp.Request) (zhengzhao.Matter, []materialRow, []int) {
	f := r.PostForm
	m := zhengzhao.Matter{
		Code:          strings.TrimSpace(f.Get("code")),
		Name:          strings.TrimSpace(f.Get("name")),
		Owner:         strings.TrimSpace(f.Get("owner")),
		ApplicantKind: zhengzhao.HolderKind(f.Get("applicant_kind")),
	}
	keys, labels := f["material_key"], f["material_name"]
	var lines []materialRow
	var rows []int
	for i := range max(len(keys), len(labels)) {
		var row materialRow
		if i < len(keys) {
			row.Key = strings.TrimSpace(keys[i])
		}
		if i < len(labels) {
			row.Name = strings.TrimSpace(labels[i])
		}
		lines = append(lines, row)
		if row.Key == "" && row.Name == "" {
			continue
		}
		rows = append(rows, len(lines)-1)
		m.Materials = append(m.Materials, zhengzhao.Material{Key: row.Key, Name: row.Name})
	}
	return m, lines, rows
}

// materialFieldRE matches the library's path of a material's field.
var materialFieldRE = regexp.MustCompile(`^materials\[(\d+)\](?:\.(\w+))?$`)

// matterFormErrors places the library's field errors of a matter next to
// the form's fields.
func matterFormErrors(err error, f *matterForm, rows []int) {
	fields := zhengzhao.ErrorFields(err)
	if len(fields) == 0 {
		msg := zhengzhao.ErrorMessage(err)
		if zhengzhao.ErrorCode(err) == zhengzhao.ECONFLICT {
			f.Errors.add("code", msg)
		} else {
			f.Errors.add("", msg)
		}
		return
	}
	for _, fe := range fields {
		if m := materialFieldRE.FindStringSubmatch(fe.Field); m != nil {
			i, _ := strconv.Atoi(m[1])
			if i < len(rows) {
				row := &f.Rows[rows[i]]
				row.Errors = append(row.Errors, columnMsg(m[2], fe.Message))
				continue
			}
		}
		f.Errors.add(fe.Field, fe.Message)
	}
}

// columnMsg translates the message of one column of a form line and
// names the column: "材料名称：必填（name: required）".
func columnMsg(col, msg string) fieldMsg {
	m := zhMessage(msg)
	if col == "" {
		return m
	}
	m.EN = col + ": " + m.EN
	zh := map[string]string{"key": "材料代码", "name": "材料名称", "material": "材料", "license_types": "证照类型"}[strings.SplitN(col, "[", 2)[0]]
	if m.ZH != "" && zh != "" {
		m.ZH = zh + "：" + m.ZH
	}
	return m
}

// matterFormResponse renders the form again with its errors.
func (s *Server) matterFormResponse(w nethttp.ResponseWriter, r *nethttp.Request, m zhengzhao.Matter, lines []materialRow, rows []int, isNew bool, err error) {
	code := zhengzhao.ErrorCode(err)
	if code != zhengzhao.EINVALID && code != zhengzhao.ECONFLICT {
		s.pageError(w, r, err)
		return
	}
	n, nerr := s.loadNames(r.Context())
	if nerr != nil {
		s.pageError(w, r, nerr)
		return
	}
	f := matterForm{Names: n, New: isNew, Matter: m, Rows: lines, Errors: formErrors{}}
	for range emptyRows - min(emptyRows, len(lines)-len(rows)) {
		f.Rows = append(f.Rows, materialRow{})
	}
	matterFormErrors(err, &f, rows)
	status := nethttp.StatusBadRequest
	if code == zhengzhao.ECONFLICT {
		status = nethttp.StatusConflict
	}
	s.page(w, r, status, "matter_form", f)
}

// handleCreateMatterForm defines a matter from the posted form.
func (s *Server) handleCreateMatterForm(w nethttp.ResponseWriter, r *nethttp.Request) {
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, zhengzhao.Errorf(zhengzhao.EINVALID, "cannot read the form"))
		return
	}
	m, lines, rows := parseMatterForm(r)
	if err := s.use.CreateMatter(r.Context(), &m); err != nil {
		s.matterFormResponse(w, r, m, lines, rows, true, err)
		return
	}
	nethttp.Redirect(w, r, "/supervision/matters/"+url.PathEscape(m.Code)+"?saved=matter", nethttp.StatusSeeOther)
}

// handleUpdateMatterForm changes a matter from the posted form.
func (s *Server) handleUpdateMatterForm(w nethttp.ResponseWriter, r *nethttp.Request) {
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, zhengzhao.Errorf(zhengzhao.EINVALID, "cannot read the form"))
		return
	}
	m, lines, rows := parseMatterForm(r)
	m.Code = r.PathValue("code")
	if _, err := s.use.UpdateMatter(r.Context(), &m); err != nil {
		s.matterFormResponse(w, r, m, lines, rows, false, err)
		return
	}
	nethttp.Redirect(w, r, "/supervision/matters/"+url.PathEscape(m.Code)+"?saved=matter", nethttp.StatusSeeOther)
}

// matterPage is the data of /supervision/matters/{code}.
type matterPage struct {
	Names  names
	Matter *zhengzhao.Matter
	// Uses are, per material, the using units whose usage lists accept
	// licenses for it and the types they accept.
	Uses  []materialUse
	Lists []*zhengzhao.UsageList
	Form  usageForm
	Saved string
}

// materialUse is one material of a matter and who accepts what for it.
type materialUse struct {
	Material zhengzhao.Material
	Units    []unitTypes
}

// unitTypes are the license types one unit accepts for a material.
type unitTypes struct {
	Unit  string
	Types []string
}

// usageForm is the form that puts a unit's usage list for the matter.
type usageForm struct {
	Unit   string
	Rows   []usageRow
	Errors formErrors
}

// usageRow is one material of the usage-list form with its choices.
type usageRow struct {
	Material zhengzhao.Material
	Options  []typeOption
	Errors   []fieldMsg
}

// typeOption is one license type offered for a material.
type typeOption struct {
	Code, Name string
	Selected   bool
}

// usageFormFor builds the usage-list form of a matter with the chosen
// types of each material selected.
func usageFormFor(m *zhengzhao.Matter, n names, unit string, chosen map[string][]string) usageForm {
	f := usageForm{Unit: unit, Errors: formErrors{}}
	for _, mat := range m.Materials {
		row := usageRow{Material: mat}
		for _, t := range n.TypeList {
			row.Options = append(row.Options, typeOption{Code: t.Code, Name: t.Name, Selected: slices.Contains(chosen[mat.Key], t.Code)})
		}
		// A chosen code that is not in the catalog stays visible, so the
		// error about it has something to point at.
		for _, c := range chosen[mat.Key] {
			if _, ok := n.Types[c]; !ok {
				row.Options = append(row.Options, typeOption{Code: c, Name: c, Selected: true})
			}
		}
		f.Rows = append(f.Rows, row)
	}
	return f
}

// matterData reads what the matter page shows.
func (s *Server) matterData(ctx context.Context, code string) (matterPage, error) {
	var d matterPage
	m, err := s.use.FindMatterByCode(ctx, code)
	if err != nil {
		return d, err
	}
	d.Matter = m
	if d.Names, err = s.loadNames(ctx); err != nil {
		return d, err
	}
	// The administrator reads every unit's usage lists in one call and
	// keeps this matter's.
	all, err := s.use.FindUsageLists(ctx, "")
	if err != nil {
		return d, err
	}
	for _, u := range all {
		if u.Matter == m.Code {
			d.Lists = append(d.Lists, u)
		}
	}
	for _, mat := range m.Materials {
		mu := materialUse{Material: mat}
		for _, u := range d.Lists {
			for _, it := range u.Items {
				if it.Material == mat.Key {
					mu.Units = append(mu.Units, unitTypes{Unit: u.Unit, Types: it.LicenseTypes})
				}
			}
		}
		d.Uses = append(d.Uses, mu)
	}
	return d, nil
}

// chosenTypes returns a usage list's types by material.
func chosenTypes(u *zhengzhao.UsageList) map[string][]string {
	out := map[string][]string{}
	if u != nil {
		for _, it := range u.Items {
			out[it.Material] = it.LicenseTypes
		}
	}
	return out
}

// handleMatterPage shows a matter, who accepts which license types for
// each of its materials, and the usage-list form (filled with a unit's
// list when ?unit= names one).
func (s *Server) handleMatterPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	d, err := s.matterData(r.Context(), r.PathValue("code"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	unit := r.URL.Query().Get("unit")
	var current *zhengzhao.UsageList
	for _, u := range d.Lists {
		if u.Unit == unit {
			current = u
		}
	}
	d.Form = usageFormFor(d.Matter, d.Names, unit, chosenTypes(current))
	d.Saved = r.URL.Query().Get("saved")
	s.page(w, r, nethttp.StatusOK, "matter", d)
}

// itemFieldRE matches the library's path of a usage-list item's field.
var itemFieldRE = regexp.MustCompile(`^items\[(\d+)\](?:\.(.+))?$`)

// handlePutUsageListForm sets a unit's usage list for the matter from the
// posted form: for each material, the selected license types
// (types.<material key>); materials with none are left out.
func (s *Server) handlePutUsageListForm(w nethttp.ResponseWriter, r *nethttp.Request) {
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, zhengzhao.Errorf(zhengzhao.EINVALID, "cannot read the form"))
		return
	}
	code := r.PathValue("code")
	unit := strings.TrimSpace(r.PostForm.Get("unit"))
	m, err := s.use.FindMatterByCode(r.Context(), code)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	u := &zhengzhao.UsageList{Unit: unit, Matter: code}
	chosen := map[string][]string{}
	var items []string // material key of each item
	for _, mat := range m.Materials {
		var types []string
		for _, c := range r.PostForm["types."+mat.Key] {
			if c = strings.TrimSpace(c); c != "" {
				types = append(types, c)
			}
		}
		if len(types) > 0 {
			chosen[mat.Key] = types
			u.Items = append(u.Items, zhengzhao.UsageItem{Material: mat.Key, LicenseTypes: types})
			items = append(items, mat.Key)
		}
	}
	var fe []zhengzhao.FieldError
	if unit == "" {
		fe = append(fe, zhengzhao.FieldError{Field: "unit", Message: "required"})
	} else if verr := zhengzhao.ValidateUSCC(unit); verr != nil {
		fe = append(fe, zhengzhao.FieldError{Field: "unit", Message: zhengzhao.ErrorMessage(verr)})
	}
	if len(fe) > 0 {
		err = zhengzhao.Invalid("invalid usage list", fe)
	} else {
		_, err = s.use.PutUsageList(r.Context(), u)
	}
	if err == nil {
		nethttp.Redirect(w, r, "/supervision/matters/"+url.PathEscape(code)+"?saved=list&unit="+url.QueryEscape(unit), nethttp.StatusSeeOther)
		return
	}
	switch zhengzhao.ErrorCode(err) {
	case zhengzhao.EINVALID, zhengzhao.ENOTFOUND:
	default:
		s.pageError(w, r, err)
		return
	}
	d, derr := s.matterData(r.Context(), code)
	if derr != nil {
		s.pageError(w, r, derr)
		return
	}
	d.Form = usageFormFor(d.Matter, d.Names, unit, chosen)
	rowOf := map[string]int{}
	for i, mat := range d.Matter.Materials {
		rowOf[mat.Key] = i
	}
	fields := zhengzhao.ErrorFields(err)
	if len(fields) == 0 { // not found: the unit
		d.Form.Errors.add("unit", zhengzhao.ErrorMessage(err))
	}
	for _, f := range fields {
		if mm := itemFieldRE.FindStringSubmatch(f.Field); mm != nil {
			if i, _ := strconv.Atoi(mm[1]); i < len(items) {
				row := &d.Form.Rows[rowOf[items[i]]]
				row.Errors = append(row.Errors, columnMsg(mm[2], f.Message))
				continue
			}
		}
		if f.Field == "items" {
			d.Form.Errors.add("", f.Message)
			continue
		}
		d.Form.Errors.add(f.Field, f.Message)
	}
	s.page(w, r, nethttp.StatusBadRequest, "matter", d)
}

// handleUsageListsRedirect sends a GET of the usage-list form's target to
// the matter page that holds the form.
func (s *Server) handleUsageListsRedirect(w nethttp.ResponseWriter, r *nethttp.Request) {
	nethttp.Redirect(w, r, "/supervision/matters/"+url.PathEscape(r.PathValue("code"))+"#usage-form", nethttp.StatusSeeOther)
}

// handleDeleteUsageListForm removes a unit's usage list for the matter.
func (s *Server) handleDeleteUsageListForm(w nethttp.ResponseWriter, r *nethttp.Request) {
	code := r.PathValue("code")
	if err := s.use.DeleteUsageList(r.Context(), r.PathValue("unit"), code); err != nil {
		s.pageError(w, r, err)
		return
	}
	nethttp.Redirect(w, r, "/supervision/matters/"+url.PathEscape(code)+"?saved=deleted", nethttp.StatusSeeOther)
}

// unitListsPage is the data of /supervision/units/{code}/usage-lists.
type unitListsPage struct {
	Names names
	Unit  *zhengzhao.Unit
	Lists []unitList
}

// unitList is one of a unit's usage lists with its matter's names.
type unitList struct {
	List   *zhengzhao.UsageList
	Matter *zhengzhao.Matter // nil when the matter cannot be read
	Items  []unitListItem
}

// unitListItem is one material of a usage list with its name.
type unitListItem struct {
	Material string
	Name     string
	Types    []string
}

// handleUnitUsageListsPage shows a using unit's usage lists: for each
// matter, which license types replace which material.
func (s *Server) handleUnitUsageListsPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	ctx := r.Context()
	u, err := s.units.FindUnitByCode(ctx, r.PathValue("code"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := unitListsPage{Unit: u}
	if d.Names, err = s.loadNames(ctx); err != nil {
		s.pageError(w, r, err)
		return
	}
	lists, err := s.use.FindUsageLists(ctx, u.Code)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, l := range lists {
		ul := unitList{List: l}
		if m, err := s.use.FindMatterByCode(ctx, l.Matter); err == nil {
			ul.Matter = m
		} else if zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			s.pageError(w, r, err)
			return
		}
		for _, it := range l.Items {
			item := unitListItem{Material: it.Material, Name: it.Material, Types: it.LicenseTypes}
			if ul.Matter != nil {
				if mat, ok := ul.Matter.Material(it.Material); ok {
					item.Name = mat.Name
				}
			}
			ul.Items = append(ul.Items, item)
		}
		d.Lists = append(d.Lists, ul)
	}
	s.page(w, r, nethttp.StatusOK, "usage_lists", d)
}

func init() {
	pageFuncs["inc"] = func(i int) int { return i + 1 }
	// dict passes named values to a partial template:
	// {{template "fielderr" (dict "Msgs" .Errors "EN" $.EN)}}.
	pageFuncs["dict"] = func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m[k] = kv[i+1]
		}
		return m
	}
}
