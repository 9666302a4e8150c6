package library_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/notify"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// clock is a settable clock shared by the library and its store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// holderEnv is a library with a driving-licence issuer and two holders.
type holderEnv struct {
	*env
	clock  *clock
	issuer context.Context
	typ    *zhengzhao.LicenseType
	a, b   zhengzhao.Holder
}

func newHolderEnv(tb testing.TB, o library.HolderOptions) *holderEnv {
	tb.Helper()
	dir := tb.TempDir()
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	store := openStore(tb, dir, c.Now)
	ca, _, err := sign.LoadOrCreateCA(dir, "Test", c.Now().Add(-time.Hour))
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
	lib, err := library.New(library.Config{Store: store, CA: ca, Sealer: sealer, LogSigner: s, LogVerifier: v, Now: c.Now, Holder: o})
	if err != nil {
		tb.Fatal(err)
	}
	e := &holderEnv{env: &env{lib: lib, admin: zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorAdmin}), dir: dir}, clock: c}
	e.issuer = e.unit(tb, codeA, "", zhengzhao.RoleIssuer)
	typ := demo.Types[4].LicenseType // 机动车驾驶证, held by people
	typ.Issuers = []string{codeA}
	e.typ = &typ
	if err := lib.Catalog.CreateLicenseType(e.issuer, e.typ); err != nil {
		tb.Fatal(err)
	}
	e.a = zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: zhengzhao.IDTypeResident, ID: demo.ResidentID("310115", time.Date(1948, 3, 1, 0, 0, 0, 0, time.UTC), 12), Name: "王秀英"}
	e.b = zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: zhengzhao.IDTypeResident, ID: demo.ResidentID("310104", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), 31), Name: "李强"}
	return e
}

func (e *holderEnv) issue(tb testing.TB, h zhengzhao.Holder) *zhengzhao.License {
	tb.Helper()
	r := &zhengzhao.IssueRequest{Type: e.typ.Code, Number: h.ID, Holder: h, IssuedOn: "2024-01-02", ValidFrom: "2024-01-02",
		Fields: map[string]any{"gender": "女", "nationality": "中国", "address": "上海市浦东新区张杨路1500号（一个相当长的地址，用来把披露推到摘要里）",
			"birth_date": "1948-03-01", "first_issued_on": "2010-05-06", "vehicle_class": "C1"}}
	lic, err := e.lib.Licenses.IssueLicense(e.issuer, r, "")
	if err != nil {
		tb.Fatal(err)
	}
	return lic
}

func holderCtx(h zhengzhao.Holder) context.Context {
	return zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: h.IDType, HolderID: h.ID})
}

func TestPresentationRoundTrip(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		cases := []struct {
			name                 string
			base                 string
			fields               []string
			wantLicense, wantFld bool
		}{
			{"inline", "http://127.0.0.1:8080", []string{"vehicle_class"}, true, true},
			{"fields by digest", "http://127.0.0.1:8080", []string{"address", "vehicle_class", zhengzhao.ShowHolderName, zhengzhao.ShowValidUntil}, true, false},
			{"both by digest", "https://zwdt.sh.gov.cn/zhengzhao-dianzi-zhengzhao", []string{"address"}, false, false},
			{"nothing chosen", "https://zz.example.gov.cn", nil, true, true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := newHolderEnv(t, library.HolderOptions{BaseURL: c.base})
				lic := e.issue(t, e.a)
				p, err := e.lib.Holders.CreatePresentation(holderCtx(e.a), &zhengzhao.PresentationRequest{License: lic.ID, Fields: c.fields})
				if err != nil {
					t.Fatal(err)
				}
				if len(p.URL) > 213 || !strings.HasPrefix(p.URL, c.base+"/v/") {
					t.Errorf("URL %q has %d bytes; want at most 213 (QR version 10-M) under the base", p.URL, len(p.URL))
				}
				if p.LicenseInline != c.wantLicense || p.FieldsInline != c.wantFld {
					t.Errorf("inline license %v fields %v, want %v %v", p.LicenseInline, p.FieldsInline, c.wantLicense, c.wantFld)
				}
				res, err := e.lib.Holders.VerifyPresentation(context.Background(), p.Token)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Valid || res.Status != zhengzhao.StatusValid || res.License != lic.ID || res.Issuer == nil || res.Issuer.Code != codeA {
					t.Fatalf("verify: %+v", res)
				}
				if len(res.Fields) != len(c.fields) {
					t.Fatalf("shown fields %v, want %v", res.Fields, c.fields)
				}
				for i, f := range res.Fields {
					if f.Key != c.fields[i] || f.Value == "" || f.Label == "" {
						t.Errorf("field %d = %+v", i, f)
					}
				}
				// The token itself names the license and the fields when they fit.
				tok, err := zhengzhao.ParseDisplayToken(p.Token)
				if err != nil {
					t.Fatal(err)
				}
				if c.wantLicense && tok.LicenseID != lic.ID {
					t.Errorf("inline license %q, want %q", tok.LicenseID, lic.ID)
				}
				if strings.Contains(p.URL, e.a.ID) {
					t.Error("the QR URL holds the holder's ID number")
				}
			})
		}
	})
}

func TestPresentationRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newHolderEnv(t, library.HolderOptions{BaseURL: "http://127.0.0.1:8080", TokenTTL: 60 * time.Second})
		lic := e.issue(t, e.a)
		ctx := holderCtx(e.a)
		p, err := e.lib.Holders.CreatePresentation(ctx, &zhengzhao.PresentationRequest{License: lic.ID, Fields: []string{"vehicle_class"}})
		if err != nil {
			t.Fatal(err)
		}
		if res, _ := e.lib.Holders.VerifyPresentation(context.Background(), p.Token); !res.Valid {
			t.Fatalf("the genuine token is refused: %v", res.Reasons)
		}
		raw, err := base64.RawURLEncoding.DecodeString(p.Token)
		if err != nil {
			t.Fatal(err)
		}
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		rng := rand.New(rand.NewPCG(1, 2))
		refused := func(tok, what string) {
			t.Helper()
			res, err := e.lib.Holders.VerifyPresentation(context.Background(), tok)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if res.Valid || len(res.Reasons) == 0 {
				t.Fatalf("%s accepted: %q → %+v", what, tok, res)
			}
		}
		const modified = 9000
		for i := range modified {
			var tok string
			switch i % 6 {
			case 0, 1: // flip one bit of the binary token
				b := append([]byte(nil), raw...)
				b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
				tok = base64.RawURLEncoding.EncodeToString(b)
			case 2: // change one character of the text
				r := []byte(p.Token)
				j := rng.IntN(len(r))
				c := alphabet[rng.IntN(len(alphabet))]
				for c == r[j] {
					c = alphabet[rng.IntN(len(alphabet))]
				}
				r[j] = c
				tok = string(r)
			case 3: // cut it short or make it longer
				if rng.IntN(2) == 0 {
					tok = p.Token[:rng.IntN(len(p.Token))]
				} else {
					tok = p.Token
					for range 1 + rng.IntN(3) {
						tok += string(alphabet[rng.IntN(len(alphabet))])
					}
				}
			case 4: // a forged token: re-signed by a key the CA never certified
				tok = forged(t, raw, rng)
			case 5: // a longer life or another license, keeping the signature
				b := append([]byte(nil), raw...)
				b[6+rng.IntN(4)] += byte(1 + rng.IntN(200)) // the expiry
				tok = base64.RawURLEncoding.EncodeToString(b)
			}
			if tok == p.Token {
				continue
			}
			refused(tok, fmt.Sprintf("modified token %d", i))
		}
		// Replays after expiry: tokens that were genuine, scanned too late.
		var tokens []string
		for range 20 {
			p, err := e.lib.Holders.CreatePresentation(ctx, &zhengzhao.PresentationRequest{License: lic.ID, Fields: []string{"vehicle_class"}})
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, p.Token)
		}
		e.clock.Add(61 * time.Second)
		for i := range 10000 - modified {
			refused(tokens[i%len(tokens)], "replayed token")
		}
		res, _ := e.lib.Holders.VerifyPresentation(context.Background(), tokens[0])
		if res.Checks.NotExpired || !res.Checks.Signature || !strings.Contains(strings.Join(res.Reasons, ";"), "expired") || len(res.Fields) != 0 {
			t.Errorf("a replay after expiry: %+v; want refused as expired, showing nothing", res)
		}
	})
}

// forged re-signs a token's payload with a fresh SM2 key: a forger who
// knows the format but not the library's key.
func forged(t *testing.T, raw []byte, rng *rand.Rand) string {
	t.Helper()
	key, _ := sign.GenerateKey(zhengzhao.AlgSM2SM3)
	s, err := sign.NewSigner(key, "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := zhengzhao.ParseDisplayToken(base64.RawURLEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	tok.Expires = tok.Expires.Add(time.Duration(rng.IntN(3600)) * time.Second)
	if err := sign.SignDisplayToken(s, tok); err != nil {
		t.Fatal(err)
	}
	if rng.IntN(2) == 0 {
		copy(tok.KeyHandle[:], raw[2:6]) // claim the library's key
		p, _ := tok.Payload()
		tok.Signature, _ = s.SignCompact(p)
	}
	out, err := tok.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPresentationLicenseStatus(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newHolderEnv(t, library.HolderOptions{BaseURL: "http://127.0.0.1:8080"})
		lic := e.issue(t, e.a)
		ctx := holderCtx(e.a)
		p, err := e.lib.Holders.CreatePresentation(ctx, &zhengzhao.PresentationRequest{License: lic.ID, Purpose: zhengzhao.PurposePrint})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.lib.Licenses.RevokeLicense(e.issuer, lic.ID, "驾驶证被吊销"); err != nil {
			t.Fatal(err)
		}
		res, err := e.lib.Holders.VerifyPresentation(context.Background(), p.Token)
		if err != nil {
			t.Fatal(err)
		}
		if res.Valid || res.Status != zhengzhao.StatusRevoked || res.RevocationReason != "驾驶证被吊销" || !res.Checks.OnRecord {
			t.Errorf("after revocation: %+v", res)
		}
		_, err = e.lib.Holders.CreatePresentation(ctx, &zhengzhao.PresentationRequest{License: lic.ID})
		if zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			t.Errorf("showing a revoked license: %v, want conflict", err)
		}
	})
}

func TestHolderSeesOnlyOwn(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newHolderEnv(t, library.HolderOptions{})
		licA := e.issue(t, e.a)
		licB := e.issue(t, e.b)
		a, b := holderCtx(e.a), holderCtx(e.b)
		ls, n, _, err := e.lib.Holders.FindHolderLicenses(b, zhengzhao.HolderLicenseFilter{})
		if err != nil || n != 1 || ls[0].ID != licB.ID {
			t.Fatalf("B's wallet: %d licenses %v", n, err)
		}
		if _, err := e.lib.Holders.FindHolderLicense(b, licA.ID); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Errorf("B reads A's license: %v, want not found", err)
		}
		if _, _, _, err := e.lib.Holders.FindHolderUsage(b, licA.ID, zhengzhao.Page{}); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Errorf("B reads A's usage record: %v, want not found", err)
		}
		if _, err := e.lib.Holders.CreatePresentation(b, &zhengzhao.PresentationRequest{License: licA.ID}); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Errorf("B shows A's license: %v, want not found", err)
		}
		msgs, _, _, err := e.lib.Holders.FindInbox(a, zhengzhao.InboxFilter{})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("A's inbox: %v %v", msgs, err)
		}
		if _, err := e.lib.Holders.ReadInboxMessage(b, msgs[0].ID); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Errorf("B reads A's message: %v, want not found", err)
		}
		// The same number under another ID type is another holder.
		other := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: "414", HolderID: e.a.ID})
		if _, n, _, _ := e.lib.Holders.FindHolderLicenses(other, zhengzhao.HolderLicenseFilter{}); n != 0 {
			t.Errorf("a passport holder with A's number sees %d licenses", n)
		}
		if _, _, _, err := e.lib.Holders.FindHolderLicenses(context.Background(), zhengzhao.HolderLicenseFilter{}); zhengzhao.ErrorCode(err) != zhengzhao.EUNAUTHENTICATED {
			t.Errorf("anonymous wallet: %v", err)
		}
		if _, _, _, err := e.lib.Holders.FindHolderLicenses(e.issuer, zhengzhao.HolderLicenseFilter{}); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Errorf("a unit's wallet: %v", err)
		}
		// A's usage record shows the issue and a unit's read, with the unit's name.
		if _, err := e.lib.Licenses.FindLicenseByID(e.issuer, licA.ID); err != nil {
			t.Fatal(err)
		}
		us, _, _, err := e.lib.Holders.FindHolderUsage(a, licA.ID, zhengzhao.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, u := range us {
			actions = append(actions, u.Action)
			if u.Actor == "unit:"+codeA && u.ActorName == "" {
				t.Error("a unit's entry has no unit name")
			}
		}
		if strings.Join(actions, ",") != "license.issue,license.read" {
			t.Errorf("usage record %v", actions)
		}
	})
}

func TestDeliveryInbox(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		var (
			mu    sync.Mutex
			calls []string
			fail  atomic.Int32
		)
		fail.Store(2)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			calls = append(calls, string(b))
			mu.Unlock()
			if fail.Add(-1) >= 0 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
			}
		}))
		defer hook.Close()
		e := newHolderEnv(t, library.HolderOptions{Notifier: &notify.Webhook{URL: hook.URL, Secret: "s"}})
		lic := e.issue(t, e.a)
		u := &zhengzhao.LicenseUpdate{Number: lic.Number, Holder: lic.Holder, IssuedOn: lic.IssuedOn, ValidFrom: lic.ValidFrom, Fields: lic.Fields}
		v2, err := e.lib.Licenses.UpdateLicense(e.issuer, lic.ID, u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.lib.Licenses.RevokeLicense(e.issuer, v2.ID, "持证人申请注销"); err != nil {
			t.Fatal(err)
		}
		a := holderCtx(e.a)
		msgs, n, _, err := e.lib.Holders.FindInbox(a, zhengzhao.InboxFilter{})
		if err != nil || n != 3 {
			t.Fatalf("inbox: %d, %v", n, err)
		}
		want := []string{zhengzhao.DeliveryRevoked, zhengzhao.DeliveryUpdated, zhengzhao.DeliveryIssued}
		for i, m := range msgs {
			if m.Kind != want[i] || m.ReadAt != nil || m.DeliveredAt.IsZero() {
				t.Errorf("message %d: %+v, want kind %s unread", i, m, want[i])
			}
		}
		if msgs[0].Note != "持证人申请注销" || msgs[1].Note != lic.ID {
			t.Errorf("notes %q %q", msgs[0].Note, msgs[1].Note)
		}
		// The delivery time is the commit time of the change: the audit entry's.
		us, _, _, _ := e.lib.Holders.FindHolderUsage(a, lic.ID, zhengzhao.Page{})
		if !us[0].Time.Equal(msgs[2].DeliveredAt) {
			t.Errorf("delivered at %v, issued at %v", msgs[2].DeliveredAt, us[0].Time)
		}
		e.clock.Add(time.Minute)
		m, err := e.lib.Holders.ReadInboxMessage(a, msgs[2].ID)
		if err != nil || m.ReadAt == nil || !m.ReadAt.After(m.DeliveredAt) {
			t.Fatalf("read: %+v %v", m, err)
		}
		first := *m.ReadAt
		e.clock.Add(time.Minute)
		if m, _ = e.lib.Holders.ReadInboxMessage(a, msgs[2].ID); !m.ReadAt.Equal(first) {
			t.Errorf("second reading moved ReadAt to %v", m.ReadAt)
		}

		// Notifications: two failures, then every one goes out; retries wait.
		ctx := context.Background()
		sent, err := e.lib.Holders.SendNotifications(ctx)
		if err != nil || sent != 1 {
			t.Fatalf("first round sent %d, %v; want 1 (two failed)", sent, err)
		}
		if sent, _ = e.lib.Holders.SendNotifications(ctx); sent != 0 {
			t.Errorf("failed notifications retried at once: %d", sent)
		}
		e.clock.Add(time.Minute)
		if sent, _ = e.lib.Holders.SendNotifications(ctx); sent != 2 {
			t.Errorf("retry round sent %d, want 2", sent)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(calls) != 5 || !strings.Contains(calls[0], `"holder":{"id_type":"111"`) {
			t.Errorf("webhook calls: %v", calls)
		}
	})
}

func TestSlowNotifierDoesNotBlockIssuing(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		release := make(chan struct{})
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer hook.Close()
		defer close(release)
		e := newHolderEnv(t, library.HolderOptions{Notifier: &notify.Webhook{URL: hook.URL}})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go e.lib.Holders.RunNotifier(ctx, 10*time.Millisecond)
		start := time.Now()
		for range 5 {
			e.issue(t, e.a)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("issuing 5 licenses with a hanging webhook took %v", d)
		}
	})
}

func TestProxy(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newHolderEnv(t, library.HolderOptions{})
		lic := e.issue(t, e.a)
		sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
		// B signs in and may not act for A yet.
		secret, err := e.lib.Holders.CreateHolderSession(sys, &zhengzhao.HolderSession{Holder: e.b.Ref(), Name: e.b.Name, Method: zhengzhao.SignInDemo}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.lib.Holders.ActFor(context.Background(), secret, e.a.Ref()); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Fatalf("acting without authorization: %v", err)
		}
		if _, err := e.lib.Holders.CreateHolderSession(holderCtx(e.a), &zhengzhao.HolderSession{Holder: e.a.Ref()}, 0); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Errorf("a holder made a session: %v", err)
		}
		// A authorizes B (a family member).
		pa := &zhengzhao.ProxyAuthorization{Proxy: e.b.Ref(), ProxyName: e.b.Name, HolderName: e.a.Name, Relation: zhengzhao.RelationFamily}
		if err := e.lib.Holders.GrantProxy(holderCtx(e.a), pa); err != nil {
			t.Fatal(err)
		}
		s, err := e.lib.Holders.ActFor(context.Background(), secret, e.a.Ref())
		if err != nil {
			t.Fatal(err)
		}
		proxyCtx := zhengzhao.NewContextWithActor(context.Background(), s.Actor())
		if _, err := e.lib.Holders.FindHolderLicense(proxyCtx, lic.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.lib.Holders.CreatePresentation(proxyCtx, &zhengzhao.PresentationRequest{License: lic.ID}); err != nil {
			t.Fatal(err)
		}
		if err := e.lib.Holders.GrantProxy(proxyCtx, &zhengzhao.ProxyAuthorization{Proxy: e.b.Ref(), ProxyName: "x", Relation: zhengzhao.RelationOther}); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Errorf("a proxy passed its authorization on: %v", err)
		}
		us, _, _, err := e.lib.Holders.FindHolderUsage(holderCtx(e.a), lic.ID, zhengzhao.Page{})
		if err != nil {
			t.Fatal(err)
		}
		wantActor := "holder:111:" + e.a.ID + "/proxy:111:" + e.b.ID
		var byProxy []string
		for _, u := range us {
			if u.Actor == wantActor {
				byProxy = append(byProxy, u.Action)
			}
		}
		if strings.Join(byProxy, ",") != "holder.read,presentation.create" {
			t.Errorf("proxy actions in the log: %v (want holder.read, presentation.create by %s)", byProxy, wantActor)
		}
		// A revokes; B's session falls back to B at once.
		if _, err := e.lib.Holders.RevokeProxy(holderCtx(e.a), pa.ID); err != nil {
			t.Fatal(err)
		}
		s, err = e.lib.Holders.AuthenticateHolder(context.Background(), secret)
		if err != nil || !s.ActingFor.IsZero() {
			t.Fatalf("after revocation the session acts for %v (%v)", s.ActingFor, err)
		}
		if _, err := e.lib.Holders.RevokeProxy(holderCtx(e.a), pa.ID); zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			t.Errorf("revoking twice: %v", err)
		}
		// Sessions end.
		e.clock.Add(13 * time.Hour)
		if _, err := e.lib.Holders.AuthenticateHolder(context.Background(), secret); zhengzhao.ErrorCode(err) != zhengzhao.EUNAUTHENTICATED {
			t.Errorf("an expired session: %v", err)
		}
		_ = json.Valid
	})
}

type notifierFunc func(context.Context, *zhengzhao.Notification) error

func (f notifierFunc) Notify(ctx context.Context, n *zhengzhao.Notification) error { return f(ctx, n) }

// TestNotificationErrorsAreStoredAsText sends a batch whose notifier fails
// with a long Chinese error (600 characters, 1,800 bytes), with bytes that
// are not UTF-8 and with a NUL, and succeeds once: every attempt of the
// batch is recorded, the errors as valid text of at most 500 characters,
// so that no notification is claimed again for ever (on PostgreSQL a cut
// character used to abort the batch).
func TestNotificationErrorsAreStoredAsText(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		errs := map[string]error{
			"long":   errors.New(strings.Repeat("错", 600)),
			"binary": errors.New("bad \xff\xfe bytes and a \x00 NUL"),
			"ok":     nil,
		}
		var mu sync.Mutex
		byLicense := map[string]string{} // license → case
		e := newHolderEnv(t, library.HolderOptions{Notifier: notifierFunc(func(_ context.Context, n *zhengzhao.Notification) error {
			mu.Lock()
			defer mu.Unlock()
			return errs[byLicense[n.License]]
		})})
		ids := map[string]string{} // case → license
		for _, c := range []string{"long", "binary", "ok"} {
			lic := e.issue(t, e.a)
			mu.Lock()
			byLicense[lic.ID], ids[c] = c, lic.ID
			mu.Unlock()
		}
		sent, err := e.lib.Holders.SendNotifications(context.Background())
		if err != nil || sent != 1 {
			t.Fatalf("sent %d, %v; want 1 and every failure recorded", sent, err)
		}
		var all []*zhengzhao.Notification
		err = e.lib.Store().View(context.Background(), func(tx zhengzhao.ReadTx) (err error) {
			all, _, err = tx.FindAllNotifications(zhengzhao.Page{Limit: 100})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]*zhengzhao.Notification{}
		for _, n := range all {
			got[byLicense[n.License]] = n
		}
		for c, n := range got {
			if n.Attempts != 1 {
				t.Errorf("%s: %d attempts recorded, want 1", c, n.Attempts)
			}
			if !utf8.ValidString(n.LastError) || strings.ContainsRune(n.LastError, 0) || utf8.RuneCountInString(n.LastError) > 500 {
				t.Errorf("%s: stored error %q is not text of at most 500 characters", c, n.LastError)
			}
		}
		if want := strings.Repeat("错", 500); got["long"].LastError != want {
			t.Errorf("long error stored as %d characters, want the first 500", utf8.RuneCountInString(got["long"].LastError))
		}
		if got["ok"].SentAt == nil || got["ok"].LastError != "" || got["binary"].SentAt != nil || !strings.Contains(got["binary"].LastError, "NUL") {
			t.Errorf("outcomes: ok %+v, binary %+v", got["ok"], got["binary"])
		}
	})
}

// refusingStore is the real store, except that it refuses to record a
// notification whose error contains "refuse-me", as PostgreSQL refused
// text it could not hold: a fault injected into the real store.
type refusingStore struct{ zhengzhao.Store }

func (s refusingStore) Update(ctx context.Context, fn func(zhengzhao.Tx) error) error {
	return s.Store.Update(ctx, func(tx zhengzhao.Tx) error { return fn(refusingTx{tx}) })
}

type refusingTx struct{ zhengzhao.Tx }

func (tx refusingTx) UpdateNotification(n *zhengzhao.Notification) error {
	if strings.Contains(n.LastError, "refuse-me") {
		return zhengzhao.Errorf(zhengzhao.EINVALID, "text refused")
	}
	return tx.Tx.UpdateNotification(n)
}

// TestRefusedNotificationRecordDoesNotStopTheBatch: when the store refuses
// a notification's record, the attempt is recorded on that row without the
// error text, and the rest of the batch is sent and recorded.
func TestRefusedNotificationRecordDoesNotStopTheBatch(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newHolderEnv(t, library.HolderOptions{})
		fail := map[string]error{}
		var mu sync.Mutex
		notifier := notifierFunc(func(_ context.Context, n *zhengzhao.Notification) error {
			mu.Lock()
			defer mu.Unlock()
			return fail[n.License]
		})
		e.lib = e.another(t, func(c *library.Config) {
			c.Store, c.Now, c.Holder = refusingStore{c.Store}, e.clock.Now, library.HolderOptions{Notifier: notifier}
		})
		refused, failed, ok := e.issue(t, e.a), e.issue(t, e.a), e.issue(t, e.a)
		mu.Lock()
		fail[refused.ID], fail[failed.ID] = errors.New("refuse-me"), errors.New("busy")
		mu.Unlock()
		sent, err := e.lib.Holders.SendNotifications(context.Background())
		if err != nil || sent != 1 {
			t.Fatalf("sent %d, %v; want 1, every attempt recorded", sent, err)
		}
		var all []*zhengzhao.Notification
		if err := e.lib.Store().View(context.Background(), func(tx zhengzhao.ReadTx) (err error) {
			all, _, err = tx.FindAllNotifications(zhengzhao.Page{Limit: 100})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{refused.ID: "the error text could not be stored", failed.ID: "busy", ok.ID: ""}
		for _, n := range all {
			if n.Attempts != 1 || n.LastError != want[n.License] || (n.SentAt != nil) != (n.License == ok.ID) {
				t.Errorf("notification of %s: attempts %d, error %q, sent %v; want 1, %q", n.License, n.Attempts, n.LastError, n.SentAt, want[n.License])
			}
		}
	})
}
