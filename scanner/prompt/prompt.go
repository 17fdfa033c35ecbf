// Package prompt scans prompt fixtures — prompt templates, system prompts,
// chat templates, eval and red-team datasets, agent instruction files —
// offline. extract splits each file into role-tagged segments with exact
// positions; detect (injection, hidden characters, exfiltration links,
// encoded payloads, role spoofing), secrets (gitleaks and PII) and jinja
// (template injection) judge each segment, with severities chosen by the
// segment's role. It never renders templates or calls a model.
package prompt

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
	"github.com/modelgate/modelgate/scanner/prompt/detect"
	"github.com/modelgate/modelgate/scanner/prompt/extract"
	"github.com/modelgate/modelgate/scanner/prompt/jinja"
	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
	"github.com/modelgate/modelgate/scanner/prompt/secrets"
)

// Name identifies the scanner in findings.
const Name = "embedded/prompt"

// maxFile bounds the text read from one prompt file (the extractor refuses
// larger files too).
const maxFile = 10 << 20

// Scanner scans prompt fixtures.
type Scanner struct {
	refs *refState // nil: file references are recorded, not followed
}

var _ scanner.Scanner = (*Scanner)(nil)

// New returns a prompt scanner.
func New() *Scanner { return &Scanner{} }

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

// Accepts takes text files: only files matched by an include pattern reach
// scanners as text, and the extractor decides by name and content which of
// them hold prompts.
func (*Scanner) Accepts(f *scanner.File) bool { return f.Sniff.Format == format.Text }

// Scan implements scanner.Scanner.
func (s *Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	data := make([]byte, min(in.Size, maxFile))
	if _, err := in.R.ReadAt(data, 0); err != nil && err != io.EOF {
		return nil, err
	}
	name := in.Path
	if in.Member != "" {
		name = in.Member
	}
	res, err := extract.ExtractAll(name, data)
	segs := res.Segments
	if err != nil || len(segs) == 0 && len(res.Refs) == 0 {
		return nil, nil // not a prompt format: nothing to say
	}
	col := scanner.NewCollector(in, scanner.DefaultPerRuleCap)
	for i, seg := range segs {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return col.Findings(), err
			}
		}
		for _, h := range segmentHits(name, seg) {
			add(col, in, seg, h)
		}
	}
	if s.refs != nil && in.Member == "" {
		s.followRefs(ctx, col, in, res.Refs)
	}
	return col.Findings(), nil
}

// segmentHits runs every detector on one segment.
func segmentHits(name string, seg promptcore.Segment) []promptcore.Hit {
	hits := append(detect.Run(seg), secrets.Detect(seg)...)
	if seg.Role == promptcore.RoleTemplate && isJinja(seg.Text) && !hfTemplateFile(name) {
		hits = append(hits, templateHits(seg)...)
	}
	return hits
}

// isJinja says the text uses Jinja / Nunjucks syntax.
func isJinja(s string) bool { return strings.Contains(s, "{%") || strings.Contains(s, "{{") }

// hfTemplateFile: chat templates of Hugging Face files are judged by the
// hf scanner (MG3507); the prompt scanner does not report them twice.
func hfTemplateFile(name string) bool {
	switch path.Base(name) {
	case "tokenizer_config.json", "chat_template.json", "chat_template.jinja":
		return true
	}
	return false
}

// templateHits reports template injection found in the Jinja AST, or a
// template that does not parse.
func templateHits(seg promptcore.Segment) []promptcore.Hit {
	issues, err := jinja.Analyze(seg.Text)
	if err != nil {
		return []promptcore.Hit{{Rule: jinja.RuleParseError, Start: 0, End: 0,
			Message:  "Template does not parse as Jinja, so it could not be checked for template injection: " + firstLine(err.Error()) + ".",
			Evidence: "unparseable template"}}
	}
	var out []promptcore.Hit
	for _, is := range issues {
		out = append(out, promptcore.Hit{Rule: jinja.RuleSSTI, Start: is.Start, End: is.End,
			Message:  fmt.Sprintf("Template reaches Python internals (%s): %s. Rendering it runs attacker-chosen code.", is.Kind, is.Why),
			Evidence: is.Kind})
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// add records a hit at its exact region in the file, through the
// collector's per-rule cap.
func add(col *scanner.Collector, in *scanner.Input, seg promptcore.Segment, h promptcore.Hit) {
	addAt(col, in, "", seg, h)
}

// addAt is add for a segment of the file at path p ("" for the input
// itself), such as a file the input references.
func addAt(col *scanner.Collector, in *scanner.Input, p string, seg promptcore.Segment, h promptcore.Hit) {
	msg := h.Message
	if seg.Source != "" {
		msg += " (in " + seg.Source + ", role " + string(seg.Role) + ")"
	}
	f := in.Finding(h.Rule, msg, h.Evidence)
	if p != "" {
		f.Location.Path, f.Location.Member = p, ""
	}
	start, end := seg.Locate(h.Start), seg.Locate(h.End)
	f.Location.StartLine, f.Location.StartColumn = start.Line, start.Column
	f.Location.EndLine, f.Location.EndColumn = end.Line, end.Column
	col.AddFinding(f)
}
