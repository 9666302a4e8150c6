package demo

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// USCC completes 17 characters to a unified social credit code with its
// check character. It panics on characters outside the code's alphabet, so
// use it only on constants.
func USCC(first17 string) string {
	c, ok := zhengzhao.USCCCheckChar(first17)
	if !ok {
		panic("demo: bad credit code prefix " + first17)
	}
	return first17 + string(c)
}

// ResidentID completes region (6 digits), birth date and a 3-digit sequence
// to a resident identity number with its check digit.
func ResidentID(region string, birth time.Time, seq int) string {
	s := fmt.Sprintf("%s%s%03d", region, birth.Format("20060102"), seq)
	c, _ := zhengzhao.ResidentIDCheckChar(s)
	return s + string(c)
}

// DemoUnit describes a demo unit.
type DemoUnit struct {
	Code, Name, Region, Alg string
	Roles                   []zhengzhao.Role
}

// Codes of the demo units. Government bodies have registration authority
// "1" and category "1" (机关); enterprises "9" and "1".
var (
	samr        = USCC("11100000MB0143028") // 国家市场监督管理总局 (defines the business license)
	shMarket    = USCC("11310000MB2F38611") // 上海市市场监督管理局
	shHousing   = USCC("11310000002416832") // 上海市住房和城乡建设管理委员会
	shEmergency = USCC("11310000MB2F4T132") // 上海市应急管理局
	shTraffic   = USCC("11310000425013225") // 上海市公安局交通警察总队
	pdCivil     = USCC("11310115002494210") // 上海市浦东新区民政局
	pdCenter    = USCC("12310115MB2C19817") // 上海市浦东新区企业服务中心 (a using unit)
	icbcSH      = USCC("9131000083260130X") // 中国工商银行股份有限公司上海市分行 (a social user)
	mps         = USCC("11100000000013026") // 公安部 (defines the driving licence)
	mca         = USCC("11100000000013219") // 民政部 (defines the marriage certificate)
	mem         = USCC("11100000MB1532467") // 应急管理部 (defines the special-operations certificate)
	mohurd      = USCC("11100000000019701") // 住房和城乡建设部 (defines the construction safety permit)
)

// Units are the demo units.
var Units = []DemoUnit{
	{shMarket, "上海市市场监督管理局", "310000", zhengzhao.AlgSM2SM3, []zhengzhao.Role{zhengzhao.RoleIssuer}},
	{shHousing, "上海市住房和城乡建设管理委员会", "310000", zhengzhao.AlgSM2SM3, []zhengzhao.Role{zhengzhao.RoleIssuer}},
	{shEmergency, "上海市应急管理局", "310000", zhengzhao.AlgES256, []zhengzhao.Role{zhengzhao.RoleIssuer}},
	{shTraffic, "上海市公安局交通警察总队", "310000", zhengzhao.AlgSM2SM3, []zhengzhao.Role{zhengzhao.RoleIssuer, zhengzhao.RoleUser}},
	{pdCivil, "上海市浦东新区民政局", "310115", zhengzhao.AlgEdDSA, []zhengzhao.Role{zhengzhao.RoleIssuer}},
	{pdCenter, "上海市浦东新区企业服务中心", "310115", "", []zhengzhao.Role{zhengzhao.RoleUser}},
	{icbcSH, "中国工商银行股份有限公司上海市分行", "310000", "", []zhengzhao.Role{zhengzhao.RoleSocial}},
}

// DemoType is a demo catalog entry, its issuer and how to fill its face
// fields.
type DemoType struct {
	zhengzhao.LicenseType
	Issuer string
	// Years of validity; 0 means no end.
	Years  int
	fill   func(r *rand.Rand, h zhengzhao.Holder) map[string]any
	number func(r *rand.Rand) string
}

func f(key, label, typ string, required bool, values ...string) zhengzhao.FieldSpec {
	return zhengzhao.FieldSpec{Key: key, Label: label, Type: typ, Required: required, Values: values}
}

// Types are the six demo license types.
var Types = []DemoType{
	{
		LicenseType: zhengzhao.LicenseType{Code: samr + "001", Name: "营业执照", HolderKind: zhengzhao.HolderOrganization,
			Level: zhengzhao.LevelNational, Public: true, CollectSince: "2014-03-01", Issuers: []string{shMarket},
			Fields: []zhengzhao.FieldSpec{
				f("entity_type", "类型", zhengzhao.FieldEnum, true, "有限责任公司", "股份有限公司", "个人独资企业", "合伙企业"),
				f("legal_representative", "法定代表人", zhengzhao.FieldString, true),
				f("registered_capital", "注册资本（万元）", zhengzhao.FieldNumber, true),
				f("established_on", "成立日期", zhengzhao.FieldDate, true),
				f("address", "住所", zhengzhao.FieldString, true),
				f("business_scope", "经营范围", zhengzhao.FieldString, true),
			}},
		Issuer: shMarket,
		fill: func(r *rand.Rand, h zhengzhao.Holder) map[string]any {
			return map[string]any{
				"entity_type":          pick(r, "有限责任公司", "股份有限公司", "个人独资企业", "合伙企业"),
				"legal_representative": personName(r),
				"registered_capital":   json.Number(strconv.Itoa(50 * (1 + r.IntN(200)))),
				"established_on":       date(r, 2000, 2024),
				"address":              address(r),
				"business_scope":       pick(r, "软件开发；信息技术咨询服务", "食品销售；餐饮服务", "货物进出口；技术进出口", "建设工程施工；建筑材料销售"),
			}
		},
		number: func(r *rand.Rand) string { return "310" + digits(r, 12) },
	},
	{
		LicenseType: zhengzhao.LicenseType{Code: samr + "002", Name: "食品经营许可证", HolderKind: zhengzhao.HolderOrganization,
			Level: zhengzhao.LevelNational, Public: true, CollectSince: "2015-10-01", Issuers: []string{shMarket},
			Fields: []zhengzhao.FieldSpec{
				f("legal_representative", "法定代表人（负责人）", zhengzhao.FieldString, true),
				f("premises", "经营场所", zhengzhao.FieldString, true),
				f("main_business", "主体业态", zhengzhao.FieldEnum, true, "食品销售经营者", "餐饮服务经营者", "单位食堂"),
				f("business_items", "经营项目", zhengzhao.FieldString, true),
				f("supervisor", "日常监督管理人员", zhengzhao.FieldString, false),
			}},
		Issuer: shMarket, Years: 5,
		fill: func(r *rand.Rand, h zhengzhao.Holder) map[string]any {
			return map[string]any{
				"legal_representative": personName(r),
				"premises":             address(r),
				"main_business":        pick(r, "食品销售经营者", "餐饮服务经营者", "单位食堂"),
				"business_items":       pick(r, "预包装食品（含冷藏冷冻食品）销售", "热食类食品制售", "冷食类食品制售；生食类食品制售"),
				"supervisor":           personName(r),
			}
		},
		number: func(r *rand.Rand) string { return "JY1310" + digits(r, 10) },
	},
	{
		LicenseType: zhengzhao.LicenseType{Code: mohurd + "001", Name: "建筑施工企业安全生产许可证", HolderKind: zhengzhao.HolderOrganization,
			Level: zhengzhao.LevelNational, Public: true, CollectSince: "2019-01-01", Issuers: []string{shHousing},
			Fields: []zhengzhao.FieldSpec{
				f("legal_representative", "主要负责人", zhengzhao.FieldString, true),
				f("address", "单位地址", zhengzhao.FieldString, true),
				f("economic_type", "经济类型", zhengzhao.FieldEnum, true, "国有企业", "有限责任公司", "股份有限公司", "私营企业"),
				f("scope", "许可范围", zhengzhao.FieldString, true),
			}},
		Issuer: shHousing, Years: 3,
		fill: func(r *rand.Rand, h zhengzhao.Holder) map[string]any {
			return map[string]any{
				"legal_representative": personName(r),
				"address":              address(r),
				"economic_type":        pick(r, "国有企业", "有限责任公司", "股份有限公司", "私营企业"),
				"scope":                "建筑施工",
			}
		},
		number: func(r *rand.Rand) string {
			return "（沪）JZ安许证字[" + strconv.Itoa(2019+r.IntN(6)) + "]" + digits(r, 6)
		},
	},
	{
		LicenseType: zhengzhao.LicenseType{Code: mem + "001", Name: "特种作业操作证", HolderKind: zhengzhao.HolderPerson,
			Level: zhengzhao.LevelNational, Public: true, CollectSince: "2020-01-01", Issuers: []string{shEmergency},
			Fields: []zhengzhao.FieldSpec{
				f("gender", "性别", zhengzhao.FieldEnum, true, "男", "女"),
				f("category", "作业类别", zhengzhao.FieldEnum, true, "电工作业", "焊接与热切割作业", "高处作业", "制冷与空调作业"),
				f("item", "准操项目", zhengzhao.FieldString, true),
				f("first_issued_on", "初领日期", zhengzhao.FieldDate, true),
				f("review_due_on", "应复审日期", zhengzhao.FieldDate, false),
			}},
		Issuer: shEmergency, Years: 6,
		fill: func(r *rand.Rand, h zhengzhao.Holder) map[string]any {
			cat := pick(r, "电工作业", "焊接与热切割作业", "高处作业", "制冷与空调作业")
			items := map[string]string{"电工作业": "低压电工作业", "焊接与热切割作业": "熔化焊接与热切割作业",
				"高处作业": "登高架设作业", "制冷与空调作业": "制冷与空调设备运行操作作业"}
			return map[string]any{
				"gender": genderOf(h.ID), "category": cat, "item": items[cat],
				"first_issued_on": date(r, 2012, 2023), "review_due_on": date(r, 2026, 2028),
			}
		},
		number: func(r *rand.Rand) string { return "T" + digits(r, 17) },
	},
	{
		LicenseType: zhengzhao.LicenseType{Code: mps + "001", Name: "机动车驾驶证", HolderKind: zhengzhao.HolderPerson,
			Level: zhengzhao.LevelNational, Public: true, CollectSince: "2021-06-01", Issuers: []string{shTraffic},
			Fields: []zhengzhao.FieldSpec{
				f("gender", "性别", zhengzhao.FieldEnum, true, "男", "女"),
				f("nationality", "国籍", zhengzhao.FieldString, true),
				f("address", "住址", zhengzhao.FieldString, true),
				f("birth_date", "出生日期", zhengzhao.FieldDate, true),
				f("first_issued_on", "初次领证日期", zhengzhao.FieldDate, true),
				f("vehicle_class", "准驾车型", zhengzhao.FieldEnum, true, "A1", "A2", "B1", "B2", "C1", "C2", "D", "E"),
			}},
		Issuer: shTraffic, Years: 10,
		fill: func(r *rand.Rand, h zhengzhao.Holder) map[string]any {
			return map[string]any{
				"gender": genderOf(h.ID), "nationality": "中国", "address": address(r),
				"birth_date":      h.ID[6:10] + "-" + h.ID[10:12] + "-" + h.ID[12:14],
				"first_issued_on": date(r, 2005, 2022), "vehicle_class": pick(r, "C1", "C1", "C2", "B2", "A2"),
			}
		},
		number: func(r *rand.Rand) string { return "" }, // the licence number is the holder's ID number
	},
	{
		LicenseType: zhengzhao.LicenseType{Code: mca + "001", Name: "结婚证", HolderKind: zhengzhao.HolderPerson,
			Level: zhengzhao.LevelNational, Public: false, CollectSince: "2022-07-01", Issuers: []string{pdCivil},
			Fields: []zhengzhao.FieldSpec{
				f("spouse_name", "配偶姓名", zhengzhao.FieldString, true),
				f("spouse_id", "配偶身份证件号", zhengzhao.FieldString, true),
				f("registered_on", "登记日期", zhengzhao.FieldDate, true),
				f("registry", "登记机关", zhengzhao.FieldString, true),
			}},
		Issuer: pdCivil,
		fill: func(r *rand.Rand, h zhengzhao.Holder) map[string]any {
			return map[string]any{
				"spouse_name": personName(r), "spouse_id": ResidentID(pick(r, regions...), birth(r), r.IntN(1000)),
				"registered_on": date(r, 2022, 2025), "registry": "上海市浦东新区民政局婚姻登记处",
			}
		},
		number: func(r *rand.Rand) string { return "J310115-" + strconv.Itoa(2022+r.IntN(4)) + "-" + digits(r, 6) },
	},
}

// Request generates a realistic issue request of this type: a holder with
// a valid identity number or credit code and a Chinese name, and face
// fields filled as the issuer would.
func (t DemoType) Request(r *rand.Rand) *zhengzhao.IssueRequest { return t.request(r) }

// request generates an issue request of this type.
func (t DemoType) request(r *rand.Rand) *zhengzhao.IssueRequest {
	var h zhengzhao.Holder
	if t.HolderKind == zhengzhao.HolderPerson {
		h = zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: zhengzhao.IDTypeResident,
			ID: ResidentID(pick(r, regions...), birth(r), r.IntN(1000)), Name: personName(r)}
	} else {
		h = zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: zhengzhao.IDTypeUSCC,
			ID: USCC("91" + pick(r, regions...) + codeChars(r, 9)), Name: companyName(r)}
	}
	issued := date(r, 2020, 2025)
	req := &zhengzhao.IssueRequest{Type: t.Code, Number: t.number(r), Holder: h, IssuedOn: issued, ValidFrom: issued, Fields: t.fill(r, h)}
	if req.Number == "" {
		req.Number = h.ID
	}
	if t.Years > 0 {
		from, _ := zhengzhao.ParseDate(issued)
		until := from.AddDate(t.Years, 0, -1).Format(zhengzhao.DateLayout)
		req.ValidUntil = &until
	}
	return req
}

// amend changes one face field, as a correction or a change would.
func (t DemoType) amend(fields map[string]any, r *rand.Rand) map[string]any {
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		out[k] = v
	}
	for _, fs := range t.Fields {
		switch fs.Key {
		case "address", "premises":
			out[fs.Key] = address(r)
			return out
		case "legal_representative":
			out[fs.Key] = personName(r)
			return out
		}
	}
	return out
}

var regions = []string{"310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113", "310115", "310116", "310117", "310118", "310120", "310151"}

var (
	surnames  = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤")
	given     = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕文杰晓东晓明丹萍玉兰红梅婷雪佳琪浩宇子涵欣怡梓轩一诺思远")
	trades    = []string{"科技", "信息技术", "餐饮管理", "贸易", "建设工程", "物流", "文化传媒", "生物医药", "食品", "环保科技"}
	brands    = []string{"浦江", "申城", "东方", "金桥", "张江", "外滩", "静安", "虹桥", "徐汇", "临港", "嘉定", "松江", "宝山", "陆家嘴", "长宁"}
	streets   = []string{"世纪大道", "张杨路", "南京西路", "淮海中路", "肇嘉浜路", "延安西路", "中山北路", "四平路", "长宁路", "沪闵路", "川沙路", "博园路"}
	districts = []string{"浦东新区", "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区", "宝山区", "嘉定区", "松江区"}
)

func pick(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

func personName(r *rand.Rand) string {
	n := string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))])
	if r.IntN(3) > 0 {
		n += string(given[r.IntN(len(given))])
	}
	return n
}

func companyName(r *rand.Rand) string {
	return "上海" + pick(r, brands...) + pick(r, trades...) + pick(r, "有限公司", "股份有限公司", "有限责任公司")
}

func address(r *rand.Rand) string {
	return fmt.Sprintf("上海市%s%s%d号", pick(r, districts...), pick(r, streets...), 1+r.IntN(2000))
}

func birth(r *rand.Rand) time.Time {
	return time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(54*365))
}

func date(r *rand.Rand, fromYear, toYear int) string {
	d := time.Date(fromYear, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(toYear+1, 1, 1, 0, 0, 0, 0, time.UTC).Sub(d).Hours() / 24)
	return d.AddDate(0, 0, r.IntN(days)).Format(zhengzhao.DateLayout)
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

// codeChars draws characters valid in a unified social credit code.
func codeChars(r *rand.Rand, n int) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// genderOf reads the gender from the 17th digit of a resident identity
// number: odd is male.
func genderOf(id string) string {
	if (id[16]-'0')%2 == 1 {
		return "男"
	}
	return "女"
}
