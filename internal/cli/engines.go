package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/list"
	"github.com/modelgate/modelgate/scanner/remote"
	"github.com/modelgate/modelgate/scanner/remote/aishield"
	"github.com/modelgate/modelgate/scanner/remote/evalguard"
	"github.com/modelgate/modelgate/scanner/remote/guardian"
	"github.com/modelgate/modelgate/scanner/remote/prismairs"
)

// embeddedEngine is the offline engine's name in --engine.
const embeddedEngine = "embedded"

// engineNames lists what --engine accepts, in the order engines run.
var engineNames = []string{embeddedEngine, evalguard.Vendor, prismairs.Vendor, guardian.Vendor, aishield.Vendor}

// engineOptions selects the scanning engines: the embedded one and the
// remote vendor backends. Every engine flag is also an Action input of the
// same name. Credentials come only from environment variables.
type engineOptions struct {
	engines   string
	failure   string
	timeout   time.Duration
	deadline  time.Duration
	logCalls  bool
	evalguard evalguard.Config
	egTypes   string
	airs      prismairs.Config
	guardian  guardian.Config
	aishield  aishield.Config
	aisConfig string

	fs       *flag.FlagSet
	names    []string // the flags registered here
	inputErr error
	secrets  remote.Secrets
	remotes  []*remote.Scanner
}

// register adds the engine flags to the scan command.
func (e *engineOptions) register(fs *flag.FlagSet) {
	e.fs = fs
	str := func(p *string, name, def, usage string) {
		fs.StringVar(p, name, def, usage)
		e.names = append(e.names, name)
	}
	dur := func(p *time.Duration, name string, def time.Duration, usage string) {
		fs.DurationVar(p, name, def, usage)
		e.names = append(e.names, name)
	}
	str(&e.engines, "engine", embeddedEngine, "comma-separated `ENGINES`: "+strings.Join(engineNames, ", ")+" (remote engines send data to the vendor; see README)")
	str(&e.failure, "remote-failure", "closed", "when a remote engine cannot answer: `closed` (a high finding, MG6001) or open (an info note, MG6002)")
	dur(&e.timeout, "remote-timeout", time.Minute, "timeout of one remote HTTP request")
	dur(&e.deadline, "remote-deadline", remote.DefaultDeadline, "time budget of one file's remote scan (upload, submit, polling)")
	fs.BoolVar(&e.logCalls, "remote-log", false, "log every remote call (method, path, status, time) to stderr, secrets masked")
	e.names = append(e.names, "remote-log")

	eg, egd := &e.evalguard, evalguard.Defaults
	str(&eg.BaseURL, "evalguard-url", egd.BaseURL, "EvalGuard API base URL")
	str(&eg.UploadPath, "evalguard-upload-path", egd.UploadPath, "EvalGuard model upload route (undocumented; multipart field file, answers model_id)")
	str(&eg.ScanPath, "evalguard-scan-path", egd.ScanPath, "EvalGuard model-scan submit route")
	str(&eg.PollPath, "evalguard-poll-path", egd.PollPath, "EvalGuard scan status route (undocumented; {scan_id} is replaced)")
	str(&eg.AttestationPath, "evalguard-attestation-path", egd.AttestationPath, "EvalGuard CycloneDX attestation route")
	str(&e.egTypes, "evalguard-scan-types", "", "EvalGuard scan types, comma-separated (pickle, safetensors, backdoor, ml-bom; default: from the file's format)")
	dur(&eg.PollInterval, "evalguard-poll-interval", egd.PollInterval, "EvalGuard poll interval")
	str(&eg.AttestationDir, "evalguard-attestation-dir", "", "save each scan's CycloneDX attestation in `DIR`")

	ai, aid := &e.airs, prismairs.Defaults
	str(&ai.BaseURL, "prisma-airs-url", aid.BaseURL, "Prisma AIRS regional API base URL (EU: https://service-de.api.aisecurity.paloaltonetworks.com)")
	str(&ai.Profile, "prisma-airs-profile", "", "Prisma AIRS AI security profile `NAME` or UUID (required)")
	str(&ai.AppName, "prisma-airs-app-name", aid.AppName, "Prisma AIRS metadata app_name")
	str(&ai.AppUser, "prisma-airs-app-user", "", "Prisma AIRS metadata app_user (default: $GITHUB_ACTOR, else modelgate)")
	str(&ai.AIModel, "prisma-airs-ai-model", aid.AIModel, "Prisma AIRS metadata ai_model")
	str(&ai.Mode, "prisma-airs-mode", aid.Mode, "Prisma AIRS requests: auto (sync for one prompt, async batches of 5 for more), sync or async")
	dur(&ai.PollInterval, "prisma-airs-poll-interval", aid.PollInterval, "least time between Prisma AIRS result polls, across the run (the API allows 10 a minute)")
	fs.BoolVar(&ai.PayloadHash, "prisma-airs-payload-hash", aid.PayloadHash, "send x-payload-hash as the official SDK does")
	fs.IntVar(&ai.MaxItems, "prisma-airs-max-items", aid.MaxItems, "most prompt pieces sent per file")
	e.names = append(e.names, "prisma-airs-payload-hash", "prisma-airs-max-items")

	gd, gdd := &e.guardian, guardian.Defaults
	str(&gd.BaseURL, "guardian-url", "", "Protect AI Guardian tenant endpoint (default: $GUARDIAN_API_ENDPOINT)")
	str(&gd.Prefix, "guardian-prefix", gdd.Prefix, "path appended to the Guardian endpoint unless it already ends with it")
	str(&gd.APIVersion, "guardian-api-version", gdd.APIVersion, "Guardian scan API: v1 or v2")
	str(&gd.TokenPath, "guardian-token-path", gdd.TokenPath, "Guardian token route under the prefix ({version} is replaced), or an absolute URL")
	str(&gd.ModelURI, "guardian-model-uri", "", "`URI` Guardian fetches each file from; {path} is the file's path (e.g. s3://bucket/ci/{path})")
	str(&gd.Scope, "guardian-scope", gdd.Scope, "Guardian scope of --guardian-model-uri scans")
	str(&gd.HFRepo, "guardian-hf-repo", "", "scan each file in this Hugging Face repository (`ORG/REPO`) instead")
	str(&gd.HFRoot, "guardian-hf-root", "", "local directory that is the Hugging Face repository's root")
	str(&gd.HFRevision, "guardian-hf-revision", "", "Hugging Face revision (commit) to scan")
	str(&gd.SecurityGroup, "guardian-security-group", "", "security_group_uuid (v2 API)")
	dur(&gd.PollInterval, "guardian-poll-interval", gdd.PollInterval, "Guardian poll interval")

	as, asd := &e.aishield, aishield.Defaults
	str(&as.BaseURL, "aishield-url", asd.BaseURL, "AIShield API base URL")
	str(&as.Analysis, "aishield-analysis", asd.Analysis, "AIShield analysis: supply-chain or model")
	str(&as.TaskType, "aishield-task-type", "", "AIShield task_type of a model analysis (e.g. tabular_classification)")
	str(&as.AnalysisType, "aishield-analysis-type", "", "AIShield analysis_type of a model analysis (e.g. extraction)")
	str(&e.aisConfig, "aishield-analysis-config", "", "JSON `FILE` with the task-specific model_analyse body")
	str(&as.DataZip, "aishield-data", "", "ZIP of data for a model analysis")
	str(&as.LabelZip, "aishield-label", "", "ZIP of labels for a model analysis")
	dur(&as.PollInterval, "aishield-poll-interval", asd.PollInterval, "AIShield job status poll interval")
	fs.Float64Var(&as.Threshold, "aishield-threshold", asd.Threshold, "AIShield vulnerability score (0-1) reported as MG6401")
	e.names = append(e.names, "aishield-threshold")
}

// actionInputs maps the Action's engine inputs onto the options: every
// engine flag has an input of the same name.
func (e *engineOptions) actionInputs(set func(flagName, input string, apply func(string))) {
	for _, name := range e.names {
		set(name, name, func(v string) {
			if err := e.fs.Set(name, strings.TrimSpace(v)); err != nil && e.inputErr == nil {
				e.inputErr = fmt.Errorf("input %s: %w", name, err)
			}
		})
	}
}

// scanners returns the scanners of the selected engines, embedded first.
func (e *engineOptions) scanners(env Env) ([]scanner.Scanner, error) {
	if e.inputErr != nil {
		return nil, fmt.Errorf("%w: %w", e.inputErr, errUsage)
	}
	selected, err := parseEngines(e.engines)
	if err != nil {
		return nil, err
	}
	failure, err := remote.ParseFailure(e.failure)
	if err != nil {
		return nil, fmt.Errorf("--remote-failure %w: %w", err, errUsage)
	}
	var out []scanner.Scanner
	if slices.Contains(selected, embeddedEngine) {
		out = list.All()
	}
	t := remote.Transport{HTTP: &http.Client{}, Timeout: e.timeout, Secrets: &e.secrets}
	if e.logCalls {
		t.Log = e.secrets.Writer(env.Stderr)
	}
	opts := remote.Options{Failure: failure, Deadline: e.deadline, Secrets: &e.secrets}
	for _, name := range selected {
		if name == embeddedEngine {
			continue
		}
		eng, err := e.vendor(name, env, t)
		if err != nil {
			return nil, fmt.Errorf("--engine %s: %w", name, err)
		}
		rs := remote.New(eng, opts)
		e.remotes = append(e.remotes, rs)
		out = append(out, rs)
	}
	return out, nil
}

// parseEngines reads --engine into known names, in run order.
func parseEngines(v string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(v, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		switch {
		case n == "":
		case !slices.Contains(engineNames, n):
			return nil, fmt.Errorf("--engine: unknown engine %q (want %s): %w", n, strings.Join(engineNames, ", "), errUsage)
		case !slices.Contains(out, n):
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--engine: no engine selected: %w", errUsage)
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(engineNames, a) - slices.Index(engineNames, b) })
	return out, nil
}

// vendor builds one remote engine from its flags and environment.
func (e *engineOptions) vendor(name string, env Env, t remote.Transport) (remote.Engine, error) {
	get := func(keys ...string) string {
		for _, k := range keys {
			if v := strings.TrimSpace(env.Getenv(k)); v != "" {
				return v
			}
		}
		return ""
	}
	switch name {
	case evalguard.Vendor:
		cfg := e.evalguard
		cfg.APIKey = get("EVALGUARD_API_KEY")
		if e.egTypes != "" {
			cfg.ScanTypes = strings.Split(e.egTypes, ",")
		}
		return evalguard.New(cfg, t)
	case prismairs.Vendor:
		cfg := e.airs
		cfg.APIKey, cfg.Token = get("PRISMA_AIRS_API_KEY", "PANW_AI_SEC_API_KEY"), get("PRISMA_AIRS_TOKEN", "PANW_AI_SEC_API_TOKEN")
		if !e.flagSet("prisma-airs-url") {
			cfg.BaseURL = cmp.Or(get("PANW_AI_SEC_API_ENDPOINT"), cfg.BaseURL)
		}
		cfg.AppUser = cmp.Or(cfg.AppUser, get("GITHUB_ACTOR"))
		return prismairs.New(cfg, t)
	case guardian.Vendor:
		cfg := e.guardian
		cfg.BaseURL = cmp.Or(cfg.BaseURL, get("GUARDIAN_API_ENDPOINT"))
		cfg.ClientID, cfg.ClientSecret = get("GUARDIAN_CLIENT_ID", "GUARDIAN_API_CLIENT_ID"), get("GUARDIAN_CLIENT_SECRET", "GUARDIAN_API_CLIENT_SECRET")
		return guardian.New(cfg, t)
	case aishield.Vendor:
		cfg := e.aishield
		cfg.APIKey, cfg.OrgID = get("AISHIELD_API_KEY"), get("AISHIELD_ORG_ID")
		if e.aisConfig != "" {
			data, err := os.ReadFile(e.aisConfig)
			if err != nil {
				return nil, err
			}
			cfg.AnalysisConfig = data
		}
		return aishield.New(cfg, t)
	}
	return nil, fmt.Errorf("unknown engine %q", name)
}

func (e *engineOptions) flagSet(name string) bool { return e.fs != nil && flagWasSet(e.fs, name) }

// finish runs after the scan, before the outputs are written: each
// remote engine prints its one-line summary. (Findings that several
// engines report identically are merged by the engine itself, and remote
// findings are masked before the engine sees them.)
func (e *engineOptions) finish(_ context.Context, env Env, _ *report.Report) {
	w := e.secrets.Writer(env.Stderr)
	for _, r := range e.remotes {
		io.WriteString(w, r.Summary()+"\n")
	}
}
