// Package guardianfake is a fake Protect AI Guardian API for tests and
// `modelgate dev fake-vendor guardian`: the client-credentials token, v1
// and v2 scan submits and polls under /guardian, with FastAPI-style
// errors and scripted faults. A model URI containing "evil" fails with a
// PAIT-PKL-100 violation, one containing "broken" ends in ERROR, anything
// else passes.
package guardianfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelgate/modelgate/scanner/remote/remotefake"
)

// Credentials the fake accepts.
const (
	ClientID     = "guardian-fake-client"
	ClientSecret = "gdn_fake_secret_71c3a9e2"
)

// Call names, for Faults.Call.
const (
	CallToken  = "token"
	CallSubmit = "submit"
	CallPoll   = "poll"
)

// Fake is the fake server.
type Fake struct {
	remotefake.Server
	// TokenLifetime is how long issued tokens live (default 15 minutes).
	TokenLifetime time.Duration
	ids           remotefake.Counter
	polls         remotefake.Polls
	mu            sync.Mutex
	tokens        map[string]bool
	scans         map[string]map[string]any // uuid -> submit body
}

// New returns a fake serving /guardian/v1 and /guardian/v2.
func New() *Fake {
	f := &Fake{tokens: map[string]bool{}, scans: map[string]map[string]any{}}
	f.ErrorBody = func(_ int, msg string) any { return map[string]any{"detail": msg} }
	f.Authorized = func(r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/client_auth/token") {
			return true
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.tokens[remotefake.Bearer(r)]
	}
	for _, v := range []string{"v1", "v2"} {
		f.Handle(CallToken, "POST /guardian/"+v+"/auth/client_auth/token", f.token)
		f.Handle(CallSubmit, "POST /guardian/"+v+"/scans", f.submit(v))
		f.Handle(CallPoll, "GET /guardian/"+v+"/scans/{uuid}", f.poll)
	}
	return f
}

// jwt makes an unsigned JWT whose exp is lifetime from now.
func (f *Fake) jwt() string {
	lifetime := f.TokenLifetime
	if lifetime == 0 {
		lifetime = 15 * time.Minute
	}
	claims, _ := json.Marshal(map[string]any{"sub": ClientID, "exp": time.Now().Add(lifetime).Unix(), "n": f.ids.Int()})
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc(claims) + ".sig"
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if json.Unmarshal(body, &req) != nil || req.ClientID != ClientID || req.ClientSecret != ClientSecret {
		f.Error(w, http.StatusUnauthorized, "invalid client credentials")
		return
	}
	tok := f.jwt()
	f.mu.Lock()
	f.tokens[tok] = true
	f.mu.Unlock()
	remotefake.JSON(w, 200, map[string]any{"access_token": tok, "token_type": "bearer"})
}

func (f *Fake) submit(version string) remotefake.Handler {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req map[string]any
		if json.Unmarshal(body, &req) != nil {
			f.Error(w, 422, "malformed body")
			return
		}
		missing := []string{"model_uri"}
		if version == "v2" {
			missing = append(missing, "security_group_uuid")
		}
		for _, k := range missing {
			if s, _ := req[k].(string); s == "" {
				remotefake.JSON(w, 422, map[string]any{"detail": []any{map[string]any{"loc": []any{"body", k}, "msg": "field required", "type": "value_error.missing"}}})
				return
			}
		}
		id := fmt.Sprintf("c4fb7d8c-0000-4000-8000-%012d", f.ids.Int())
		f.mu.Lock()
		f.scans[id] = req
		f.mu.Unlock()
		status := http.StatusAccepted
		if version == "v2" {
			status = http.StatusCreated
		}
		remotefake.JSON(w, status, map[string]any{"uuid": id, "model_uri": req["model_uri"], "aggregate_eval_outcome": "PENDING"})
	}
}

func (f *Fake) poll(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.PathValue("uuid")
	f.mu.Lock()
	req, ok := f.scans[id]
	f.mu.Unlock()
	if !ok {
		f.Error(w, 404, "Scan not found")
		return
	}
	uri, _ := req["model_uri"].(string)
	if !f.polls.Done(id, f.Faults.Pending) {
		remotefake.JSON(w, 200, map[string]any{"uuid": id, "model_uri": uri, "aggregate_eval_outcome": "PENDING"})
		return
	}
	res := map[string]any{"uuid": id, "model_uri": uri, "aggregate_eval_outcome": "PASS", "violations": []any{},
		"aggregate_eval_summary": map[string]int{"critical_count": 0, "high_count": 0, "medium_count": 0, "low_count": 0}}
	switch {
	case strings.Contains(uri, "broken"):
		res["aggregate_eval_outcome"], res["error_code"], res["error_message"] = "ERROR", "MODEL_FETCH_FAILED", "could not download "+uri
	case strings.Contains(uri, "evil"):
		res["aggregate_eval_outcome"] = "FAIL"
		res["aggregate_eval_summary"] = map[string]int{"critical_count": 1, "high_count": 0, "medium_count": 0, "low_count": 0}
		res["violations"] = []any{map[string]any{
			"issue": "Model contains operator `system` from module `posix`.", "threat": "PAIT-PKL-100",
			"operator": "system", "module": "posix", "file": uri[strings.LastIndex(uri, "/")+1:], "hash": "f59a",
			"threat_description": "Pickle Model Arbitrary Code Execution Detected at Model Load Time",
			"policy_name":        "Load Time Code Execution Check", "severity": "CRITICAL",
			"remediation": map[string]any{"steps": []string{"Use model formats that disallow arbitrary code execution"}}}}
	}
	remotefake.JSON(w, 200, res)
}
