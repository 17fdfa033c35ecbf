// Package report holds the one model every renderer reads: the scan result,
// the policy decision and the tool's identity. Renderers (text, JSON,
// SARIF, …) turn a Report into bytes and never scan, decide or publish.
package report

import (
	"github.com/modelgate/modelgate/internal/version"
	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/scanner"
)

// Tool identifies the producer of a report.
type Tool struct {
	Name           string `json:"name"`
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	InformationURI string `json:"information_uri"`
}

// CurrentTool describes this build.
func CurrentTool() Tool {
	return Tool{Name: version.Name, Version: version.Version, Commit: version.CommitOrVCS(), InformationURI: version.InformationURI}
}

// Report is what renderers render.
type Report struct {
	Tool     Tool
	Result   *scanner.Result
	Decision policy.Decision
	// Category distinguishes analyses of the same commit in GitHub code
	// scanning (SARIF runAutomationDetails.id).
	Category string
	// RootURI is the file:// URI (ending in "/") of the directory that
	// report paths are relative to; empty to leave it out.
	RootURI string
	// ConfigPath and BaselinePath name the policy file and the baseline
	// that were applied ("" for none).
	ConfigPath, BaselinePath string
}

// DefaultCategory is the SARIF category when none is given.
const DefaultCategory = "modelgate"

// RuleFor returns the catalogue rule of a finding; every finding's rule
// exists (the engine guarantees it).
func RuleFor(f *scanner.Finding) *scanner.Rule {
	r, _ := scanner.LookupRule(f.RuleID)
	return r
}
