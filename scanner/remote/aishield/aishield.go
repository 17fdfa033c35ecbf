// Package aishield analyses models with Bosch AIShield AISpectra: register
// the model (generate_model_id for the supply-chain analysis, the default,
// or model_registration/upload with a task and analysis type), upload the
// zipped model (and data and labels when the analysis needs them) to the
// presigned URLs within their 10-minute window, start the analysis, poll
// job_status_detailed (the job id URL-encoded in the query), download the
// JSON vulnerability report and map its score and entries to findings.
//
// The report's schema is not published: it is read defensively (a score
// under any of the known spellings, entries that have a name and a
// description or severity).
package aishield

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/remote"
)

// Vendor is the engine's name in --engine and findings.
const Vendor = "aishield"

// Analyses.
const (
	SupplyChain   = "supply-chain"
	ModelAnalysis = "model"
)

// Config configures the engine.
type Config struct {
	// BaseURL is the API base (default
	// https://api.aws.boschaishield.com/prod/api/ais/v1.5).
	BaseURL string
	// APIKey and OrgID are sent as x-api-key and Org-Id.
	APIKey, OrgID string
	// Analysis is SupplyChain (default) or ModelAnalysis.
	Analysis string
	// TaskType and AnalysisType register a model analysis
	// (e.g. tabular_classification, extraction).
	TaskType, AnalysisType string
	// AnalysisConfig is the task-specific JSON body of model_analyse.
	AnalysisConfig json.RawMessage
	// DataZip and LabelZip are local ZIP files uploaded when the
	// registration asks for data and labels.
	DataZip, LabelZip string
	// PollInterval is the wait between status polls (default 30s; the
	// SDK uses 120s).
	PollInterval time.Duration
	// Threshold is the vulnerability score (0 to 1; percentages are
	// scaled) at or above which the model is reported vulnerable
	// (default 0.5).
	Threshold float64
}

// Defaults are the documented defaults of Config.
var Defaults = Config{
	BaseURL:      "https://api.aws.boschaishield.com/prod/api/ais/v1.5",
	Analysis:     SupplyChain,
	PollInterval: 30 * time.Second,
	Threshold:    0.5,
}

// uploadWindow is how long presigned upload URLs stay valid.
const uploadWindow = 10 * time.Minute

// Engine is the AIShield engine.
type Engine struct {
	cfg    Config
	client *remote.Client
}

var _ remote.Engine = (*Engine)(nil)

// New returns an engine; the API key is registered as a secret.
func New(cfg Config, t remote.Transport) (*Engine, error) {
	cfg.BaseURL = cmp.Or(cfg.BaseURL, Defaults.BaseURL)
	cfg.Analysis = cmp.Or(cfg.Analysis, Defaults.Analysis)
	cfg.PollInterval = cmp.Or(cfg.PollInterval, Defaults.PollInterval)
	cfg.Threshold = cmp.Or(cfg.Threshold, Defaults.Threshold)
	switch {
	case cfg.APIKey == "" || cfg.OrgID == "":
		return nil, fmt.Errorf("%s: no credentials (set AISHIELD_API_KEY and AISHIELD_ORG_ID)", Vendor)
	case cfg.Analysis != SupplyChain && cfg.Analysis != ModelAnalysis:
		return nil, fmt.Errorf("%s: analysis %q: want %s or %s", Vendor, cfg.Analysis, SupplyChain, ModelAnalysis)
	case cfg.Analysis == ModelAnalysis && (cfg.TaskType == "" || cfg.AnalysisType == ""):
		return nil, fmt.Errorf("%s: a model analysis needs --aishield-task-type and --aishield-analysis-type", Vendor)
	}
	c, err := t.Client(Vendor, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c.Secrets.Add(cfg.APIKey)
	c.Auth = func(_ context.Context, r *http.Request) error {
		r.Header.Set("x-api-key", cfg.APIKey)
		r.Header.Set("Org-Id", cfg.OrgID)
		r.Header.Set("Cache-Control", "no-cache")
		return nil
	}
	return &Engine{cfg: cfg, client: c}, nil
}

// Vendor implements remote.Engine.
func (*Engine) Vendor() string { return Vendor }

// Accepts implements remote.Engine: model artifacts and containers.
func (*Engine) Accepts(f *scanner.File) bool {
	return f.Sniff.Format != format.Unknown && f.Sniff.Format != format.Text
}

// Scan implements remote.Engine.
func (e *Engine) Scan(ctx context.Context, in *scanner.Input) (remote.Report, error) {
	artifact, err := zipped(in)
	if err != nil {
		return remote.Report{}, err
	}
	defer artifact.Close()
	var j job
	if e.cfg.Analysis == SupplyChain {
		j, err = e.startSupplyChain(ctx, artifact)
	} else {
		j, err = e.startModelAnalysis(ctx, artifact)
	}
	if err != nil {
		return remote.Report{Sent: true}, err
	}
	status, err := e.wait(ctx, j.id)
	if err != nil {
		return remote.Report{Sent: true}, err
	}
	report, err := e.report(ctx, j.id)
	if err != nil {
		return remote.Report{Sent: true}, err
	}
	return e.mapReport(in, j, status, report), nil
}

// upload posts a zip to a presigned URL: its form fields, then the file,
// without AIShield's headers, within the window opened at registered.
func (e *Engine) upload(ctx context.Context, name string, target presigned, z *zipFile, registered time.Time) error {
	left := uploadWindow - time.Since(registered)
	if left <= 0 {
		return fmt.Errorf("%s: upload %s: the 10-minute upload window has closed", Vendor, name)
	}
	if target.URL == "" {
		return e.client.Malformed(remote.Call{Name: "register model", Method: http.MethodPost}, "no presigned URL for the %s", name)
	}
	body, err := remote.NewMultipart(target.formFields(), "file", name+".zip", z, z.size)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, left)
	defer cancel()
	_, err = e.client.Do(ctx, remote.Call{Name: "upload " + name, Method: http.MethodPost, Path: target.URL, NoAuth: true,
		Body: body.Body, ContentType: body.ContentType})
	return err
}

// wait polls job_status_detailed until the job ends.
func (e *Engine) wait(ctx context.Context, jobID string) (jobStatus, error) {
	call := remote.Call{Name: "poll job", Method: http.MethodGet, Path: "/job_status_detailed",
		Query: url.Values{"job_id": {jobID}}} // Encode escapes +, / and = of the Fernet-style id
	st, err := remote.PollJSON(ctx, e.client, call, e.cfg.PollInterval, func(s *jobStatus) (bool, error) { return s.done(e.cfg) })
	if st == nil {
		return nil, err
	}
	return *st, err
}

// report downloads the JSON vulnerability report.
func (e *Engine) report(ctx context.Context, jobID string) (any, error) {
	call := remote.Call{Name: "get report", Method: http.MethodGet, Path: "/get_report", Idempotent: true,
		Query: url.Values{"job_id": {jobID}, "report_type": {"vulnerability"}, "file_format": {"3"}}}
	resp, err := e.client.Do(ctx, call)
	if err != nil {
		return nil, err
	}
	var report any
	if err := json.Unmarshal(resp.Body, &report); err != nil {
		return nil, e.client.Malformed(call, "%v", err)
	}
	return report, nil
}
