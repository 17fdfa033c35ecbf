package guardian_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/remote"
	"github.com/modelgate/modelgate/scanner/remote/guardian"
	"github.com/modelgate/modelgate/scanner/remote/guardian/guardianfake"
	"github.com/modelgate/modelgate/scanner/remote/remotefake"
	"github.com/modelgate/modelgate/scanner/scannertest"
)

var pickle = []byte("\x80\x02]q\x00.")

func start(t *testing.T, faults remotefake.Faults, cfg guardian.Config) (*guardianfake.Fake, *guardian.Engine, *remotefake.Waits) {
	t.Helper()
	fake := guardianfake.New()
	fake.Faults = faults
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	tr, waits := remotefake.Transport(0)
	cfg.BaseURL, cfg.ClientID, cfg.ClientSecret = srv.URL, guardianfake.ClientID, guardianfake.ClientSecret
	if cfg.ModelURI == "" && cfg.HFRepo == "" {
		cfg.ModelURI = "s3://models/ci/{path}"
	}
	e, err := guardian.New(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	return fake, e, waits
}

func TestContractV1(t *testing.T) {
	fake, e, waits := start(t, remotefake.Faults{Pending: 2}, guardian.Config{})
	rep, err := e.Scan(context.Background(), scannertest.Input(t, "models/evil.pkl", pickle))
	if err != nil {
		t.Fatal(err)
	}
	tok := fake.Calls(guardianfake.CallToken)
	if len(tok) != 1 || tok[0].Path != "/guardian/v1/auth/client_auth/token" || !strings.Contains(string(tok[0].Body), guardianfake.ClientSecret) {
		t.Errorf("token calls %+v", tok)
	}
	sub := fake.Calls(guardianfake.CallSubmit)
	var body map[string]any
	if len(sub) != 1 || json.Unmarshal(sub[0].Body, &body) != nil || body["model_uri"] != "s3://models/ci/models/evil.pkl" || body["scope"] != "PRIVATE" {
		t.Errorf("submit %s", sub[0].Body)
	}
	if !strings.HasPrefix(sub[0].Header.Get("Authorization"), "Bearer ") {
		t.Errorf("submit headers %v", sub[0].Header)
	}
	if n := len(fake.Calls(guardianfake.CallPoll)); n != 3 || !slices.Equal(waits.All(), []time.Duration{5 * time.Second, 5 * time.Second}) {
		t.Errorf("%d polls, waits %v", n, waits.All())
	}
	if got := scannertest.RuleSet(rep.Findings); !slices.Equal(got, []string{guardian.RuleFailed, guardian.RuleViolation}) || rep.Verdict != "FAIL" {
		t.Fatalf("rules %v verdict %s", got, rep.Verdict)
	}
	for _, f := range rep.Findings {
		if f.RuleID == guardian.RuleViolation && (f.Severity != scanner.SeverityCritical || !strings.Contains(f.Message, "PAIT-PKL-100") || !strings.Contains(f.Message, `operator "system"`)) {
			t.Errorf("violation %+v", f)
		}
	}
}

func TestTokenIsReusedAndRefreshed(t *testing.T) {
	fake, e, _ := start(t, remotefake.Faults{}, guardian.Config{})
	for range 2 {
		if _, err := e.Scan(context.Background(), scannertest.Input(t, "a.pkl", pickle)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fake.Calls(guardianfake.CallToken)); n != 1 {
		t.Errorf("%d token calls for a valid token, want 1", n)
	}
	// A token inside the refresh margin is replaced before every call.
	fake2, e2, _ := start(t, remotefake.Faults{}, guardian.Config{})
	fake2.TokenLifetime = 10 * time.Second
	if _, err := e2.Scan(context.Background(), scannertest.Input(t, "a.pkl", pickle)); err != nil {
		t.Fatal(err)
	}
	if n, calls := len(fake2.Calls(guardianfake.CallToken)), len(fake2.Requests()); n != calls/2 {
		t.Errorf("%d token calls of %d, want one before each API call", n, calls)
	}
}

func TestV2AndHuggingFace(t *testing.T) {
	fake, e, _ := start(t, remotefake.Faults{}, guardian.Config{APIVersion: "v2", SecurityGroup: "sg-1", HFRepo: "org/repo", HFRoot: "checkout", HFRevision: "abc123"})
	rep, err := e.Scan(context.Background(), scannertest.Input(t, "checkout/model.pkl", pickle))
	if err != nil || rep.Verdict != "PASS" || len(rep.Findings) != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
	sub := fake.Calls(guardianfake.CallSubmit)[0]
	var body map[string]any
	json.Unmarshal(sub.Body, &body)
	if sub.Path != "/guardian/v2/scans" || body["model_uri"] != "https://huggingface.co/org/repo" || body["scan_origin"] != "HUGGING_FACE" ||
		body["security_group_uuid"] != "sg-1" || body["revision"] != "abc123" || !slices.Equal(body["allow_patterns"].([]any), []any{"model.pkl"}) {
		t.Errorf("submit %s %s", sub.Path, sub.Body)
	}
}

func TestLocalFileIsNotSent(t *testing.T) {
	fake := guardianfake.New()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	tr, _ := remotefake.Transport(0)
	e, _ := guardian.New(guardian.Config{BaseURL: srv.URL + "/guardian", ClientID: guardianfake.ClientID, ClientSecret: guardianfake.ClientSecret}, tr)
	_, err := e.Scan(context.Background(), scannertest.Input(t, "a.pkl", pickle))
	var ns *remote.NotSentError
	if !errors.As(err, &ns) || len(fake.Requests()) != 0 {
		t.Fatalf("error %v, %d requests", err, len(fake.Requests()))
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		faults     remotefake.Faults
		submits    int
		wantErr    string
	}{
		{"ERROR outcome", "broken.pkl", remotefake.Faults{}, 1, "guardian: scan (- -) ERROR MODEL_FETCH_FAILED: could not download s3://models/ci/broken.pkl"},
		{"bad credentials", "a.pkl", remotefake.Faults{Call: guardianfake.CallToken, Unauthorized: true}, 0, "guardian: get token (POST /guardian/v1/auth/client_auth/token): HTTP 401: invalid or expired credentials"},
		{"429 without a hint backs off", "a.pkl", remotefake.Faults{Call: guardianfake.CallPoll, RateLimited: 2}, 1, ""},
		{"5xx on submit is not retried", "a.pkl", remotefake.Faults{Call: guardianfake.CallSubmit, ServerErrors: 1}, 1, "HTTP 500"},
		{"malformed poll", "a.pkl", remotefake.Faults{Call: guardianfake.CallPoll, Malformed: true}, 1, "malformed response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, e, _ := start(t, tc.faults, guardian.Config{})
			_, err := e.Scan(context.Background(), scannertest.Input(t, tc.file, pickle))
			if n := len(fake.Calls(guardianfake.CallSubmit)); n != tc.submits {
				t.Errorf("%d submits, want %d", n, tc.submits)
			}
			if (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
