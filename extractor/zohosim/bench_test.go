package zohosim

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

// BenchmarkNew measures the cold start at scale 1 (target: under 2 s).
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewScale17 measures the cold start at scale 17 (about 1M records) and the
// heap the simulator keeps.
func BenchmarkNewScale17(b *testing.B) {
	var s *Sim
	for b.Loop() {
		s = nil
		runtime.GC()
		var err error
		if s, err = New(Config{Scale: 17}); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
	b.ReportMetric(float64(s.Counts().TotalRecords), "records")
}

// benchPage serves one Get Records call in process and checks it succeeded.
func benchPage(b *testing.B, h http.Handler, token, path string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
	}
	b.SetBytes(int64(rec.Body.Len()))
}

// BenchmarkPage measures a 200-record page of 50 Contacts fields in the instant
// profile, in process (target: well under 10 ms, aim under 3 ms).
func BenchmarkPage(b *testing.B) {
	s, err := New(Config{CreditsPerDay: -1})
	if err != nil {
		b.Fatal(err)
	}
	token, _ := s.auth.issue(s.cfg.Now(), s.cfg.TokenTTL, -1, s.cfg.RefreshWindow)
	path := "/crm/v8/Contacts?per_page=200&fields=" + fieldList(s, "Contacts", 50)
	h := s.Handler()
	for b.Loop() {
		benchPage(b, h, token, path)
	}
}

// BenchmarkPageHTTP measures the same page over a real local HTTP connection.
func BenchmarkPageHTTP(b *testing.B) {
	srv, err := NewServer(Config{CreditsPerDay: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	token, _ := srv.Sim.auth.issue(srv.Sim.cfg.Now(), srv.Sim.cfg.TokenTTL, -1, 0)
	path := "/crm/v8/Contacts?per_page=200&fields=" + fieldList(srv.Sim, "Contacts", 50)
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Zoho-oauthtoken "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%v %v", err, resp)
		}
		n, _ := drain(resp)
		b.SetBytes(n)
	}
}

// drain reads and closes a response body.
func drain(resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	var n int64
	buf := make([]byte, 64<<10)
	for {
		k, err := resp.Body.Read(buf)
		n += int64(k)
		if err != nil {
			return n, nil
		}
	}
}

// BenchmarkCOQL measures a 2000-row keyset COQL page.
func BenchmarkCOQL(b *testing.B) {
	s, err := New(Config{CreditsPerDay: -1})
	if err != nil {
		b.Fatal(err)
	}
	q, apiErr := parseCOQL("select Last_Name, Email, Modified_Time from Contacts where " +
		"(Modified_Time >= '2024-01-01T00:00:00+05:30' and id is not null) " +
		"order by Modified_Time asc, id asc limit 2000")
	if apiErr != nil {
		b.Fatal(apiErr)
	}
	for b.Loop() {
		s.mu.RLock()
		status, _, err := s.runCOQL(q)
		s.mu.RUnlock()
		if err != nil || status != 200 {
			b.Fatal(status, err)
		}
	}
}
