// Package demo builds the demo data set of `zhengzhao serve --demo`: a
// catalog of six real-world license types with realistic templates,
// issuing, using and social units with valid unified social credit codes,
// and a few hundred licenses held by people and companies with valid
// identity numbers and Chinese names. The data are generated from a fixed
// seed, so every demo library has the same holders and face fields. The
// history looks like a library's first month (history.go): the back
// catalogue is bulk imported, and this month's licenses are issued mostly
// on time, so that the supervision dashboard shows realistic rates.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Options tune the data set.
type Options struct {
	// Licenses is how many licenses to issue (default 300).
	Licenses int
	// Seed fixes the generated holders and fields (default 2022).
	Seed uint64
}

// Services are the library services the loader calls. Supervision and
// Use are optional: without them the loader leaves their areas empty.
type Services struct {
	Units       zhengzhao.UnitService
	Catalog     zhengzhao.CatalogService
	Licenses    zhengzhao.LicenseService
	Aggregation zhengzhao.AggregationService
	Supervision zhengzhao.SupervisionService
	Use         zhengzhao.UseService
}

// UnitCredential is a demo unit with its API key.
type UnitCredential struct {
	Code  string
	Name  string
	Roles []zhengzhao.Role
	Key   string
}

// Credentials are what the demo prints for the user.
type Credentials struct {
	Units []UnitCredential
	// Licenses lists a few issued license IDs to try.
	Licenses []string
	// Use holds the use area's demo codes when the services include it.
	Use *UseDemo
}

// String renders the credentials for the terminal.
func (c *Credentials) String() string {
	var b strings.Builder
	for _, u := range c.Units {
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(&b, "  %-8s %s %s\n           key: %s\n", strings.Join(roles, ","), u.Code, u.Name, u.Key)
	}
	if len(c.Licenses) > 0 {
		b.WriteString("  sample licenses:\n")
		for _, id := range c.Licenses {
			fmt.Fprintf(&b, "    %s\n", id)
		}
	}
	if c.Use != nil {
		b.WriteString(c.Use.String())
	}
	return b.String()
}

// Load creates the demo units, catalog and licenses. ctx must carry the
// administrator or system actor.
func Load(ctx context.Context, svc Services, o Options) (*Credentials, error) {
	if o.Licenses == 0 {
		o.Licenses = 300
	}
	if o.Seed == 0 {
		o.Seed = 2022
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5a5a))
	creds := &Credentials{}
	units := map[string]*zhengzhao.Unit{}
	for _, du := range Units {
		u := &zhengzhao.Unit{Code: du.Code, Name: du.Name, Roles: du.Roles, Region: du.Region, SigningAlg: du.Alg}
		if err := svc.Units.CreateUnit(ctx, u); err != nil {
			return nil, fmt.Errorf("unit %s: %w", du.Name, err)
		}
		key, _, err := svc.Units.CreateUnitKey(ctx, u.Code)
		if err != nil {
			return nil, fmt.Errorf("key of unit %s: %w", du.Name, err)
		}
		units[u.Code] = u
		creds.Units = append(creds.Units, UnitCredential{Code: u.Code, Name: u.Name, Roles: u.Roles, Key: key})
	}
	for _, t := range Types {
		t := t.LicenseType
		if err := svc.Catalog.CreateLicenseType(ctx, &t); err != nil {
			return nil, fmt.Errorf("license type %s: %w", t.Name, err)
		}
	}

	// Build every request first, from the one random source, then bulk
	// import them as the issuers' back catalogue (history.go).
	reqs := make([]*zhengzhao.IssueRequest, o.Licenses)
	for i := range reqs {
		reqs[i] = Types[i%len(Types)].request(rng)
	}
	issued, err := importHistory(ctx, svc, units, reqs)
	if err != nil {
		return nil, err
	}
	// This month's new licenses, mostly aggregated on time.
	if _, err := issueMonth(ctx, svc, units, o.Seed, time.Now()); err != nil {
		return nil, err
	}

	// Give the demo some history: every 25th license gets a new version,
	// every 40th is revoked.
	for i, lic := range issued {
		uctx := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: units[lic.Issuer.Code]})
		switch {
		case i%25 == 7:
			up := &zhengzhao.LicenseUpdate{Number: lic.Number, Holder: lic.Holder, IssuedOn: time.Now().Format(zhengzhao.DateLayout),
				ValidFrom: lic.ValidFrom, ValidUntil: lic.ValidUntil, Fields: Types[i%len(Types)].amend(lic.Fields, rng)}
			nl, err := svc.Licenses.UpdateLicense(uctx, lic.ID, up)
			if err != nil {
				return nil, fmt.Errorf("update %s: %w", lic.ID, err)
			}
			issued[i] = nl
		case i%40 == 13:
			if _, err := svc.Licenses.RevokeLicense(uctx, lic.ID, "持证主体申请注销"); err != nil {
				return nil, fmt.Errorf("revoke %s: %w", lic.ID, err)
			}
		}
	}
	if svc.Supervision != nil {
		if err := loadSupervision(ctx, svc.Licenses, svc.Supervision, units, issued, rng); err != nil {
			return nil, err
		}
	}
	if svc.Use != nil {
		var err error
		if creds.Use, err = loadUse(ctx, svc.Licenses, svc.Use, units, issued, rng); err != nil {
			return nil, err
		}
	}
	for i := 0; i < len(Types) && i < len(issued); i++ {
		creds.Licenses = append(creds.Licenses, issued[i].ID)
	}
	return creds, nil
}
