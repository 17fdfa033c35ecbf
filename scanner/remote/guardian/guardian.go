// Package guardian scans model artifacts with Protect AI Guardian (and its
// successor's v2 API): it obtains a client-credentials token (refreshed
// before it expires), submits the model's URI, polls the scan every few
// seconds until aggregate_eval_outcome is no longer PENDING, and maps PASS
// / FAIL / ERROR and every violation to findings.
//
// Guardian fetches models itself, by URI: a local file is sent only as a
// URI the user makes reachable (ModelURI, a template in which {path} is
// the file's path, for a copy in object storage; or HFRepo, a Hugging Face
// repository holding the same file). Without either, the file is reported
// as not sent. The token path and the /guardian prefix vary across client
// versions and are configurable.
package guardian

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/remote"
)

// Vendor is the engine's name in --engine and findings.
const Vendor = "guardian"

// Config configures the engine.
type Config struct {
	// BaseURL is the tenant's API endpoint (no default; GUARDIAN_API_ENDPOINT).
	BaseURL string
	// Prefix is appended to BaseURL unless it already ends with it
	// (default "/guardian").
	Prefix string
	// APIVersion is "v1" (default; 202 on submit, scope) or "v2" (201,
	// security_group_uuid and scan_origin).
	APIVersion string
	// TokenPath is the token route under the prefix (default
	// "/{version}/auth/client_auth/token"), or an absolute URL (0.2/0.3
	// clients used https://<host>/auth/v1/client_auth/token).
	TokenPath string
	// ClientID and ClientSecret are the client credentials.
	ClientID, ClientSecret string
	// ModelURI maps a file to the URI Guardian fetches: {path} is the
	// file's path as reported, {name} its base name.
	ModelURI string
	// Scope is sent with ModelURI scans (default PRIVATE).
	Scope string
	// HFRepo ("org/repo") scans the file in a Hugging Face repository,
	// scope PUBLIC, with allow_patterns limited to the file; HFRoot is
	// the local directory that is the repository's root (default: the
	// file's path is its path in the repository); HFRevision pins a commit.
	HFRepo, HFRoot, HFRevision string
	// SecurityGroup is the v2 security_group_uuid.
	SecurityGroup string
	// PollInterval is the wait between polls (default 5s).
	PollInterval time.Duration
}

// Defaults are the documented defaults of Config.
var Defaults = Config{
	Prefix:       "/guardian",
	APIVersion:   "v1",
	TokenPath:    "/{version}/auth/client_auth/token",
	Scope:        "PRIVATE",
	PollInterval: 5 * time.Second,
}

// Engine is the Guardian engine.
type Engine struct {
	cfg    Config
	client *remote.Client
	tokens *tokens
}

var _ remote.Engine = (*Engine)(nil)

// New returns an engine; the client secret and every token are secrets.
func New(cfg Config, t remote.Transport) (*Engine, error) {
	cfg.Prefix = cmp.Or(cfg.Prefix, Defaults.Prefix)
	cfg.APIVersion = cmp.Or(cfg.APIVersion, Defaults.APIVersion)
	cfg.TokenPath = cmp.Or(cfg.TokenPath, Defaults.TokenPath)
	cfg.Scope = cmp.Or(cfg.Scope, Defaults.Scope)
	cfg.PollInterval = cmp.Or(cfg.PollInterval, Defaults.PollInterval)
	switch {
	case cfg.BaseURL == "":
		return nil, fmt.Errorf("%s: no endpoint (--guardian-url or GUARDIAN_API_ENDPOINT)", Vendor)
	case cfg.ClientID == "" || cfg.ClientSecret == "":
		return nil, fmt.Errorf("%s: no client credentials (set GUARDIAN_CLIENT_ID and GUARDIAN_CLIENT_SECRET)", Vendor)
	case cfg.APIVersion != "v1" && cfg.APIVersion != "v2":
		return nil, fmt.Errorf("%s: API version %q: want v1 or v2", Vendor, cfg.APIVersion)
	case cfg.APIVersion == "v2" && cfg.SecurityGroup == "":
		return nil, fmt.Errorf("%s: the v2 API needs --guardian-security-group", Vendor)
	}
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	if p := "/" + strings.Trim(cfg.Prefix, "/"); p != "/" && !strings.HasSuffix(base, p) {
		base += p
	}
	c, err := t.Client(Vendor, base)
	if err != nil {
		return nil, err
	}
	c.Secrets.Add(cfg.ClientSecret)
	e := &Engine{cfg: cfg, client: c}
	e.tokens = &tokens{client: c, path: e.path(cfg.TokenPath), id: cfg.ClientID, secret: cfg.ClientSecret}
	c.Auth = e.tokens.authorize
	return e, nil
}

// path fills {version} in a configured path.
func (e *Engine) path(p string) string { return strings.ReplaceAll(p, "{version}", e.cfg.APIVersion) }

// Vendor implements remote.Engine.
func (*Engine) Vendor() string { return Vendor }

// Accepts implements remote.Engine: model artifacts and containers.
func (*Engine) Accepts(f *scanner.File) bool {
	return f.Sniff.Format != format.Unknown && f.Sniff.Format != format.Text
}

// Scan implements remote.Engine.
func (e *Engine) Scan(ctx context.Context, in *scanner.Input) (remote.Report, error) {
	body, err := e.submission(in.Path)
	if err != nil {
		return remote.Report{}, err
	}
	var out struct {
		UUID string `json:"uuid"`
		ID   string `json:"id"`
	}
	call := remote.Call{Name: "submit scan", Method: http.MethodPost, Path: e.path("/{version}/scans"), JSON: body,
		OK: []int{http.StatusOK, http.StatusCreated, http.StatusAccepted}}
	if err := e.client.JSON(ctx, call, &out); err != nil {
		return remote.Report{Sent: true}, err
	}
	id := cmp.Or(out.UUID, out.ID)
	if id == "" {
		return remote.Report{Sent: true}, e.client.Malformed(call, "no scan uuid")
	}
	res, err := e.wait(ctx, id)
	if err != nil {
		return remote.Report{Sent: true}, err
	}
	return remote.Report{Sent: true, Verdict: res.outcome(), Findings: res.findings(in)}, nil
}

// submission is the scan request for a file, or a not-sent error when
// Guardian has no way to fetch it.
func (e *Engine) submission(path string) (map[string]any, error) {
	name := path[strings.LastIndex(path, "/")+1:]
	body := map[string]any{}
	switch {
	case e.cfg.ModelURI != "":
		body["model_uri"] = strings.NewReplacer("{path}", path, "{name}", name).Replace(e.cfg.ModelURI)
		body["scope"] = e.cfg.Scope
	case e.cfg.HFRepo != "":
		inRepo := path
		if root := strings.Trim(e.cfg.HFRoot, "/"); root != "" && root != "." {
			inRepo = strings.TrimPrefix(path, root+"/")
		}
		body["model_uri"] = "https://huggingface.co/" + strings.Trim(e.cfg.HFRepo, "/")
		body["scope"] = "PUBLIC"
		body["allow_patterns"] = []string{inRepo}
		body["ignore_patterns"] = []string{}
		if e.cfg.HFRevision != "" {
			body["revision"] = e.cfg.HFRevision
		}
	default:
		return nil, remote.NotSent("Guardian fetches models by URI and this file exists only locally; set --guardian-model-uri (e.g. s3://bucket/prefix/{path}) or --guardian-hf-repo")
	}
	if e.cfg.APIVersion == "v2" {
		body["security_group_uuid"] = e.cfg.SecurityGroup
		body["scan_origin"] = "PRIVATE_WORKER"
		if e.cfg.HFRepo != "" && e.cfg.ModelURI == "" {
			body["scan_origin"] = "HUGGING_FACE"
		}
		body["model_name"] = name
		delete(body, "scope")
	}
	return body, nil
}

// wait polls the scan until its outcome is no longer PENDING.
func (e *Engine) wait(ctx context.Context, id string) (*result, error) {
	call := remote.Call{Name: "poll scan", Method: http.MethodGet, Path: e.path("/{version}/scans/") + id}
	return remote.PollJSON(ctx, e.client, call, e.cfg.PollInterval, (*result).done)
}
