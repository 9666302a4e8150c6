package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
)

// TestBrowserMatterPages is the administrator's path through the service
// matter pages in a real browser: sign in, see the demo matter with the
// using unit that accepts licenses for its materials, then define a
// matter with a wrong owner code, read the error beside the field, correct
// it and save. The browser's own form posts pass the server's
// cross-origin protection. The matter page is saved as matters.png.
func TestBrowserMatterPages(t *testing.T) {
	ctx := browser(t)
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	m := runDemo(t, nil)
	matter := demo.Matters[0]
	usingUnit := demo.Units[5] // 上海市浦东新区企业服务中心

	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1200, 900),
		chromedp.Navigate(m.URL+"/?lang=zh"),
		chromedp.Navigate(m.URL+"/supervision/matters"), // redirected to the sign-in
		chromedp.WaitVisible("#token"),
		chromedp.SendKeys("#token", testAdminToken),
		chromedp.Submit("#token"),
		chromedp.WaitVisible(".kpis"),
		chromedp.Navigate(m.URL+"/supervision/matters"),
		chromedp.WaitVisible(`a[href="/supervision/matters/`+matter.Code+`"]`),
	)
	if err != nil {
		t.Fatalf("sign in and list: %v", err)
	}
	if body, _ := chromedp.Run(ctx, chromedp.Text("main")); !strings.Contains(body, matter.Name) || !strings.Contains(body, usingUnit.Name) {
		t.Fatalf("the list lacks %s of %s:\n%s", matter.Name, usingUnit.Name, body)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(`th a[href="/supervision/matters/`+matter.Code+`"]`),
		chromedp.WaitVisible("#usage-form"),
	)
	if err != nil {
		t.Fatalf("open the matter: %v", err)
	}
	body, _ := chromedp.Run(ctx, chromedp.Text("main"))
	for _, want := range []string{"原食品经营许可证", "食品经营许可证", "食品安全管理制度文本", "尚无用证目录替代此材料", usingUnit.Name} {
		if !strings.Contains(body, want) {
			t.Errorf("the matter page lacks %q", want)
		}
	}
	screenshot(t, ctx, "matters.png")

	// A new matter: a wrong owner code is named beside its field, and the
	// corrected form saves.
	err = chromedp.Do(ctx,
		chromedp.Navigate(m.URL+"/supervision/matters/new"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "310115-YLQX-0001"),
		chromedp.SendKeys("#name", "第二类医疗器械经营备案"),
		chromedp.SendKeys("#owner", usingUnit.Code[:17]+"0"),
		chromedp.SendKeys(`table.materials tbody tr:first-child input[name="material_key"]`, "business_license"),
		chromedp.SendKeys(`table.materials tbody tr:first-child input[name="material_name"]`, "营业执照"),
		chromedp.Click(`form.useform button[type="submit"]`),
		chromedp.WaitVisible(`#owner[aria-invalid="true"]`),
	)
	if err != nil {
		t.Fatalf("post a bad matter: %v", err)
	}
	if body, _ := chromedp.Run(ctx, chromedp.Text("form.useform")); !strings.Contains(body, "统一社会信用代码校验位错误") {
		t.Fatalf("no error beside the owner field:\n%s", body)
	}
	admin := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorAdmin})
	if _, err := m.Library.Use.FindMatterByCode(admin, "310115-YLQX-0001"); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
		t.Fatalf("the refused form stored the matter: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue("#owner", usingUnit.Code),
		chromedp.Click(`form.useform button[type="submit"]`),
		chromedp.WaitVisible(".verdict.ok"),
	)
	if err != nil {
		t.Fatalf("post the corrected matter: %v", err)
	}
	got, err := m.Library.Use.FindMatterByCode(admin, "310115-YLQX-0001")
	if err != nil || got.Owner != usingUnit.Code || len(got.Materials) != 1 {
		t.Fatalf("saved matter %+v, %v", got, err)
	}
}
