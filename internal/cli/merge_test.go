package cli_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report/jsonreport"
)

// stripTimes removes what legitimately differs between a full scan and
// merged shards: start and end times and the duration.
func stripTimes(s string) string {
	for _, re := range []string{`"(started_at|finished_at|start_time|end_time|timestamp)": "[^"]+"`, `"duration_ms": \d+`, `"serialNumber": "[^"]+"`} {
		s = regexp.MustCompile(re).ReplaceAllString(s, "X")
	}
	return s
}

// shardTree scans paths whole and as n shards, and returns the full scan's
// outputs and the shards' output files by format.
func shardTree(t *testing.T, n int, extra []string, paths ...string) (full map[string]string, code int, shards map[string][]string) {
	t.Helper()
	dir := t.TempDir()
	outFlags := func(prefix string) []string {
		return []string{"--quiet", "--json", filepath.Join(dir, prefix+".json"), "--sarif", filepath.Join(dir, prefix+".sarif")}
	}
	args := append(append(append([]string{"scan"}, paths...), extra...), outFlags("full")...)
	r := run(t, nil, args...)
	if r.code > 1 {
		t.Fatalf("full scan: exit %d\n%s", r.code, r.stderr)
	}
	full = map[string]string{"json": string(mustRead(t, filepath.Join(dir, "full.json"))), "sarif": string(mustRead(t, filepath.Join(dir, "full.sarif")))}
	shards = map[string][]string{}
	scanned := 0
	for i := 1; i <= n; i++ {
		prefix := fmt.Sprintf("shard%d", i)
		args := append(append(append([]string{"scan", "--shard", fmt.Sprintf("%d/%d", i, n)}, paths...), extra...), outFlags(prefix)...)
		if r := run(t, nil, args...); r.code > 1 {
			t.Fatalf("shard %d: exit %d\n%s", i, r.code, r.stderr)
		}
		for _, f := range []string{"json", "sarif"} {
			shards[f] = append(shards[f], filepath.Join(dir, prefix+"."+f))
		}
		if fs := files(t, string(mustRead(t, filepath.Join(dir, prefix+".json")))); fs != "" {
			scanned += strings.Count(fs, ",") + 1
		}
	}
	t.Logf("%d files over %d shards", scanned, n)
	return full, r.code, shards
}

// TestMergedShardsEqualFullScan: four shards merged are the full scan, for
// JSON and SARIF inputs and for every output format rendered from the
// merged JSON.
func TestMergedShardsEqualFullScan(t *testing.T) {
	repoRoot(t)
	for name, paths := range map[string][]string{
		"demo": {"testdata/demo"},
		"wide": {"testdata", "scanner/gguf/testdata", "scanner/safetensors/testdata", "scanner/archive/testdata"},
	} {
		t.Run(name, func(t *testing.T) {
			full, code, shards := shardTree(t, 4, nil, paths...)
			dir := t.TempDir()
			merged := func(format string, inputs []string) (string, int) {
				out := filepath.Join(dir, "merged."+format)
				r := run(t, nil, append([]string{"merge", "--format", format, "--output", out}, inputs...)...)
				if r.code > 1 {
					t.Fatalf("merge to %s: exit %d\n%s", format, r.code, r.stderr)
				}
				return string(mustRead(t, out)), r.code
			}
			for _, tc := range []struct{ format, from string }{{"json", "json"}, {"sarif", "sarif"}, {"sarif", "json"}} {
				got, gotCode := merged(tc.format, shards[tc.from])
				if diff := cmp.Diff(stripTimes(full[tc.format]), stripTimes(got)); diff != "" {
					t.Errorf("%s merged from %s differs from the full scan (-full +merged):\n%s", tc.format, tc.from, diff)
				}
				if gotCode != code {
					t.Errorf("%s from %s: exit %d, full scan %d", tc.format, tc.from, gotCode, code)
				}
			}
			if name == "demo" {
				validateSARIF(t, []byte(full["sarif"]))
			}
			var doc struct{ Findings []any }
			json.Unmarshal([]byte(full["json"]), &doc)
			t.Logf("%d findings", len(doc.Findings))
		})
	}
}

// TestMergeRendersEveryFormat: the GitLab reports and the text report of
// merged shards are those of the full scan.
func TestMergeRendersEveryFormat(t *testing.T) {
	repoRoot(t)
	_, _, shards := shardTree(t, 3, nil, "testdata/demo")
	for _, format := range []string{"text", "gitlab-sast", "codequality", "cyclonedx"} {
		full := run(t, nil, "scan", "testdata/demo", "--format", format)
		merged := run(t, nil, append([]string{"merge", "--format", format}, shards["json"]...)...)
		norm := func(s string) string {
			return regexp.MustCompile(`modelgate \S+ · \S+`).ReplaceAllString(stripTimes(s), "")
		}
		if diff := cmp.Diff(norm(full.stdout), norm(merged.stdout)); diff != "" || merged.code != full.code {
			t.Errorf("%s: exit %d/%d, (-full +merged):\n%s", format, full.code, merged.code, diff)
		}
	}
}

// TestMergeRegates: shards that never fail can be gated in the merge job.
func TestMergeRegates(t *testing.T) {
	repoRoot(t)
	_, code, shards := shardTree(t, 2, []string{"--fail-on", "none"}, "testdata/demo")
	if code != 0 {
		t.Fatalf("--fail-on none: exit %d", code)
	}
	if r := run(t, nil, append([]string{"merge", "--quiet"}, shards["json"]...)...); r.code != 0 {
		t.Errorf("merge with the shards' gate: exit %d", r.code)
	}
	r := run(t, nil, append([]string{"merge", "--fail-on", "critical"}, shards["json"]...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL") {
		t.Errorf("merge --fail-on critical: exit %d\n%s", r.code, r.stdout)
	}
}

func TestMergeErrors(t *testing.T) {
	repoRoot(t)
	_, _, shards := shardTree(t, 2, nil, "testdata/demo")
	_, _, hiding := shardTree(t, 2, []string{"--report-min", "high"}, "testdata/demo")
	_, _, strict := shardTree(t, 2, []string{"--fail-on", "critical"}, "testdata/demo")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no inputs":       {nil, "needs the shards' reports"},
		"mixed":           {[]string{shards["json"][0], shards["sarif"][1]}, "not both"},
		"not a report":    {[]string{"testdata/demo/AGENTS.md"}, "not a modelgate JSON report"},
		"sarif to gitlab": {append([]string{"--format", "gitlab-sast"}, shards["sarif"]...), "SARIF logs merge into SARIF only"},
		"shard flag":      {append([]string{"--shard", "1/2"}, shards["json"]...), "does not apply to merge"},
		"gates differ":    {[]string{shards["json"][0], strict["json"][1]}, "different gates"},
		"hidden findings": {append([]string{"--fail-on", "low"}, hiding["json"]...), "left out"},
	} {
		r := run(t, nil, append([]string{"merge"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", name, r.code, r.stderr, tc.want)
		}
	}
}

// TestMergeKeepsPolicyOutcomes: suppressed findings, disabled rules and
// expired-suppression notes survive the merge. Stale-suppression notes
// need the whole repository, so shards (partial scans) do not write them
// and the merge cannot either.
func TestMergeKeepsPolicyOutcomes(t *testing.T) {
	repoRoot(t)
	full, code, shards := shardTree(t, 3, nil, "testdata/policy")
	r := run(t, nil, append([]string{"merge", "--format", "json"}, shards["json"]...)...)
	if r.code != code {
		t.Errorf("exit %d, full scan %d", r.code, code)
	}
	decode := func(s string) jsonreport.Document {
		var d jsonreport.Document
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			t.Fatal(err)
		}
		d.StartedAt, d.FinishedAt, d.DurationMS = time.Time{}, time.Time{}, 0
		return d
	}
	want, got := decode(full["json"]), decode(r.stdout)
	want.Policy.Notes = slices.DeleteFunc(want.Policy.Notes, func(n policy.Note) bool { return strings.Contains(n.Message, "(stale)") })
	if len(want.Suppressed) == 0 || want.Policy.Disabled == 0 || len(want.Policy.Notes) == 0 {
		t.Fatalf("the fixture no longer exercises the policy: %+v", want.Policy)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged policy outcome differs (-full +merged):\n%s", diff)
	}
}
