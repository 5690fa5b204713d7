package trigger_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/extractor/internal/metrics"
	"github.com/crmgraph/crmgraph/extractor/internal/testenv"
	"github.com/crmgraph/crmgraph/extractor/internal/trigger"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

const key = "test-key-0123456789"

// server starts the trigger's HTTP API over a test environment whose
// simulator answers in 10 to 20 ms, so that a run lasts a few seconds.
func server(t *testing.T) (*httptest.Server, *trigger.Service) {
	t.Helper()
	reg := app.NewRegistry()
	e := testenv.New(t, testenv.Options{
		Sim: zohosim.Config{Latency: zohosim.Latency{Min: 10 * time.Millisecond,
			Max: 20 * time.Millisecond}},
		Metrics: metrics.New(reg),
	})
	svc := trigger.New(context.Background(), e.Runner, e.NATS.JS, e.Log)
	t.Cleanup(svc.Close)
	mux := app.Mux(reg, func(context.Context) error { return nil })
	svc.Routes(mux, key, func(context.Context) error { return nil })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, svc
}

func call(t *testing.T, method, url, apiKey string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if apiKey != "" {
		req.Header.Set(trigger.APIKeyHeader, apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestTrigger(t *testing.T) {
	srv, svc := server(t)
	sync := srv.URL + "/api/v1/crm-sync"

	for _, tc := range []struct{ name, key string }{{"missing key", ""}, {"wrong key", "nope"},
		{"key prefix", key[:5]}} {
		t.Run(tc.name, func(t *testing.T) {
			if status, _ := call(t, http.MethodPost, sync, tc.key); status != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", status)
			}
		})
	}
	if svc.Current() != nil {
		t.Fatal("a refused request started a run")
	}
	status, body := call(t, http.MethodPost, sync+"?mode=sideways", key)
	if status != http.StatusBadRequest {
		t.Errorf("bad mode: status %d %v, want 400", status, body)
	}

	status, body = call(t, http.MethodPost, sync+"?mode=full", key)
	if status != http.StatusAccepted {
		t.Fatalf("status %d %v, want 202", status, body)
	}
	id, _ := body["run"].(string)
	if id == "" {
		t.Fatalf("no run id in %v", body)
	}
	if status, body := call(t, http.MethodPost, sync, key); status != http.StatusConflict {
		t.Errorf("second trigger during the run: status %d %v, want 409", status, body)
	}
	if status, body := call(t, http.MethodGet, sync+"/"+id, key); status != http.StatusOK ||
		body["state"] != "running" {
		t.Errorf("status during the run: %d %v, want 200 running", status, body)
	}

	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, body = call(t, http.MethodGet, sync+"/"+id, key)
		if body["state"] != "running" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if body["state"] != "extracted" || body["mode"] != "full" {
		t.Fatalf("status after the run: %v, want extracted full", body)
	}
	counts, _ := body["counts"].(map[string]any)
	if counts["fetched"] != float64(58741) || counts["changed"] != float64(58741) {
		t.Errorf("counts %v, want 58741 fetched and changed", counts)
	}

	unknown := sync + "/20200101T000000Z-000000"
	if status, _ := call(t, http.MethodGet, unknown, key); status != http.StatusNotFound {
		t.Errorf("unknown run: status %d, want 404", status)
	}
	if status, _ := call(t, http.MethodGet, sync+"/"+id, "nope"); status != http.StatusUnauthorized {
		t.Errorf("status without the key: %d, want 401", status)
	}
	health := srv.URL + "/api/v1/health"
	if status, body := call(t, http.MethodGet, health, ""); status != http.StatusOK ||
		body["status"] != "ok" {
		t.Errorf("health: %d %v", status, body)
	}
	metricsText := get(t, srv.URL+"/metrics")
	for _, want := range []string{
		`crmgraph_extractor_runs_total{mode="full",result="extracted"} 1`,
		`crmgraph_extractor_records_published_total{module="Contacts",op="upsert"} 16000`,
		`crmgraph_extractor_records_fetched_total{module="Users"} 41`,
		`crmgraph_extractor_zoho_calls_total{kind="records",status="200"}`,
		`crmgraph_extractor_run_duration_seconds_count{mode="full"} 1`,
	} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
