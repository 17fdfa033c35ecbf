// Package prismairs scans prompt fixtures with Palo Alto Networks Prisma
// AIRS (AI Runtime Security): each prompt-bearing piece of a fixture, as
// the embedded extractor finds it, is sent as a prompt or a response with
// the configured AI profile; the category, the action and every
// prompt_detected / response_detected flag become findings at the piece's
// span in the file.
//
// One piece goes through POST /v1/scan/sync/request; more go in async
// batches of at most 5 (POST /v1/scan/async/request), whose results are
// polled with GET /v1/scan/results at most once per PollInterval across
// the whole run (the API allows 10 a minute). Pieces longer than the
// documented limits (prompt 10,000, response 20,000 characters) are split;
// pieces past MaxItems are not sent, and a note says so. Each item carries
// a tr_id ("mg-<file hash>-<n>") that correlates the answer to the piece.
package prismairs

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/prompt/extract"
	"github.com/modelgate/modelgate/scanner/remote"
)

// Vendor is the engine's name in --engine and findings.
const Vendor = "prisma-airs"

// Config configures the engine.
type Config struct {
	// BaseURL is the regional API base bound to the deployment profile
	// (default US: https://service.api.aisecurity.paloaltonetworks.com;
	// EU service-de, India service-in, Singapore service-sg).
	BaseURL string
	// APIKey is sent as x-pan-token; Token (an OAuth access token) as
	// "Authorization: Bearer" when there is no key.
	APIKey, Token string
	// Profile is the AI security profile: a name, or a UUID (profile_id).
	Profile string
	// AppName, AppUser and AIModel are the request metadata.
	AppName, AppUser, AIModel string
	// Mode is "auto" (sync for one piece, async batches for more),
	// "sync" or "async".
	Mode string
	// PollInterval spaces result polls across the run (default 6s, the
	// documented 10 requests a minute).
	PollInterval time.Duration
	// PayloadHash sends x-payload-hash (HMAC-SHA256 of the body keyed
	// with the credential), as the official SDK does.
	PayloadHash bool
	// MaxItems caps the items sent per file (default 200).
	MaxItems int
}

// Defaults are the documented defaults of Config.
var Defaults = Config{
	BaseURL:      "https://service.api.aisecurity.paloaltonetworks.com",
	AppName:      "modelgate",
	AppUser:      "modelgate",
	AIModel:      "n/a",
	Mode:         "auto",
	PollInterval: 6 * time.Second,
	PayloadHash:  true,
	MaxItems:     200,
}

// API routes [C].
const (
	syncPath    = "/v1/scan/sync/request"
	asyncPath   = "/v1/scan/async/request"
	resultsPath = "/v1/scan/results"
	batchSize   = 5
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Engine is the Prisma AIRS engine.
type Engine struct {
	cfg     Config
	client  *remote.Client
	results remote.Limiter
}

var _ remote.Engine = (*Engine)(nil)

// New returns an engine; the credentials are registered as secrets.
func New(cfg Config, t remote.Transport) (*Engine, error) {
	cfg.BaseURL = cmp.Or(cfg.BaseURL, Defaults.BaseURL)
	cfg.AppName = cmp.Or(cfg.AppName, Defaults.AppName)
	cfg.AppUser = cmp.Or(cfg.AppUser, Defaults.AppUser)
	cfg.AIModel = cmp.Or(cfg.AIModel, Defaults.AIModel)
	cfg.Mode = cmp.Or(cfg.Mode, Defaults.Mode)
	cfg.PollInterval = cmp.Or(cfg.PollInterval, Defaults.PollInterval)
	cfg.MaxItems = cmp.Or(cfg.MaxItems, Defaults.MaxItems)
	switch {
	case cfg.APIKey == "" && cfg.Token == "":
		return nil, fmt.Errorf("%s: no credentials (set PRISMA_AIRS_API_KEY, or PRISMA_AIRS_TOKEN for an OAuth token)", Vendor)
	case cfg.Profile == "":
		return nil, fmt.Errorf("%s: no AI profile (--prisma-airs-profile NAME or UUID)", Vendor)
	case len(cfg.Profile) > 100:
		return nil, fmt.Errorf("%s: profile name longer than 100 characters", Vendor)
	case cfg.Mode != "auto" && cfg.Mode != "sync" && cfg.Mode != "async":
		return nil, fmt.Errorf("%s: mode %q: want auto, sync or async", Vendor, cfg.Mode)
	}
	c, err := t.Client(Vendor, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c.Secrets.Add(cfg.APIKey, cfg.Token)
	name, value := "x-pan-token", cfg.APIKey
	if value == "" {
		name, value = "Authorization", "Bearer "+cfg.Token
	}
	c.Auth = func(_ context.Context, r *http.Request) error {
		r.Header.Set(name, value)
		return nil
	}
	if cfg.PayloadHash {
		c.Sign = func(r *http.Request, body []byte) { r.Header.Set("x-payload-hash", PayloadHash(value, body)) }
	}
	return &Engine{cfg: cfg, client: c, results: remote.Limiter{Every: cfg.PollInterval}}, nil
}

// PayloadHash is the SDK's x-payload-hash: hex HMAC-SHA256 of the exact
// body bytes (the literal null when there is none), keyed with the
// credential header's value.
func PayloadHash(key string, body []byte) string {
	if body == nil {
		body = []byte("null")
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Vendor implements remote.Engine.
func (*Engine) Vendor() string { return Vendor }

// Accepts implements remote.Engine: text files (prompt fixtures).
func (*Engine) Accepts(f *scanner.File) bool { return f.Sniff.Format == format.Text }

// Scan implements remote.Engine.
func (e *Engine) Scan(ctx context.Context, in *scanner.Input) (remote.Report, error) {
	data := make([]byte, min(in.Size, extract.MaxFileSize))
	if _, err := in.R.ReadAt(data, 0); err != nil && err != io.EOF {
		return remote.Report{}, err
	}
	segs, _ := extract.Extract(in.Path, data) // a malformed file: what was extracted is still sent
	items, dropped := split(in.Path, segs, e.cfg.MaxItems)
	if len(items) == 0 {
		return remote.Report{}, nil // not a prompt fixture
	}
	rep := remote.Report{Sent: true}
	if dropped > 0 {
		rep.NotSent = fmt.Sprintf("%d more prompt pieces past the first %d (MaxItems)", dropped, len(items))
	}
	var err error
	if e.cfg.Mode == "sync" || e.cfg.Mode == "auto" && len(items) == 1 {
		err = e.scanSync(ctx, items)
	} else {
		err = e.scanAsync(ctx, items)
	}
	if err != nil {
		return rep, err
	}
	rep.Verdict = "allow"
	for _, it := range items {
		if it.result.Action == "block" {
			rep.Verdict = "block"
		}
		rep.Findings = append(rep.Findings, it.findings(in, e.cfg.Profile)...)
	}
	return rep, nil
}
