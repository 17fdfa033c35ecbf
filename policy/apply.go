package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Engine names findings the policy itself produces.
const Engine = "policy"

// RuleFormatNotAllowed is the finding for a format the policy forbids.
const RuleFormatNotAllowed = "MG0101"

// Suppression kinds.
const (
	KindConfig   = "config"   // a suppression in the policy file
	KindBaseline = "baseline" // the finding is in the baseline
)

// Options are the inputs of Decide besides the result.
type Options struct {
	Gate     Gate
	Config   *Config   // nil: no policy file
	Baseline *Baseline // nil: no baseline
	// Now decides whether suppressions have expired.
	Now time.Time
	// Partial says only part of the repository was scanned (changed
	// files, one shard): unmatched suppressions and baseline entries are
	// then expected and not reported as stale.
	Partial bool
}

// Suppressed is a finding the policy file or the baseline accepts. It is
// kept in reports (SARIF suppressions, counts), never blocks and is not
// listed among the reported findings.
type Suppressed struct {
	Finding scanner.Finding
	// Kind is KindConfig or KindBaseline.
	Kind string
	// Justification is the suppression's reason.
	Justification string
	// Expires is the suppression's last day ("" when it does not expire).
	Expires string
}

// Note levels.
const (
	NoteWarning = "warning"
	NoteInfo    = "note"
)

// Note is something the policy wants people to act on that is not a
// finding about a file: an expired or stale suppression, a stale
// baseline. File and Line point into the policy file when they can.
type Note struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
}

// String renders a note as compilers do: "FILE:LINE: warning: …".
func (n Note) String() string {
	where := n.File
	if n.Line > 0 {
		where = fmt.Sprintf("%s:%d", n.File, n.Line)
	}
	if where == "" {
		return fmt.Sprintf("%s: %s", n.Level, n.Message)
	}
	return fmt.Sprintf("%s: %s: %s", where, n.Level, n.Message)
}

// Evaluate applies the gate alone to a result.
func Evaluate(res *scanner.Result, g Gate) Decision {
	return Decide(res, Options{Gate: g, Now: time.Now()})
}

// Decide applies the policy to a result, in this order: format policy
// (new findings), rule and path overrides (severity, disabled rules),
// suppressions and the baseline (set aside), then the gate.
func Decide(res *scanner.Result, o Options) Decision {
	d := Decision{Gate: o.Gate, Reported: []scanner.Finding{}, Blocking: []bool{}, Suppressed: []Suppressed{}, Notes: []Note{}}
	cfg := o.Config
	findings := res.Findings
	if cfg != nil {
		findings = append(slices.Clone(findings), formatFindings(res.Files, cfg)...)
		scanner.SortFindings(findings)
	}
	sup := newSuppressor(cfg, o.Baseline, o.Now)
	for _, f := range findings {
		if cfg != nil {
			enabled := cfg.override(&f)
			if !enabled {
				d.Disabled++
				continue
			}
		}
		if s, ok := sup.match(&f); ok {
			d.Suppressed = append(d.Suppressed, s)
			continue
		}
		d.add(f)
	}
	d.BaselineUsed = o.Baseline != nil
	d.Notes = sup.notes(o.Partial)
	d.Verdict, d.ExitCode = VerdictPass, ExitPass
	if d.BlockingCount > 0 {
		d.Verdict, d.ExitCode = VerdictFail, ExitFail
	}
	return d
}

// add applies the gate to one finding.
func (d *Decision) add(f scanner.Finding) {
	blocking := d.Gate.IsBlocking(f.Severity)
	if !blocking && f.Severity < d.Gate.ReportMin {
		d.Hidden++
		return
	}
	d.Reported = append(d.Reported, f)
	d.Blocking = append(d.Blocking, blocking)
	if blocking {
		d.BlockingCount++
	}
}

// override applies rule and path overrides to a finding's severity and
// reports whether its rule stays enabled. A path override beats a rule
// override; among path overrides the last matching entry wins, and within
// one entry a rule's own line beats "*".
func (c *Config) override(f *scanner.Finding) bool {
	enabled := true
	apply := func(ov RuleOverride) {
		if ov.Enabled != nil {
			enabled = *ov.Enabled
		}
		if ov.Severity != nil {
			f.Severity = *ov.Severity
		}
	}
	if ov, ok := c.Rules[f.RuleID]; ok {
		apply(ov)
	}
	if len(c.Paths) == 0 {
		return enabled
	}
	rel, inside := c.Rel(f.Location.Path)
	if !inside {
		return enabled
	}
	for _, po := range c.Paths {
		if !matchAny(po.Patterns, rel) {
			continue
		}
		if ov, ok := po.Rules[f.RuleID]; ok {
			apply(ov)
		} else if ov, ok := po.Rules["*"]; ok {
			apply(ov)
		}
	}
	return enabled
}

// formatFindings reports every scanned file whose format, or a format
// inside it, the policy does not allow.
func formatFindings(files []scanner.FileStatus, cfg *Config) []scanner.Finding {
	fp := cfg.Formats
	if len(fp.Allow) == 0 && len(fp.Deny) == 0 {
		return nil
	}
	var out []scanner.Finding
	for _, fs := range files {
		if fs.Status != scanner.StatusScanned {
			continue
		}
		all := append([]format.Format{fs.Format}, fs.Contains...)
		var seen, bad []string
		for _, f := range all {
			if !slices.Contains(PolicyFormats, f) || slices.Contains(seen, string(f)) {
				continue
			}
			seen = append(seen, string(f))
			if slices.Contains(fp.Deny, string(f)) || (len(fp.Allow) > 0 && !slices.Contains(fp.Allow, string(f))) {
				bad = append(bad, string(f))
			}
		}
		if len(bad) == 0 {
			continue
		}
		what := seen[0]
		if len(seen) > 1 {
			what = fmt.Sprintf("%s containing %s", seen[0], strings.Join(seen[1:], ", "))
		}
		rule := fmt.Sprintf("formats.deny lists %s", strings.Join(bad, ", "))
		if len(fp.Allow) > 0 && !slices.ContainsFunc(bad, func(b string) bool { return slices.Contains(fp.Deny, b) }) {
			rule = "formats.allow permits only " + strings.Join(fp.Allow, ", ")
		}
		out = append(out, scanner.Finding{
			RuleID:   RuleFormatNotAllowed,
			Severity: ruleSeverity(RuleFormatNotAllowed),
			Message:  fmt.Sprintf("The file is %s, which the policy does not allow (%s in %s).", what, rule, cfg.Path),
			Evidence: "formats=" + strings.Join(seen, "+"),
			Location: scanner.Location{Path: fs.Path},
			Engine:   Engine,
		})
	}
	scanner.SortFindings(out)
	scanner.AssignFingerprints(out)
	return out
}

// suppressor matches findings against the policy file's suppressions and
// the baseline, and remembers what matched for the notes.
type suppressor struct {
	cfg      *Config
	baseline *Baseline
	now      time.Time
	hits     []int // per suppression: findings it matched (active or not)
	baseHits map[string]bool
}

func newSuppressor(cfg *Config, b *Baseline, now time.Time) *suppressor {
	s := &suppressor{cfg: cfg, baseline: b, now: now, baseHits: map[string]bool{}}
	if cfg != nil {
		s.hits = make([]int, len(cfg.Suppressions))
	}
	return s
}

func (s *suppressor) match(f *scanner.Finding) (Suppressed, bool) {
	if s.cfg != nil {
		for i := range s.cfg.Suppressions {
			sp := &s.cfg.Suppressions[i]
			if !s.cfg.matches(sp, f) {
				continue
			}
			s.hits[i]++
			if !sp.Active(s.now) {
				continue // expired: the finding counts again
			}
			out := Suppressed{Finding: *f, Kind: KindConfig, Justification: sp.Reason}
			if !sp.Expires.IsZero() {
				out.Expires = sp.Expires.Format(time.DateOnly)
			}
			return out, true
		}
	}
	if s.baseline != nil && s.baseline.Has(f.Fingerprint) {
		s.baseHits[f.Fingerprint] = true
		return Suppressed{Finding: *f, Kind: KindBaseline, Justification: "in the baseline " + s.baseline.Path}, true
	}
	return Suppressed{}, false
}

// matches reports whether a suppression covers a finding. A fingerprint
// without its ":N" occurrence suffix covers every occurrence.
func (c *Config) matches(sp *Suppression, f *scanner.Finding) bool {
	if sp.Fingerprint != "" {
		if strings.Contains(sp.Fingerprint, ":") {
			return f.Fingerprint == sp.Fingerprint
		}
		base, _, _ := strings.Cut(f.Fingerprint, ":")
		return base == sp.Fingerprint
	}
	if sp.Rule != f.RuleID {
		return false
	}
	rel, inside := c.Rel(f.Location.Path)
	return inside && matchAny(sp.Paths, rel)
}

// notes reports expired and stale suppressions and fixed baseline entries.
func (s *suppressor) notes(partial bool) []Note {
	notes := []Note{}
	if s.cfg != nil {
		for i := range s.cfg.Suppressions {
			sp := &s.cfg.Suppressions[i]
			switch {
			case !sp.Active(s.now):
				msg := fmt.Sprintf("Suppression of %s expired on %s", sp.Describe(), sp.Expires.Format(time.DateOnly))
				if s.hits[i] > 0 {
					msg += fmt.Sprintf(": the %d finding(s) it covered count again. Fix them, or renew the suppression with a new date and reason.", s.hits[i])
				} else {
					msg += " and matches no finding: remove it."
				}
				notes = append(notes, Note{Level: NoteWarning, Message: msg, File: s.cfg.Path, Line: sp.Line})
			case s.hits[i] == 0 && !partial:
				notes = append(notes, Note{Level: NoteWarning, Message: fmt.Sprintf("Suppression of %s matches no finding (stale): remove it.", sp.Describe()), File: s.cfg.Path, Line: sp.Line})
			}
		}
	}
	if s.baseline != nil && !partial {
		if gone := len(s.baseline.fingerprints) - len(s.baseHits); gone > 0 {
			notes = append(notes, Note{Level: NoteInfo, Message: fmt.Sprintf("%d finding(s) in the baseline %s no longer occur; refresh it with `modelgate baseline`.", gone, s.baseline.Path), File: s.baseline.Path})
		}
	}
	return notes
}

// ruleSeverity is a catalogued rule's default severity.
func ruleSeverity(id string) scanner.Severity {
	if r, ok := scanner.LookupRule(id); ok {
		return r.Severity
	}
	return scanner.SeverityHigh
}
