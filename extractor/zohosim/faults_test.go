package zohosim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestInjectedErrors(t *testing.T) {
	tests := []struct {
		name   string
		faults Faults
		status int
		code   string
	}{
		{"500 share", Faults{ErrorRate: 1}, 500, "INTERNAL_ERROR"},
		{"429 storm", Faults{TooManyRate: 1}, 429, "TOO_MANY_REQUESTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, Config{Faults: tt.faults})
			c := newClient(t, srv)
			status, body := c.get("/crm/v8/Leads?fields=Email", nil)
			checkError(t, status, body, tt.status, tt.code, nil)
			if err := srv.Sim.SetFaults(Faults{}); err != nil {
				t.Fatal(err)
			}
			if status, _ := c.get("/crm/v8/Leads?fields=Email", nil); status != 200 {
				t.Fatalf("status %d after clearing faults", status)
			}
		})
	}
	t.Run("a share", func(t *testing.T) {
		srv := startServer(t, Config{Faults: Faults{ErrorRate: 0.2}})
		c := newClient(t, srv)
		failed := 0
		for range 200 {
			if status, _ := c.get("/crm/v8/settings/modules", nil); status == 500 {
				failed++
			}
		}
		if failed < 20 || failed > 60 {
			t.Fatalf("%d of 200 calls failed, want about 40", failed)
		}
	})
}

func TestMalformedPage(t *testing.T) {
	srv := startServer(t, Config{Faults: Faults{MalformedModule: "Contacts", MalformedPage: 2}})
	c := newClient(t, srv)
	path := "/crm/v8/Contacts?fields=Email"
	for i, wantValid := range []bool{true, false, true} {
		status, body := c.get(path, nil)
		var v any
		if status != 200 || (json.Unmarshal(body, &v) == nil) != wantValid {
			t.Fatalf("call %d: status %d, valid JSON %v, want valid %v",
				i+1, status, !wantValid, wantValid)
		}
	}
	if srv.Sim.Stats().Malformed != 1 {
		t.Fatal("malformed page not counted")
	}
}

func TestTokenExpiryFaults(t *testing.T) {
	t.Run("after N calls", func(t *testing.T) {
		srv := startServer(t, Config{Faults: Faults{ExpireTokensAfter: 3}})
		c := newClient(t, srv)
		for i := range 3 {
			if status, _ := c.get("/crm/v8/settings/modules", nil); status != 200 {
				t.Fatalf("call %d: %d", i+1, status)
			}
		}
		status, body := c.get("/crm/v8/settings/modules", nil)
		checkError(t, status, body, 401, "INVALID_TOKEN", nil)
		c.refresh()
		if status, _ := c.get("/crm/v8/settings/modules", nil); status != 200 {
			t.Fatalf("after refresh: %d", status)
		}
	})
	t.Run("admin expires now", func(t *testing.T) {
		srv := startServer(t, Config{})
		c := newClient(t, srv)
		status, _, _ := c.do("POST", "/_sim/tokens/expire", nil, nil)
		if status != 200 {
			t.Fatalf("admin call: %d", status)
		}
		status, body := c.get("/crm/v8/settings/modules", nil)
		checkError(t, status, body, 401, "INVALID_TOKEN", nil)
	})
}

func TestPageTokenFaults(t *testing.T) {
	clock := newClock()
	srv := startServer(t, Config{Now: clock.Now})
	c := newClient(t, srv)
	path := "/crm/v8/Leads?fields=Email"
	token := func() string {
		_, body := c.get(path, nil)
		return decodePage(t, body).Info["next_page_token"].(string)
	}
	t.Run("used up", func(t *testing.T) {
		if err := srv.Sim.SetFaults(Faults{PageTokenMaxUses: 1}); err != nil {
			t.Fatal(err)
		}
		tok := token()
		if status, _ := c.get(path+"&page_token="+tok, nil); status != 200 {
			t.Fatalf("first use: %d", status)
		}
		status, body := c.get(path+"&page_token="+tok, nil)
		checkError(t, status, body, 400, "EXPIRED_VALUE", nil)
	})
	t.Run("short lifetime through the admin API", func(t *testing.T) {
		status, body, _ := c.do("PUT", "/_sim/faults",
			strings.NewReader(`{"page_token_ttl":"30s"}`), nil)
		if status != 200 {
			t.Fatalf("admin call: %d %s", status, body)
		}
		if got := srv.Sim.Faults().PageTokenTTL; got != 30*time.Second {
			t.Fatalf("fault ttl %v", got)
		}
		tok := token()
		clock.advance(31 * time.Second)
		status, body = c.get(path+"&page_token="+tok, nil)
		checkError(t, status, body, 400, "EXPIRED_VALUE", nil)
	})
	t.Run("bad fault settings", func(t *testing.T) {
		status, _, _ := c.do("PUT", "/_sim/faults", strings.NewReader(`{"error_rate":2}`), nil)
		if status != 400 {
			t.Fatalf("error_rate 2 accepted: %d", status)
		}
	})
}
