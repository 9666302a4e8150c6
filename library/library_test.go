package library_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// env is a library on a real SQLite store in a temporary directory.
type env struct {
	lib   *library.Services
	admin context.Context
	dir   string
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	dir := tb.TempDir()
	store := openStore(tb, dir, nil)
	ca, _, err := sign.LoadOrCreateCA(dir, "Test", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	sealer, _, err := sign.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		tb.Fatal(err)
	}
	s, v, err := auditlog.LoadOrCreateLogKey(filepath.Join(dir, "log.key"), "test.local/audit")
	if err != nil {
		tb.Fatal(err)
	}
	lib, err := library.New(library.Config{Store: store, CA: ca, Sealer: sealer, LogSigner: s, LogVerifier: v})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{lib: lib, admin: zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorAdmin}), dir: dir}
}

// unit creates a unit and returns a context acting as it.
func (e *env) unit(tb testing.TB, code string, alg string, roles ...zhengzhao.Role) context.Context {
	tb.Helper()
	u := &zhengzhao.Unit{Code: code, Name: "单位" + code[10:14], Roles: roles, Region: "310000", SigningAlg: alg}
	if err := e.lib.Units.CreateUnit(e.admin, u); err != nil {
		tb.Fatal(err)
	}
	return zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: u})
}

var (
	codeA = demo.USCC("11310000MB2F38611")
	codeB = demo.USCC("11310000002416832")
	codeC = demo.USCC("11310000MB2F4T132")
	codeU = demo.USCC("12310115MB2C19817")
)

// bizType is the demo business-license type, issuable by its issuer.
func bizType(issuer string) *zhengzhao.LicenseType {
	t := demo.Types[0].LicenseType
	t.Issuers = []string{issuer}
	return &t
}

func request(typ string, n int) *zhengzhao.IssueRequest {
	return &zhengzhao.IssueRequest{
		Type: typ, Number: fmt.Sprintf("310%012d", n),
		Holder:   zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: "001", ID: "91350100M000100Y43", Name: "上海示例有限公司"},
		IssuedOn: "2024-01-02", ValidFrom: "2024-01-02",
		Fields: map[string]any{"entity_type": "有限责任公司", "legal_representative": "张三", "registered_capital": json.Number("100"),
			"established_on": "2024-01-02", "address": "上海市浦东新区世纪大道1号", "business_scope": "软件开发"},
	}
}

func TestIssueAndVerifyEveryAlgorithm(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		for i, alg := range []string{zhengzhao.AlgSM2SM3, zhengzhao.AlgES256, zhengzhao.AlgEdDSA} {
			t.Run(alg, func(t *testing.T) {
				code := []string{codeA, codeB, codeC}[i]
				ctx := e.unit(t, code, alg, zhengzhao.RoleIssuer)
				typ := bizType(code)
				typ.Code = typ.Code[:18] + fmt.Sprintf("%03d", 100+i)
				if err := e.lib.Catalog.CreateLicenseType(ctx, typ); err != nil {
					t.Fatal(err)
				}
				lic, err := e.lib.Licenses.IssueLicense(ctx, request(typ.Code, i), "")
				if err != nil {
					t.Fatal(err)
				}
				if lic.Proof.Alg != alg {
					t.Fatalf("proof alg %s, want %s", lic.Proof.Alg, alg)
				}
				doc, _ := json.Marshal(lic)
				res, err := e.lib.Licenses.VerifyLicense(context.Background(), doc)
				if err != nil || !res.Valid {
					t.Fatalf("verify: %+v, %v", res, err)
				}
			})
		}
	})
}

func TestWhoMayDoWhat(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		issuer := e.unit(t, codeA, "", zhengzhao.RoleIssuer)
		user := e.unit(t, codeU, "", zhengzhao.RoleUser)
		anon := context.Background()
		typ := bizType(codeA)
		cases := []struct {
			name string
			err  error
			code string
		}{
			{"user unit defines a type", e.lib.Catalog.CreateLicenseType(user, bizType(codeA)), zhengzhao.EFORBIDDEN},
			{"anonymous defines a type", e.lib.Catalog.CreateLicenseType(anon, bizType(codeA)), zhengzhao.EUNAUTHENTICATED},
			{"issuer defines a type", e.lib.Catalog.CreateLicenseType(issuer, typ), ""},
			{"issuer creates a unit", e.lib.Units.CreateUnit(issuer, &zhengzhao.Unit{Code: codeB, Name: "x", Roles: []zhengzhao.Role{"user"}, Region: "310000"}), zhengzhao.EFORBIDDEN},
			{"user unit issues", second(e.lib.Licenses.IssueLicense(user, request(typ.Code, 1), "")), zhengzhao.EFORBIDDEN},
			{"anonymous lists licenses", third(e.lib.Licenses.FindLicenses(anon, zhengzhao.LicenseFilter{})), zhengzhao.EUNAUTHENTICATED},
			{"duplicate unit", e.lib.Units.CreateUnit(e.admin, &zhengzhao.Unit{Code: codeA, Name: "x", Roles: []zhengzhao.Role{"user"}, Region: "310000"}), zhengzhao.ECONFLICT},
		}
		for _, c := range cases {
			if got := zhengzhao.ErrorCode(c.err); got != c.code {
				t.Errorf("%s: code %q, want %q (%v)", c.name, got, c.code, c.err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }
func third[A, B, C any](_ A, _ B, _ C, err error) error {
	return err
}

func TestNonPublicTypeIsHidden(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		issuer := e.unit(t, codeA, "", zhengzhao.RoleIssuer)
		other := e.unit(t, codeB, "", zhengzhao.RoleIssuer)
		typ := bizType(codeA)
		typ.Public = false
		if err := e.lib.Catalog.CreateLicenseType(issuer, typ); err != nil {
			t.Fatal(err)
		}
		if _, err := e.lib.Catalog.FindLicenseTypeByCode(other, typ.Code); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Fatalf("another unit sees a non-public type: %v", err)
		}
		if _, n, _, _ := e.lib.Catalog.FindLicenseTypes(context.Background(), zhengzhao.LicenseTypeFilter{}); n != 0 {
			t.Fatalf("public catalog lists %d non-public types", n)
		}
		if _, n, _, _ := e.lib.Catalog.FindLicenseTypes(issuer, zhengzhao.LicenseTypeFilter{Issuer: &codeA}); n != 1 {
			t.Fatalf("issuer's own catalog lists %d types, want 1", n)
		}
		if _, n, _, _ := e.lib.Catalog.FindLicenseTypes(e.admin, zhengzhao.LicenseTypeFilter{}); n != 1 {
			t.Fatalf("admin catalog lists %d types, want 1", n)
		}
	})
}

// TestConcurrentUpdates: of several concurrent updates of one version,
// exactly one wins; the others conflict and leave no trace.
func TestConcurrentUpdates(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		issuer := e.unit(t, codeA, "", zhengzhao.RoleIssuer)
		if err := e.lib.Catalog.CreateLicenseType(issuer, bizType(codeA)); err != nil {
			t.Fatal(err)
		}
		lic, err := e.lib.Licenses.IssueLicense(issuer, request(bizType(codeA).Code, 1), "")
		if err != nil {
			t.Fatal(err)
		}
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			wins      []string
			conflicts int
		)
		for i := range 8 {
			wg.Go(func() {
				r := request(lic.Type, 1)
				up := &zhengzhao.LicenseUpdate{Number: r.Number, Holder: r.Holder, IssuedOn: r.IssuedOn, ValidFrom: r.ValidFrom, Fields: r.Fields}
				up.Fields["legal_representative"] = fmt.Sprintf("代表%d", i)
				nl, err := e.lib.Licenses.UpdateLicense(issuer, lic.ID, up)
				mu.Lock()
				defer mu.Unlock()
				switch zhengzhao.ErrorCode(err) {
				case "":
					wins = append(wins, nl.ID)
				case zhengzhao.ECONFLICT:
					conflicts++
				default:
					t.Errorf("update: %v", err)
				}
			})
		}
		wg.Wait()
		if len(wins) != 1 || conflicts != 7 {
			t.Fatalf("wins %v, conflicts %d: want exactly one winner", wins, conflicts)
		}
		base := lic.Base()
		if _, n, _, err := e.lib.Licenses.FindLicenses(e.admin, zhengzhao.LicenseFilter{Base: &base}); err != nil || n != 2 {
			t.Fatalf("versions stored: %d (%v), want 2", n, err)
		}
	})
}

// TestForeignCA: a license signed under another library's CA verifies its
// signature but not its issuer.
func TestForeignCA(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ours, theirs := newEnv(t), newEnv(t)
		ctx := theirs.unit(t, codeA, "", zhengzhao.RoleIssuer)
		ours.unit(t, codeA, "", zhengzhao.RoleIssuer) // same code, our own key
		if err := theirs.lib.Catalog.CreateLicenseType(ctx, bizType(codeA)); err != nil {
			t.Fatal(err)
		}
		lic, err := theirs.lib.Licenses.IssueLicense(ctx, request(bizType(codeA).Code, 1), "")
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := json.Marshal(lic)
		res, err := ours.lib.Licenses.VerifyLicense(context.Background(), doc)
		if err != nil {
			t.Fatal(err)
		}
		if res.Valid || res.Checks.IssuerTrusted || !res.Checks.Signature || res.Status != zhengzhao.StatusUnknown {
			t.Fatalf("foreign license: %+v", res)
		}
	})
}

// TestCheckpointsAreConsistent: a later checkpoint extends an earlier one,
// proven by a consistency proof.
func TestCheckpointsAreConsistent(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		issuer := e.unit(t, codeA, "", zhengzhao.RoleIssuer)
		cp1, err := e.lib.Audit.SignCheckpoint(e.admin)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.lib.Catalog.CreateLicenseType(issuer, bizType(codeA)); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			if _, err := e.lib.Licenses.IssueLicense(issuer, request(bizType(codeA).Code, i), ""); err != nil {
				t.Fatal(err)
			}
		}
		cp2, err := e.lib.Audit.SignCheckpoint(e.admin)
		if err != nil {
			t.Fatal(err)
		}
		if cp2.Size != cp1.Size+21 {
			t.Fatalf("checkpoint sizes %d then %d", cp1.Size, cp2.Size)
		}
		p, err := e.lib.Audit.ConsistencyProof(context.Background(), cp1.Size, cp2.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := auditlog.VerifyConsistency(cp1.Size, cp2.Size, p.Hashes, cp1.Root, cp2.Root); err != nil {
			t.Fatalf("consistency %d→%d: %v", cp1.Size, cp2.Size, err)
		}
		again, err := e.lib.Audit.SignCheckpoint(e.admin)
		if err != nil || again.Size != cp2.Size || again.Note != cp2.Note {
			t.Fatalf("re-signing an unchanged log made a new checkpoint: %+v %v", again, err)
		}
	})
}
