package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/modelgate/modelgate/scanner"
)

const examplePath = "../.modelgate.example.yml"

func TestExampleConfig(t *testing.T) {
	cfg, err := LoadConfig(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FailOn == nil || *cfg.FailOn != scanner.SeverityHigh || *cfg.ReportMin != scanner.SeverityLow {
		t.Errorf("gate: %v %v", cfg.FailOn, cfg.ReportMin)
	}
	if *cfg.MaxFileSize != 4<<30 || *cfg.FileTimeout != time.Minute {
		t.Errorf("limits: %d %v", *cfg.MaxFileSize, *cfg.FileTimeout)
	}
	if ov := cfg.Rules["MG2011"]; ov.Enabled == nil || *ov.Enabled {
		t.Errorf("MG2011 off: %+v", ov)
	}
	if len(cfg.Paths) != 2 || !slices.Equal(cfg.Paths[0].Patterns, []string{"tests/redteam/**", "evals/**/*.jsonl"}) {
		t.Errorf("paths: %+v", cfg.Paths)
	}
	if !slices.Equal(cfg.Formats.Allow, []string{"safetensors", "gguf", "onnx"}) || cfg.RemoteFailure != "closed" {
		t.Errorf("formats %v remote %q", cfg.Formats.Allow, cfg.RemoteFailure)
	}
	if s := cfg.Suppressions[1]; s.Rule != "MG1015" || s.Expires.Format(time.DateOnly) != "2027-01-31" || s.Line == 0 {
		t.Errorf("suppression: %+v", s)
	}
}

// The example validates against the published schema, and the schema and
// the parser accept the same top-level keys.
func TestSchemaMatchesParser(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("../schema/config-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var node yaml.Node
	if err := yaml.Unmarshal(mustRead(t, examplePath), &node); err != nil {
		t.Fatal(err)
	}
	doc := jsonRoundTrip(t, plain(node.Content[0]))
	if err := sch.Validate(doc); err != nil {
		t.Errorf("example is not valid against the schema: %v", err)
	}
	var raw struct {
		Properties map[string]any `json:"properties"`
	}
	json.Unmarshal(mustRead(t, "../schema/config-v1.json"), &raw)
	for key := range raw.Properties {
		_, err := ParseConfig("x.yml", []byte(key+": ~\n"))
		if err != nil && strings.Contains(err.Error(), "unknown key") {
			t.Errorf("schema key %q is unknown to the parser", key)
		}
	}
	// and every key the parser names as allowed is in the schema
	_, err = ParseConfig("x.yml", []byte("nope: 1\n"))
	allowed := err.Error()[strings.Index(err.Error(), "allowed: ")+len("allowed: ") : len(err.Error())-1]
	for _, key := range strings.Split(allowed, ", ") {
		if _, ok := raw.Properties[key]; !ok {
			t.Errorf("parser key %q is missing from the schema", key)
		}
	}
}

// plain converts a YAML node to Go values the way a YAML language server
// hands it to a JSON Schema validator: dates stay strings.
func plain(n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			out = append(out, plain(c))
		}
		return out
	}
	if n.Tag == "!!timestamp" || n.Tag == "!!str" {
		return n.Value
	}
	var v any
	n.Decode(&v)
	return v
}

// jsonRoundTrip turns YAML-decoded values (dates become time.Time) into
// what a JSON validator expects.
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"version: 2\n", `x.yml:1:10: key "version": unsupported version "2" (allowed: 1)`},
		{"fail_on: high\n", `x.yml:1:1: key "fail_on": unknown key in the top level (allowed: version, fail-on,`},
		{"report-min: none\n", `key "report-min": "none" is not a severity`},
		{"rules:\n  MG9999: off\n", `x.yml:2:3: key "rules.MG9999": unknown rule ID`},
		{"rules:\n  MG1001: {level: low}\n", `x.yml:2:12: key "level": unknown key in rules.MG1001 (allowed: enabled, severity)`},
		{"rules:\n  MG1001: loud\n", `"loud" is not allowed (allowed: a severity, off, on, or {enabled, severity})`},
		{"rules:\n  \"*\": off\n", `key "rules.*": unknown rule ID`},
		{"paths:\n  - path: a/**\n", `key "paths[0]": needs rules to override`},
		{"paths:\n  - rules: {MG1001: off}\n", `key "paths[0]": needs a path`},
		{"paths:\n  - path: \"a/[\"\n    rules: {MG1001: off}\n", `"a/[" is not a valid doublestar pattern`},
		{"suppressions:\n  - fingerprint: abc\n", `x.yml:2:5: key "suppressions[0]": needs a reason`},
		{"suppressions:\n  - rule: MG1001\n    reason: r\n", `needs a fingerprint, or a rule and a path`},
		{"suppressions:\n  - fingerprint: abc\n    rule: MG1001\n    path: x\n    reason: r\n", `either a fingerprint, or a rule and a path, not both`},
		{"suppressions:\n  - fingerprint: abc\n    reason: r\n    expires: 31/12/2026\n", `x.yml:4:14: key "suppressions[0].expires": "31/12/2026" is not a date (allowed: YYYY-MM-DD)`},
		{"formats:\n  allow: [safetensors, pt]\n", `x.yml:2:24: key "formats.allow": unknown format "pt"`},
		{"pickle:\n  deny-globals: [os]\n", `"os" is not a pickle global`},
		{"remote:\n  on-failure: maybe\n", `"maybe" is not allowed (allowed: open, closed)`},
		{"max-file-size: lots\n", `invalid size "lots"`},
		{"file-timeout: -1s\n", `"-1s" is not a positive duration`},
		{"- a\n- b\n", `the top level must be a mapping`},
		{"fail-on: [high]\n", `key "fail-on": must be a single value, not a list`},
		{"fail-on: high\nfail-on: low\n", `x.yml:2:1: key "fail-on": given twice in the top level`},
		{"a: [\n", `x.yml: line 1: did not find expected node content`},
	} {
		_, err := ParseConfig("x.yml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v\nwant it to contain %q", tt.yaml, err, tt.want)
		}
	}
	// Every problem is reported, not just the first.
	_, err := ParseConfig("x.yml", []byte("version: 3\nfail-on: x\nbogus: 1\n"))
	if ce, ok := err.(*ConfigError); !ok || len(ce.Problems) != 3 {
		t.Errorf("want 3 problems, got %v", err)
	}
}

func TestEmptyConfigIsValid(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "version: 1\n"} {
		cfg, err := ParseConfig("x.yml", []byte(src))
		if err != nil || cfg.FailOn != nil || len(cfg.Rules) != 0 {
			t.Errorf("%q: %+v %v", src, cfg, err)
		}
	}
}

func TestFindConfig(t *testing.T) {
	dir := t.TempDir()
	if got := FindConfig(dir); got != "" {
		t.Errorf("empty dir: %q", got)
	}
	os.WriteFile(filepath.Join(dir, ".modelgate.yaml"), nil, 0o644)
	if got := FindConfig(dir); filepath.Base(got) != ".modelgate.yaml" {
		t.Errorf("got %q", got)
	}
	os.WriteFile(filepath.Join(dir, ".modelgate.yml"), nil, 0o644)
	if got := FindConfig(dir); filepath.Base(got) != ".modelgate.yml" {
		t.Errorf(".yml first: got %q", got)
	}
}
