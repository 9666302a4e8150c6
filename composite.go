package zhengzhao

import "strings"

// Industry composite licenses (行业综合许可证, "一业一证", art. 17): one
// license that bundles several permits. A license type is composite when
// its template has the face field CompositeField; its value lists the
// bundled licenses' IDs, separated by commas. Verifying a composite
// license reports each component's current status.

// CompositeField is the face-field key that makes a license type
// composite.
const CompositeField = "components"

// ComponentStatus is one bundled permit of a composite license as verify
// reports it.
type ComponentStatus struct {
	ID       string `json:"id"`
	Type     string `json:"type,omitempty"`
	TypeName string `json:"type_name,omitempty"`
	// Status is the component's current status (StatusUnknown when the
	// library does not hold it).
	Status string `json:"status"`
	// Valid is true when the component is current and in force.
	Valid bool `json:"valid"`
}

// ComponentIDs returns the bundled license IDs of a composite license, or
// nil when the license is not composite.
func (l *License) ComponentIDs() []string {
	v, ok := l.Fields[CompositeField].(string)
	if !ok {
		return nil
	}
	var ids []string
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
