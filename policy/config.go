package policy

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/modelgate/modelgate/internal/bytesize"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// ConfigNames are the policy file names looked up at the scan root, in order.
var ConfigNames = []string{".modelgate.yml", ".modelgate.yaml"}

// ConfigVersion is the only `version` this build reads.
const ConfigVersion = 1

// MaxConfigSize bounds the policy file.
const MaxConfigSize = 1 << 20

// Config is a parsed .modelgate.yml. Pointer fields are nil when the file
// does not set them, so the command line can tell "unset" from a value.
type Config struct {
	// Path is the file it was read from; Dir is the directory that path
	// patterns are relative to.
	Path, Dir string

	FailOn      *scanner.Severity // SeverityUnset means "none"
	ReportMin   *scanner.Severity
	Include     []string
	Exclude     []string
	MaxFileSize *int64
	FileTimeout *time.Duration
	// Rules maps a rule ID to its override.
	Rules map[string]RuleOverride
	// Paths are per-path overrides; a later entry wins over an earlier one.
	Paths   []PathOverride
	Pickle  GlobalsPolicy
	Formats FormatPolicy
	// RemoteFailure is "open", "closed" or "" (unset).
	RemoteFailure string
	Suppressions  []Suppression
	// Baseline is a baseline file, relative to Dir; "" for none.
	Baseline string

	// wd is the working directory when the file was read: reported paths
	// are relative to it.
	wd string
}

// Settings are the scanner settings the file asks for.
func (c *Config) Settings() scanner.Settings {
	return scanner.Settings{PickleAllow: c.Pickle.Allow, PickleDeny: c.Pickle.Deny}
}

// BaselinePath is the baseline file as a path to open; "" for none.
func (c *Config) BaselinePath() string {
	if c.Baseline == "" {
		return ""
	}
	return filepath.Join(c.Dir, filepath.FromSlash(c.Baseline))
}

// RuleOverride changes a rule: turns it off or sets its severity.
type RuleOverride struct {
	Enabled  *bool
	Severity *scanner.Severity
	Line     int
}

// PathOverride applies rule overrides to files matching any of Patterns
// (doublestar, relative to the config's directory). The rule ID "*"
// matches every rule.
type PathOverride struct {
	Patterns []string
	Rules    map[string]RuleOverride
	Line     int
}

// GlobalsPolicy adds pickle globals to the built-in lists: "module.name"
// for one name, "module.*" for a whole module.
type GlobalsPolicy struct {
	Allow, Deny []string
}

// FormatPolicy lists the model formats that may be committed (Allow:
// anything else is a finding) and those that may not (Deny).
type FormatPolicy struct {
	Allow, Deny []string
	Line        int
}

// Suppression silences findings by fingerprint, or by rule and path
// patterns, for a reason and optionally until a date.
type Suppression struct {
	Fingerprint string
	Rule        string
	Paths       []string
	Reason      string
	// Expires is the last day (UTC) the suppression applies; zero: never.
	Expires time.Time
	Line    int
}

// Active reports whether the suppression still applies at now: through
// its expiry date, inclusive.
func (s *Suppression) Active(now time.Time) bool {
	return s.Expires.IsZero() || now.Before(s.Expires.AddDate(0, 0, 1))
}

// Describe names the suppression for messages: "fingerprint X" or "rule
// R on P".
func (s *Suppression) Describe() string {
	if s.Fingerprint != "" {
		return "fingerprint " + s.Fingerprint
	}
	return fmt.Sprintf("%s on %s", s.Rule, strings.Join(s.Paths, ", "))
}

// ConfigError lists everything wrong with a policy file. Each problem
// names the file, the line, the key and what is allowed.
type ConfigError struct {
	Path     string
	Problems []string
}

func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0]
	}
	return fmt.Sprintf("%s: %d problems:\n  %s", e.Path, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// FindConfig returns the policy file in dir, or "" when there is none.
func FindConfig(dir string) string {
	for _, name := range ConfigNames {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// LoadConfig reads and validates a policy file.
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("policy file %s: larger than %d bytes", path, MaxConfigSize)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses policy file content; path names the file in errors
// and its directory anchors path patterns.
func ParseConfig(path string, data []byte) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	wd, _ := os.Getwd()
	p := &configParser{file: path, cfg: &Config{Path: path, Dir: filepath.Dir(abs), wd: wd}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ConfigError{Path: path, Problems: []string{fmt.Sprintf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))}}
	}
	if len(doc.Content) > 0 {
		p.root(doc.Content[0])
	}
	if len(p.problems) > 0 {
		return nil, &ConfigError{Path: path, Problems: p.problems}
	}
	return p.cfg, nil
}

// configParser walks the YAML tree, collecting every problem.
type configParser struct {
	file     string
	cfg      *Config
	problems []string
}

func (p *configParser) errorf(n *yaml.Node, key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if key != "" {
		msg = fmt.Sprintf("key %q: %s", key, msg)
	}
	p.problems = append(p.problems, fmt.Sprintf("%s:%d:%d: %s", p.file, n.Line, n.Column, msg))
}

// field is one key a mapping accepts.
type field struct {
	name  string
	parse func(key string, v *yaml.Node)
}

// mapping checks that n is a mapping of known keys and hands each value to
// its parser. where names the mapping in messages ("top level", "rules.X").
func (p *configParser) mapping(n *yaml.Node, where string, fields []field) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "", "%s must be a mapping, not %s", where, kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		idx := slices.IndexFunc(fields, func(f field) bool { return f.name == k.Value })
		if idx < 0 {
			names := make([]string, len(fields))
			for j, f := range fields {
				names[j] = f.name
			}
			p.errorf(k, k.Value, "unknown key in %s (allowed: %s)", where, strings.Join(names, ", "))
			continue
		}
		if seen[k.Value] {
			p.errorf(k, k.Value, "given twice in %s", where)
			continue
		}
		seen[k.Value] = true
		fields[idx].parse(k.Value, v)
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "an alias"
}

func (p *configParser) root(n *yaml.Node) {
	c := p.cfg
	p.mapping(n, "the top level", []field{
		{"version", func(k string, v *yaml.Node) {
			if s, ok := p.scalar(k, v); ok && s != fmt.Sprint(ConfigVersion) {
				p.errorf(v, k, "unsupported version %q (allowed: %d)", s, ConfigVersion)
			}
		}},
		{"fail-on", func(k string, v *yaml.Node) {
			if s, ok := p.scalar(k, v); ok {
				if sev, err := ParseFailOn(s); err != nil {
					p.errorf(v, k, "%q is not a severity (allowed: critical, high, medium, low, info, none)", s)
				} else {
					c.FailOn = &sev
				}
			}
		}},
		{"report-min", func(k string, v *yaml.Node) { c.ReportMin = p.severity(k, v) }},
		{"include", func(k string, v *yaml.Node) { c.Include = p.patterns(k, v) }},
		{"exclude", func(k string, v *yaml.Node) { c.Exclude = p.patterns(k, v) }},
		{"max-file-size", func(k string, v *yaml.Node) {
			if s, ok := p.scalar(k, v); ok {
				if n, err := bytesize.Parse(s); err != nil {
					p.errorf(v, k, "%v", err)
				} else {
					c.MaxFileSize = &n
				}
			}
		}},
		{"file-timeout", func(k string, v *yaml.Node) {
			if s, ok := p.scalar(k, v); ok {
				if d, err := time.ParseDuration(s); err != nil || d <= 0 {
					p.errorf(v, k, "%q is not a positive duration (examples: 30s, 2m)", s)
				} else {
					c.FileTimeout = &d
				}
			}
		}},
		{"rules", func(k string, v *yaml.Node) { c.Rules = p.rules(k, v, false) }},
		{"paths", func(k string, v *yaml.Node) { p.paths(k, v) }},
		{"pickle", func(k string, v *yaml.Node) {
			p.mapping(v, k, []field{
				{"allow-globals", func(k2 string, v2 *yaml.Node) { c.Pickle.Allow = p.globals(k+"."+k2, v2) }},
				{"deny-globals", func(k2 string, v2 *yaml.Node) { c.Pickle.Deny = p.globals(k+"."+k2, v2) }},
			})
		}},
		{"formats", func(k string, v *yaml.Node) {
			c.Formats.Line = v.Line
			p.mapping(v, k, []field{
				{"allow", func(k2 string, v2 *yaml.Node) { c.Formats.Allow = p.formats(k+"."+k2, v2) }},
				{"deny", func(k2 string, v2 *yaml.Node) { c.Formats.Deny = p.formats(k+"."+k2, v2) }},
			})
		}},
		{"remote", func(k string, v *yaml.Node) {
			p.mapping(v, k, []field{
				{"on-failure", func(k2 string, v2 *yaml.Node) {
					if s, ok := p.scalar(k+"."+k2, v2); ok {
						if s != "open" && s != "closed" {
							p.errorf(v2, k+"."+k2, "%q is not allowed (allowed: open, closed)", s)
						} else {
							c.RemoteFailure = s
						}
					}
				}},
			})
		}},
		{"suppressions", func(k string, v *yaml.Node) { p.suppressions(k, v) }},
		{"baseline", func(k string, v *yaml.Node) {
			if s, ok := p.scalar(k, v); ok {
				c.Baseline = s
			}
		}},
	})
}

// scalar returns a scalar's text, or reports that the value must be one.
func (p *configParser) scalar(key string, v *yaml.Node) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		p.errorf(v, key, "must be a single value, not %s", kindName(v))
		return "", false
	}
	return strings.TrimSpace(v.Value), true
}

func (p *configParser) severity(key string, v *yaml.Node) *scanner.Severity {
	s, ok := p.scalar(key, v)
	if !ok {
		return nil
	}
	sev, err := scanner.ParseSeverity(s)
	if err != nil {
		p.errorf(v, key, "%q is not a severity (allowed: critical, high, medium, low, info)", s)
		return nil
	}
	return &sev
}

// list reads a list of strings (a single string is a one-item list) and
// checks each item with valid, which returns a problem or "".
func (p *configParser) list(key string, v *yaml.Node, valid func(string) string) []string {
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	} else if v.Kind != yaml.ScalarNode {
		p.errorf(v, key, "must be a list of strings, not %s", kindName(v))
		return nil
	}
	var out []string
	for _, item := range items {
		s, ok := p.scalar(key, item)
		if !ok || s == "" {
			continue
		}
		if problem := valid(s); problem != "" {
			p.errorf(item, key, "%s", problem)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *configParser) patterns(key string, v *yaml.Node) []string {
	return p.list(key, v, func(pat string) string {
		if !doublestar.ValidatePattern(pat) {
			return fmt.Sprintf("%q is not a valid doublestar pattern", pat)
		}
		return ""
	})
}

func (p *configParser) globals(key string, v *yaml.Node) []string {
	return p.list(key, v, func(g string) string {
		if !validGlobal(g) {
			return fmt.Sprintf("%q is not a pickle global (allowed: module.name, or module.* for a whole module)", g)
		}
		return ""
	})
}

// validGlobal accepts dotted Python names, optionally ending in ".*".
func validGlobal(g string) bool {
	name, whole := strings.CutSuffix(g, ".*")
	if name == "" || (!whole && !strings.Contains(name, ".")) {
		return false // a bare module needs ".*"
	}
	g = name
	for _, part := range strings.Split(g, ".") {
		if part == "" {
			return false
		}
		for i, r := range part {
			if r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(i > 0 && r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

func (p *configParser) formats(key string, v *yaml.Node) []string {
	return p.list(key, v, func(f string) string {
		if !slices.Contains(PolicyFormats, format.Format(f)) {
			return fmt.Sprintf("unknown format %q (allowed: %s)", f, joinFormats(PolicyFormats))
		}
		return ""
	})
}

// rules reads a map of rule ID to override. An override is a severity
// ("medium"), "off"/false, "on"/true, or {enabled, severity}.
func (p *configParser) rules(key string, v *yaml.Node, wildcard bool) map[string]RuleOverride {
	if v.Kind != yaml.MappingNode {
		p.errorf(v, key, "must be a mapping of rule ID to override, not %s", kindName(v))
		return nil
	}
	out := map[string]RuleOverride{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		id := strings.TrimSpace(k.Value)
		if !(wildcard && id == "*") {
			if _, ok := scanner.LookupRule(id); !ok {
				hint := "see `modelgate rules`"
				if wildcard {
					hint += `, or "*" for every rule`
				}
				p.errorf(k, key+"."+id, "unknown rule ID (%s)", hint)
				continue
			}
		}
		if _, dup := out[id]; dup {
			p.errorf(k, key+"."+id, "given twice")
			continue
		}
		ov := RuleOverride{Line: k.Line}
		where := key + "." + id
		if val.Kind == yaml.MappingNode {
			p.mapping(val, where, []field{
				{"enabled", func(k2 string, v2 *yaml.Node) { ov.Enabled = p.boolean(where+"."+k2, v2) }},
				{"severity", func(k2 string, v2 *yaml.Node) { ov.Severity = p.severity(where+"."+k2, v2) }},
			})
		} else if s, ok := p.scalar(where, val); ok {
			switch strings.ToLower(s) {
			case "off", "false", "disabled":
				f := false
				ov.Enabled = &f
			case "on", "true", "enabled":
				t := true
				ov.Enabled = &t
			default:
				sev, err := scanner.ParseSeverity(s)
				if err != nil {
					p.errorf(val, where, "%q is not allowed (allowed: a severity, off, on, or {enabled, severity})", s)
					continue
				}
				ov.Severity = &sev
			}
		}
		out[id] = ov
	}
	return out
}

func (p *configParser) boolean(key string, v *yaml.Node) *bool {
	s, ok := p.scalar(key, v)
	if !ok {
		return nil
	}
	switch strings.ToLower(s) {
	case "true", "on", "yes":
		b := true
		return &b
	case "false", "off", "no":
		b := false
		return &b
	}
	p.errorf(v, key, "%q is not allowed (allowed: true, false)", s)
	return nil
}

func (p *configParser) paths(key string, v *yaml.Node) {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, key, "must be a list of {path, rules} entries, not %s", kindName(v))
		return
	}
	for i, item := range v.Content {
		where := fmt.Sprintf("%s[%d]", key, i)
		po := PathOverride{Line: item.Line}
		p.mapping(item, where, []field{
			{"path", func(k string, v2 *yaml.Node) { po.Patterns = p.patterns(where+"."+k, v2) }},
			{"rules", func(k string, v2 *yaml.Node) { po.Rules = p.rules(where+"."+k, v2, true) }},
		})
		if item.Kind != yaml.MappingNode {
			continue
		}
		if len(po.Patterns) == 0 {
			p.errorf(item, where, "needs a path (a doublestar pattern or a list of them)")
		}
		if len(po.Rules) == 0 {
			p.errorf(item, where, "needs rules to override")
		}
		p.cfg.Paths = append(p.cfg.Paths, po)
	}
}

func (p *configParser) suppressions(key string, v *yaml.Node) {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, key, "must be a list of suppressions, not %s", kindName(v))
		return
	}
	for i, item := range v.Content {
		where := fmt.Sprintf("%s[%d]", key, i)
		s := Suppression{Line: item.Line}
		p.mapping(item, where, []field{
			{"fingerprint", func(k string, v2 *yaml.Node) { s.Fingerprint, _ = p.scalar(where+"."+k, v2) }},
			{"rule", func(k string, v2 *yaml.Node) {
				if id, ok := p.scalar(where+"."+k, v2); ok {
					if _, known := scanner.LookupRule(id); !known {
						p.errorf(v2, where+"."+k, "unknown rule ID %q (see `modelgate rules`)", id)
					}
					s.Rule = id
				}
			}},
			{"path", func(k string, v2 *yaml.Node) { s.Paths = p.patterns(where+"."+k, v2) }},
			{"reason", func(k string, v2 *yaml.Node) { s.Reason, _ = p.scalar(where+"."+k, v2) }},
			{"expires", func(k string, v2 *yaml.Node) {
				if d, ok := p.scalar(where+"."+k, v2); ok {
					t, err := time.Parse(time.DateOnly, d)
					if err != nil {
						p.errorf(v2, where+"."+k, "%q is not a date (allowed: YYYY-MM-DD)", d)
					}
					s.Expires = t
				}
			}},
		})
		if item.Kind != yaml.MappingNode {
			continue
		}
		switch {
		case s.Reason == "":
			p.errorf(item, where, "needs a reason (why the finding is accepted, shown in reports)")
		case s.Fingerprint != "" && (s.Rule != "" || len(s.Paths) > 0):
			p.errorf(item, where, "give either a fingerprint, or a rule and a path, not both")
		case s.Fingerprint == "" && (s.Rule == "" || len(s.Paths) == 0):
			p.errorf(item, where, "needs a fingerprint, or a rule and a path (to turn a rule off everywhere, use rules: {ID: off})")
		}
		p.cfg.Suppressions = append(p.cfg.Suppressions, s)
	}
}

// PolicyFormats are the format names `formats.allow` and `formats.deny`
// accept: the formats modelgate recognises in model artifacts.
var PolicyFormats = []format.Format{
	format.Pickle, format.NumPy, format.Safetensors, format.GGUF, format.GGML, format.ONNX,
	format.TFLite, format.TFSavedModel, format.HDF5, format.Zip, format.Tar, format.SevenZip,
	format.Gzip, format.Bzip2, format.XZ, format.LZMA, format.Zstd, format.LZ4, format.Zlib,
}

func joinFormats(fs []format.Format) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// Rel returns path (as reported: relative to the working directory, or
// absolute) relative to the config's directory, slash-separated, for
// matching path patterns; ok is false when it lies outside that
// directory.
func (c *Config) Rel(path string) (string, bool) {
	abs := filepath.FromSlash(path)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(c.wd, abs)
	}
	rel, err := filepath.Rel(c.Dir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// matchAny reports whether rel matches one of the patterns.
func matchAny(patterns []string, rel string) bool {
	for _, p := range patterns {
		if ok, _ := doublestar.Match(p, rel); ok {
			return true
		}
		// A directory pattern covers what is inside it.
		if ok, _ := doublestar.Match(strings.TrimSuffix(p, "/")+"/**", rel); ok {
			return true
		}
	}
	return false
}
