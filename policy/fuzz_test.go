package policy

import (
	"testing"
)

// FuzzParseConfig: any policy file content yields a config or a located
// error, never a panic.
func FuzzParseConfig(f *testing.F) {
	f.Add(mustRead(f, examplePath))
	for _, s := range []string{
		"", "version: 1\n", "rules:\n  MG1001: {severity: low}\n", "paths:\n  - path: [a, b]\n    rules: {\"*\": off}\n",
		"suppressions:\n  - fingerprint: abc\n    reason: r\n    expires: 2026-01-01\n", "a: &x [*x]\n", "- [\n",
		"formats: {allow: pickle}\n", "pickle: {allow-globals: [a.*]}\n", "rules: [1, 2]\n", "fail-on: !!binary aGk=\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("x.yml", data)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("config %v and error %v", cfg, err)
		}
	})
}

// FuzzParseBaseline: any baseline content is accepted or refused cleanly.
func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte(`{"version": 1, "findings": [{"fingerprint": "0123456789abcdef:1"}]}`))
	f.Add([]byte(`{"version": 1, "findings": null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBaseline("b.json", data)
		if (b == nil) == (err == nil) {
			t.Fatalf("baseline %v and error %v", b, err)
		}
	})
}
