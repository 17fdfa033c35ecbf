// Package evalguard scans model artifacts with EvalGuard's model scan:
// upload the artifact to obtain a model_id, POST
// /security/model-scan with the scan types, poll the scan until it ends,
// map the verdict and issues to findings, and optionally save the
// CycloneDX attestation.
//
// The upload route, the poll route, the status names and the findings
// schema are not documented ([I] in vendor-apis.md): the routes are
// configurable, and the answer is read tolerantly (bare or {success, data}
// envelopes; issues or findings; snake or camel case). The submit is never
// retried after a 5xx or a timeout, only after a 429.
package evalguard

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/remote"
)

// Vendor is the engine's name in --engine and findings.
const Vendor = "evalguard"

// Rule IDs.
const (
	RuleMalicious  = "MG6101"
	RuleSuspicious = "MG6102"
	RuleIssue      = "MG6103"
)

// Config configures the engine. Paths are relative to BaseURL; {scan_id}
// is replaced by the scan's id.
type Config struct {
	// BaseURL is the API base (default https://evalguard.ai/api/v1). A
	// bare origin or a base ending in /api gets /api/v1 or /v1 appended,
	// as the SDKs do.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer <key>".
	APIKey string
	// UploadPath registers the artifact (multipart field "file") and
	// answers its model_id. Undocumented: default "/models/upload".
	UploadPath string
	// ScanPath submits the scan (default "/security/model-scan").
	ScanPath string
	// PollPath reads a scan (undocumented: default
	// "/security/model-scan/{scan_id}").
	PollPath string
	// AttestationPath reads the CycloneDX attestation (default
	// "/security/model-scan/{scan_id}/attestation").
	AttestationPath string
	// ScanTypes overrides the scan types chosen from the format.
	ScanTypes []string
	// PollInterval is the wait between polls (default 5s).
	PollInterval time.Duration
	// AttestationDir, when set, receives each scan's CycloneDX
	// attestation as <file>.cdx.json.
	AttestationDir string
}

// Defaults are the documented defaults of Config.
var Defaults = Config{
	BaseURL:         "https://evalguard.ai/api/v1",
	UploadPath:      "/models/upload",
	ScanPath:        "/security/model-scan",
	PollPath:        "/security/model-scan/{scan_id}",
	AttestationPath: "/security/model-scan/{scan_id}/attestation",
	PollInterval:    5 * time.Second,
}

// Engine is the EvalGuard engine.
type Engine struct {
	cfg    Config
	client *remote.Client
}

var _ remote.Engine = (*Engine)(nil)

// New returns an engine; the API key is registered as a secret.
func New(cfg Config, t remote.Transport) (*Engine, error) {
	cfg.BaseURL = normaliseBase(cmp.Or(cfg.BaseURL, Defaults.BaseURL))
	cfg.UploadPath = cmp.Or(cfg.UploadPath, Defaults.UploadPath)
	cfg.ScanPath = cmp.Or(cfg.ScanPath, Defaults.ScanPath)
	cfg.PollPath = cmp.Or(cfg.PollPath, Defaults.PollPath)
	cfg.AttestationPath = cmp.Or(cfg.AttestationPath, Defaults.AttestationPath)
	cfg.PollInterval = cmp.Or(cfg.PollInterval, Defaults.PollInterval)
	if cfg.APIKey == "" {
		return nil, fmt.Errorf("%s: no API key (set EVALGUARD_API_KEY)", Vendor)
	}
	c, err := t.Client(Vendor, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c.Secrets.Add(cfg.APIKey)
	c.Auth = func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+cfg.APIKey)
		return nil
	}
	return &Engine{cfg: cfg, client: c}, nil
}

// normaliseBase turns an origin or an .../api base into .../api/v1.
func normaliseBase(base string) string {
	base = strings.TrimSuffix(base, "/")
	switch {
	case strings.HasSuffix(base, "/api"):
		return base + "/v1"
	case strings.Count(base, "/") == 2: // scheme://host
		return base + "/api/v1"
	}
	return base
}

// Vendor implements remote.Engine.
func (*Engine) Vendor() string { return Vendor }

// Accepts implements remote.Engine: model artifacts and containers.
func (*Engine) Accepts(f *scanner.File) bool {
	return f.Sniff.Format != format.Unknown && f.Sniff.Format != format.Text
}

// Scan implements remote.Engine.
func (e *Engine) Scan(ctx context.Context, in *scanner.Input) (remote.Report, error) {
	modelID, err := e.upload(ctx, in)
	if err != nil {
		return remote.Report{}, err
	}
	scanID, err := e.submit(ctx, modelID, e.scanTypes(in.Sniff))
	if err != nil {
		return remote.Report{Sent: true}, err
	}
	res, err := e.wait(ctx, scanID)
	if err != nil {
		return remote.Report{Sent: true}, err
	}
	rep := remote.Report{Sent: true, Verdict: cmp.Or(strings.ToLower(res.Verdict), res.Status), Findings: findings(in, res)}
	if e.cfg.AttestationDir != "" {
		rep.Notes = append(rep.Notes, e.saveAttestation(ctx, in.Path, scanID))
	}
	return rep, nil
}

// upload registers the artifact and returns its model_id.
func (e *Engine) upload(ctx context.Context, in *scanner.Input) (string, error) {
	body, err := remote.NewMultipart([]remote.Field{{Name: "name", Value: path.Base(in.Path)}, {Name: "format", Value: string(in.Sniff.Format)}},
		"file", path.Base(in.Path), in.R, in.Size)
	if err != nil {
		return "", err
	}
	var out struct {
		ModelID      string `json:"model_id"`
		ModelIDCamel string `json:"modelId"`
		ID           string `json:"id"`
	}
	call := remote.Call{Name: "upload model", Method: http.MethodPost, Path: e.cfg.UploadPath, Body: body.Body,
		ContentType: body.ContentType, IdempotencyKey: true}
	if err := e.client.JSON(ctx, call, &out); err != nil {
		return "", err
	}
	id := cmp.Or(out.ModelID, out.ModelIDCamel, out.ID)
	if id == "" {
		return "", e.client.Malformed(call, "no model_id in the upload answer")
	}
	return id, nil
}

// submit starts the scan. The route does not honour Idempotency-Key, so a
// 5xx or timeout is not retried: it may have created the scan.
func (e *Engine) submit(ctx context.Context, modelID string, types []string) (string, error) {
	var out struct {
		ScanID      string `json:"scan_id"`
		ScanIDCamel string `json:"scanId"`
		ID          string `json:"id"`
	}
	call := remote.Call{Name: "submit scan", Method: http.MethodPost, Path: e.cfg.ScanPath,
		JSON: map[string]any{"model_id": modelID, "scan_types": types}}
	if err := e.client.JSON(ctx, call, &out); err != nil {
		return "", err
	}
	id := cmp.Or(out.ScanID, out.ScanIDCamel, out.ID)
	if id == "" {
		return "", e.client.Malformed(call, "no scan_id in the answer")
	}
	return id, nil
}

// scanTypes are the configured ones, or those that fit the format; ml-bom
// is added when the attestation is wanted.
func (e *Engine) scanTypes(s format.Sniff) []string {
	if len(e.cfg.ScanTypes) > 0 {
		return e.cfg.ScanTypes
	}
	var types []string
	switch {
	case s.Is(format.Safetensors):
		types = []string{"safetensors"}
	case s.Is(format.Pickle), s.Is(format.Zip), s.Format == format.NumPy:
		types = []string{"pickle"}
	default:
		types = []string{"backdoor"}
	}
	if e.cfg.AttestationDir != "" {
		types = append(types, "ml-bom")
	}
	return types
}

// wait polls the scan until its status is terminal.
func (e *Engine) wait(ctx context.Context, scanID string) (*result, error) {
	call := remote.Call{Name: "poll scan", Method: http.MethodGet, Path: remote.Expand(e.cfg.PollPath, map[string]string{"scan_id": scanID})}
	return remote.PollJSON(ctx, e.client, call, e.cfg.PollInterval, (*result).done)
}

// saveAttestation writes the scan's CycloneDX attestation and says so.
func (e *Engine) saveAttestation(ctx context.Context, file, scanID string) string {
	var out struct {
		Attestation json.RawMessage `json:"attestation"`
	}
	call := remote.Call{Name: "fetch attestation", Method: http.MethodGet, Idempotent: true,
		Path: remote.Expand(e.cfg.AttestationPath, map[string]string{"scan_id": scanID})}
	err := e.client.JSON(ctx, call, &out)
	if err == nil && len(out.Attestation) == 0 {
		err = fmt.Errorf("the answer holds no attestation")
	}
	dest := filepath.Join(e.cfg.AttestationDir, strings.NewReplacer("/", "_", "\\", "_").Replace(file)+".cdx.json")
	if err == nil {
		if err = os.MkdirAll(e.cfg.AttestationDir, 0o755); err == nil {
			err = os.WriteFile(dest, out.Attestation, 0o644)
		}
	}
	if err != nil {
		return fmt.Sprintf("attestation of %s not saved: %v", file, err)
	}
	return fmt.Sprintf("attestation of %s saved to %s", file, dest)
}
