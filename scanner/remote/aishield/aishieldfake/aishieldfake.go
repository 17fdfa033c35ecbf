// Package aishieldfake is a fake Bosch AIShield API for tests and
// `modelgate dev fake-vendor aishield`: supply-chain and model-analysis
// registration, presigned multipart uploads (served by the fake itself,
// which checks the form fields, the ZIP and the absence of AIShield
// headers), job start, job_status_detailed and the JSON report, with
// scripted faults. A model containing "system" scores 0.82 with one
// report entry; anything else 0.05.
package aishieldfake

import (
	"bytes"
	"encoding/json"
	"mime"
	"mime/multipart"
	"net/http"
	"sync"

	"github.com/modelgate/modelgate/scanner/remote/remotefake"
)

// Credentials the fake accepts.
const (
	APIKey = "ais_fake_key_0b7d5c3e1f"
	OrgID  = "org-fake-42"
)

// Prefix is where the API is served: the fake's base URL is its address
// followed by Prefix.
const Prefix = "/prod/api/ais/v1.5"

// Call names, for Faults.Call.
const (
	CallRegister = "register"
	CallUpload   = "upload"
	CallStart    = "start"
	CallStatus   = "status"
	CallReport   = "report"
)

// Fake is the fake server.
type Fake struct {
	remotefake.Server
	ids    remotefake.Counter
	polls  remotefake.Polls
	mu     sync.Mutex
	models map[string][]byte // model_id -> uploaded zip
	jobs   map[string]string // job_id -> model_id
}

// New returns a fake.
func New() *Fake {
	f := &Fake{models: map[string][]byte{}, jobs: map[string]string{}}
	f.Authorized = func(r *http.Request) bool {
		if r.URL.Path == "/upload" {
			return r.Header.Get("x-api-key") == "" // presigned: no AIShield headers
		}
		return r.Header.Get("x-api-key") == APIKey && r.Header.Get("Org-Id") == OrgID
	}
	f.Handle(CallRegister, "POST "+Prefix+"/generate_model_id", f.register(false))
	f.Handle(CallRegister, "POST "+Prefix+"/model_registration/upload", f.register(true))
	f.Handle(CallUpload, "POST /upload", f.upload)
	f.Handle(CallStart, "POST "+Prefix+"/supplychain", f.start)
	f.Handle(CallStart, "POST "+Prefix+"/model_analyse/{model_id}", f.start)
	f.Handle(CallStatus, "GET "+Prefix+"/job_status_detailed", f.status)
	f.Handle(CallReport, "GET "+Prefix+"/get_report", f.report)
	return f
}

func origin(r *http.Request) string { return "http://" + r.Host }

func target(r *http.Request, id, kind string) map[string]any {
	return map[string]any{"url": origin(r) + "/upload", "fields": map[string]string{
		"key": "uploads/" + id + "/" + kind + ".zip", "policy": "eyJmYWtlIjp0cnVlfQ==", "x-amz-signature": "fakesig"}}
}

func (f *Fake) register(model bool) remotefake.Handler {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		id := f.ids.Next("model-")
		if !model {
			remotefake.JSON(w, 200, map[string]any{"model_id": id, "artifact_path": target(r, id, "model")})
			return
		}
		var req struct {
			TaskType     string `json:"task_type"`
			AnalysisType string `json:"analysis_type"`
		}
		if json.Unmarshal(body, &req) != nil || req.TaskType == "" || req.AnalysisType == "" {
			f.Error(w, 400, "task_type and analysis_type are required")
			return
		}
		remotefake.JSON(w, 200, map[string]any{"data": map[string]any{"model_id": id, "urls": map[string]any{
			"model_upload_url": target(r, id, "model"), "data_upload_url": target(r, id, "data"), "label_upload_url": target(r, id, "label")}}})
	}
}

func (f *Fake) upload(w http.ResponseWriter, r *http.Request, body []byte) {
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(64 << 20)
	if err != nil || len(form.Value["key"]) != 1 || len(form.Value["policy"]) != 1 || len(form.File["file"]) != 1 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	file, _ := form.File["file"][0].Open()
	var content bytes.Buffer
	content.ReadFrom(file)
	if !bytes.HasPrefix(content.Bytes(), []byte("PK\x03\x04")) {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := form.Value["key"][0] // uploads/<model id>/<kind>.zip
	f.mu.Lock()
	if bytes.HasSuffix([]byte(key), []byte("/model.zip")) {
		f.models[key[len("uploads/"):len(key)-len("/model.zip")]] = content.Bytes()
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (f *Fake) start(w http.ResponseWriter, r *http.Request, body []byte) {
	modelID := r.PathValue("model_id")
	if modelID == "" {
		var req struct {
			ModelID  string `json:"model_id"`
			RepoType string `json:"repo_type"`
		}
		json.Unmarshal(body, &req)
		modelID = req.ModelID
		if req.RepoType != "upload" {
			f.Error(w, 412, "repo_type must be upload")
			return
		}
	}
	f.mu.Lock()
	_, ok := f.models[modelID]
	job := "gAAAAAB+" + modelID + "/fake=="
	f.jobs[job] = modelID
	f.mu.Unlock()
	if !ok {
		f.Error(w, 412, "model not uploaded")
		return
	}
	remotefake.JSON(w, 200, map[string]any{"api_version": "1.5", "job_id": job, "dashboard_link": "https://dashboard.example/" + modelID})
}

// model returns the uploaded model of the job in the query.
func (f *Fake) model(r *http.Request) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.models[f.jobs[r.URL.Query().Get("job_id")]]
	return m, ok
}

func score(model []byte) float64 {
	if bytes.Contains(model, []byte("system")) {
		return 0.82
	}
	return 0.05
}

func (f *Fake) status(w http.ResponseWriter, r *http.Request, _ []byte) {
	model, ok := f.model(r)
	if !ok {
		f.Error(w, 404, "job not found (is job_id URL-encoded?)")
		return
	}
	if !f.polls.Done(r.URL.Query().Get("job_id"), f.Faults.Pending) {
		remotefake.JSON(w, 200, map[string]any{"SupplyChainStatus": "inprogress", "ModelExploration_Status": "completed",
			"VunerabilityEngine_Status": "inprogress", "DefenseReport_Status": "na", "CurrentStatus": "Running"})
		return
	}
	remotefake.JSON(w, 200, map[string]any{"SupplyChainStatus": "completed", "ModelExploration_Status": "completed",
		"SanityCheck_Status": "passed", "VunerabilityEngine_Status": "completed", "DefenseReport_Status": "completed",
		"CurrentStatus": "Completed", "VulnerabiltyScore": score(model)})
}

func (f *Fake) report(w http.ResponseWriter, r *http.Request, _ []byte) {
	model, ok := f.model(r)
	q := r.URL.Query()
	if !ok || q.Get("file_format") != "3" || q.Get("report_type") != "vulnerability" {
		f.Error(w, 412, "bad report parameters")
		return
	}
	entries := []any{}
	if score(model) > 0.5 {
		entries = append(entries, map[string]any{"name": "Unsafe deserialisation", "severity": "HIGH",
			"description": "The model file calls os.system when loaded.", "recommendation": "Use safetensors."})
	}
	remotefake.JSON(w, 200, map[string]any{"report": map[string]any{"vulnerability_score": score(model), "findings": entries}})
}
