package zhengzhao_test

import (
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

// TestLogRef: a holder's actor becomes a keyed reference without the ID
// number, stable under one key and different under another; public actors
// stay as they are.
func TestLogRef(t *testing.T) {
	k1, k2 := []byte("key one"), []byte("key two")
	holder := zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: "111", HolderID: "11010519491231002X"}.ID()
	r := zhengzhao.LogRef(k1, holder)
	if strings.Contains(r, "11010519491231002X") || !strings.HasPrefix(r, "holder:") || len(r) != len("holder:")+16 {
		t.Fatalf("reference %q", r)
	}
	if zhengzhao.LogRef(k1, holder) != r || zhengzhao.LogRef(k2, holder) == r {
		t.Fatal("references are not stable under one key and distinct under two")
	}
	proxy := zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: "111", HolderID: "11010519491231002X", ProxyIDType: "111", ProxyID: "310115194803010124"}.ID()
	if p := zhengzhao.LogRef(k1, proxy); strings.Contains(p, "3101151948") || p == r {
		t.Fatalf("proxy reference %q", p)
	}
	for _, a := range []string{"unit:91310000MA1FL8XQ30", "admin", "system", "anonymous"} {
		if got := zhengzhao.LogRef(k1, a); got != a {
			t.Errorf("LogRef(%q) = %q", a, got)
		}
	}
}
