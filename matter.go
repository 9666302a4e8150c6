package zhengzhao

import (
	"regexp"
	"time"
)

// Matter is a service matter (办事事项): something an office handles for an
// applicant, with the materials the applicant must hand in (art. 13).
type Matter struct {
	// Code is the matter's code in the government service catalog
	// (事项编码): 1 to 64 letters, digits, '-', '_' or '.'.
	Code string `json:"code"`
	Name string `json:"name"`
	// Owner is the unified social credit code of the owning unit.
	Owner string `json:"owner"`
	// ApplicantKind is who applies: a person or an organization.
	ApplicantKind HolderKind `json:"applicant_kind"`
	Materials     []Material `json:"materials"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// Material is one required material (申请材料) of a matter.
type Material struct {
	// Key identifies the material within its matter.
	Key  string `json:"key"`
	Name string `json:"name"`
}

var (
	matterCodeRE  = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$`)
	materialKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// Validate checks a matter as submitted.
func (m *Matter) Validate() error {
	fe := newFieldErrors()
	if !matterCodeRE.MatchString(m.Code) {
		fe.add("code", "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	validName(fe, "name", m.Name)
	fe.addErr("owner", ValidateUSCC(m.Owner))
	switch m.ApplicantKind {
	case HolderPerson, HolderOrganization:
	default:
		fe.add("applicant_kind", "must be person or organization")
	}
	if len(m.Materials) == 0 {
		fe.add("materials", "at least one material is required")
	}
	if len(m.Materials) > 100 {
		fe.add("materials", "at most 100 materials")
	}
	seen := map[string]bool{}
	for i, mat := range m.Materials {
		f := fe.at("materials[" + itoa(i) + "]")
		if !materialKeyRE.MatchString(mat.Key) {
			f.add("key", "lower-case letters, digits and '_', starting with a letter, at most 64")
		} else if seen[mat.Key] {
			f.add("key", "duplicate material %s", mat.Key)
		}
		seen[mat.Key] = true
		validName(f, "name", mat.Name)
	}
	return Invalid("invalid matter", fe.errors())
}

// Material returns the material with the key.
func (m *Matter) Material(key string) (Material, bool) {
	for _, mat := range m.Materials {
		if mat.Key == key {
			return mat, true
		}
	}
	return Material{}, false
}

func validName(fe fieldErrors, field, name string) {
	switch n := len([]rune(name)); {
	case name == "":
		fe.add(field, "required")
	case n > 200:
		fe.add(field, "at most 200 characters")
	default:
		if msg := CheckName(name); msg != "" {
			fe.add(field, "%s", msg)
		}
	}
}

// UsageList is a using unit's usage list (用证目录) for one matter: which
// license types replace which required materials (art. 13). A using unit
// may read a holder's license only for a matter on its usage list whose
// list accepts the license's type (art. 15).
type UsageList struct {
	// Unit is the using unit.
	Unit   string `json:"unit"`
	Matter string `json:"matter"`
	// Items map materials to the license types that replace them.
	Items     []UsageItem `json:"items"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// UsageItem says which license types replace one material.
type UsageItem struct {
	Material     string   `json:"material"`
	LicenseTypes []string `json:"license_types"`
}

// Validate checks a usage list against its matter; known reports whether
// a license type code is in the catalog.
func (u *UsageList) Validate(m *Matter, known func(code string) bool) error {
	fe := newFieldErrors()
	fe.addErr("unit", ValidateUSCC(u.Unit))
	if len(u.Items) == 0 {
		fe.add("items", "at least one item is required")
	}
	seen := map[string]bool{}
	for i, it := range u.Items {
		f := fe.at("items[" + itoa(i) + "]")
		if _, ok := m.Material(it.Material); !ok {
			f.add("material", "matter %s has no material %q", m.Code, it.Material)
		} else if seen[it.Material] {
			f.add("material", "duplicate material %s", it.Material)
		}
		seen[it.Material] = true
		if len(it.LicenseTypes) == 0 || len(it.LicenseTypes) > 20 {
			f.add("license_types", "1 to 20 license types")
		}
		for j, c := range it.LicenseTypes {
			if !known(c) {
				f.add("license_types["+itoa(j)+"]", "no license type %s in the catalog", c)
			}
		}
	}
	return Invalid("invalid usage list", fe.errors())
}

// Accepts returns the material keys for which the list accepts licenses
// of the type.
func (u *UsageList) Accepts(licenseType string) []string {
	var out []string
	for _, it := range u.Items {
		for _, c := range it.LicenseTypes {
			if c == licenseType {
				out = append(out, it.Material)
				break
			}
		}
	}
	return out
}
