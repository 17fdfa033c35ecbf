// Package evalguardfake is a fake EvalGuard API for tests and
// `modelgate dev fake-vendor evalguard`: upload, model-scan submit, poll
// and attestation, with the documented envelopes and error shapes, and
// scripted faults. The verdict is "malicious" when the uploaded bytes
// contain a marker of code execution (system, exec, eval), else "safe".
package evalguardfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/modelgate/modelgate/scanner/remote/remotefake"
)

// APIKey is the key the fake accepts.
const APIKey = "eg_fake_4f1c2b7a9d0e6f35"

// Call names, for Faults.Call.
const (
	CallUpload      = "upload"
	CallSubmit      = "submit"
	CallPoll        = "poll"
	CallAttestation = "attestation"
)

var (
	uuidRE    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	scanTypes = map[string]bool{"pickle": true, "safetensors": true, "backdoor": true, "ml-bom": true}
	markers   = [][]byte{[]byte("system"), []byte("exec"), []byte("eval")}
)

// Fake is the fake server; route it under any prefix ending in /api/v1.
type Fake struct {
	remotefake.Server
	ids    remotefake.Counter
	polls  remotefake.Polls
	mu     sync.Mutex
	models map[string][]byte // model_id -> content
	scans  map[string]string // scan_id -> model_id
}

// New returns a fake with the default routes under /api/v1.
func New() *Fake {
	f := &Fake{models: map[string][]byte{}, scans: map[string]string{}}
	f.Authorized = func(r *http.Request) bool { return remotefake.Bearer(r) == APIKey }
	f.ErrorBody = func(status int, msg string) any {
		return map[string]any{"success": false, "error": map[string]any{"code": codeFor(status), "message": msg, "requestId": "req-fake"}}
	}
	f.Handle(CallUpload, "POST /api/v1/models/upload", f.upload)
	f.Handle(CallSubmit, "POST /api/v1/security/model-scan", f.submit)
	f.Handle(CallPoll, "GET /api/v1/security/model-scan/{id}", f.poll)
	f.Handle(CallAttestation, "GET /api/v1/security/model-scan/{id}/attestation", f.attestation)
	return f
}

func codeFor(status int) string {
	switch status {
	case 400:
		return "VALIDATION_ERROR"
	case 401:
		return "UNAUTHORIZED"
	case 429:
		return "RATE_LIMITED"
	}
	return "INTERNAL_ERROR"
}

func (f *Fake) uuid() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", f.ids.Int())
}

func (f *Fake) upload(w http.ResponseWriter, r *http.Request, body []byte) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		f.Error(w, 400, "multipart/form-data expected")
		return
	}
	form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(64 << 20)
	if err != nil || len(form.File["file"]) == 0 {
		f.Error(w, 400, "file is required")
		return
	}
	fh, _ := form.File["file"][0].Open()
	var content bytes.Buffer
	content.ReadFrom(fh)
	id := f.uuid()
	f.mu.Lock()
	f.models[id] = content.Bytes()
	f.mu.Unlock()
	remotefake.JSON(w, 201, map[string]any{"success": true, "data": map[string]any{"model_id": id, "name": form.Value["name"]}})
}

func (f *Fake) submit(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		ModelID   string   `json:"model_id"`
		ScanTypes []string `json:"scan_types"`
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &req) != nil {
		f.Error(w, 400, "JSON body expected")
		return
	}
	if !uuidRE.MatchString(req.ModelID) {
		f.Error(w, 400, "model_id must be a UUID")
		return
	}
	for _, t := range req.ScanTypes {
		if !scanTypes[t] {
			f.Error(w, 400, "unknown scan type "+t)
			return
		}
	}
	f.mu.Lock()
	_, known := f.models[req.ModelID]
	id := "scan-" + req.ModelID[len(req.ModelID)-4:]
	f.scans[id] = req.ModelID
	f.mu.Unlock()
	if !known {
		f.Error(w, 400, "unknown model_id")
		return
	}
	remotefake.JSON(w, http.StatusAccepted, map[string]any{"scan_id": id}) // bare, as documented
}

func (f *Fake) poll(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.PathValue("id")
	f.mu.Lock()
	content, ok := f.models[f.scans[id]]
	f.mu.Unlock()
	if !ok {
		f.Error(w, 404, "scan not found")
		return
	}
	if !f.polls.Done(id, f.Faults.Pending) {
		remotefake.JSON(w, 200, map[string]any{"success": true, "data": map[string]any{"scan_id": id, "status": "running"}})
		return
	}
	verdict, issues := "safe", []any{}
	for _, m := range markers {
		if bytes.Contains(content, m) {
			verdict = "malicious"
			issues = append(issues, map[string]any{"type": "code-execution", "title": "Pickle calls " + string(m),
				"description": "The pickle imports a callable that runs code on load.", "severity": "CRITICAL", "scan_type": "pickle"})
		}
	}
	remotefake.JSON(w, 200, map[string]any{"success": true, "data": map[string]any{
		"scan_id": id, "status": "completed", "verdict": verdict, "issues": issues}})
}

func (f *Fake) attestation(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.PathValue("id")
	remotefake.JSON(w, 200, map[string]any{"success": true, "data": map[string]any{"scanId": id, "cached": true,
		"attestation": map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []any{}}}})
}
