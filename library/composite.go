// Measures art. 17 (一业一证): composite licenses that bundle an industry's permits.

package library

import (
	"context"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// verifyComponents reports the current status of each permit a composite
// license bundles (art. 17). A component that is not valid is named in
// the reasons; the composite's own validity is its own document's.
func (l *core) verifyComponents(ctx context.Context, lic *zhengzhao.License, res *zhengzhao.VerifyResult, now time.Time) error {
	ids := lic.ComponentIDs()
	res.Components = make([]zhengzhao.ComponentStatus, 0, len(ids))
	return l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		for _, id := range ids {
			c := zhengzhao.ComponentStatus{ID: id, Status: zhengzhao.StatusUnknown}
			full, err := tx.FindLicenseByID(id)
			switch {
			case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
			case err != nil:
				return err
			default:
				c.Type, c.TypeName, c.Status = full.Type, full.TypeName, full.StatusAt(now)
			}
			c.Valid = c.Status == zhengzhao.StatusValid
			if !c.Valid {
				res.Reasons = append(res.Reasons, "component "+id+" is "+c.Status)
			}
			res.Components = append(res.Components, c)
		}
		return nil
	})
}
