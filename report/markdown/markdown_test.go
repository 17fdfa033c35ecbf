package markdown_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/markdown"
	"github.com/modelgate/modelgate/scanner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/github/golden")

// sample is a report with every kind of content: blocking and other
// findings, binary and line locations, archive members, hostile names and
// messages, an LFS pointer, a skipped file and a scan error.
func sample() *report.Report {
	findings := []scanner.Finding{
		{RuleID: "MG0003", Severity: scanner.SeverityLow, Message: "Git LFS pointer: the model content was not checked out.",
			Location: scanner.Location{Path: "models/lfs/model.safetensors"}, Fingerprint: "aaaaaaaaaaaaaaaa:1"},
		{RuleID: "MG1001", Severity: scanner.SeverityCritical, Message: "REDUCE at offset 75 calls os.system",
			Location: scanner.Location{Path: "models/pytorch_model.bin", ByteOffset: scanner.Offset(75)}, Fingerprint: "bbbbbbbbbbbbbbbb:1"},
		{RuleID: "MG1001", Severity: scanner.SeverityCritical, Message: "REDUCE calls builtins.exec",
			Location: scanner.Location{Path: "models/bundle.zip", Member: "archive/data.pkl", ByteOffset: scanner.Offset(12)}, Fingerprint: "cccccccccccccccc:1"},
		{RuleID: "MG2010", Severity: scanner.SeverityHigh,
			Message:  `__metadata__ value "x" contains <img src=x onerror=alert(1)> **bold** @octocat [link](https://evil.example) | pipe $x$ www.evil.example`,
			Location: scanner.Location{Path: "models/we|ird `name` <b>@team</b>.safetensors", ByteOffset: scanner.Offset(39)}, Fingerprint: "dddddddddddddddd:1"},
		{RuleID: "MG2010", Severity: scanner.SeverityHigh, Message: "prompt line carries a shell command",
			Location: scanner.Location{Path: "prompts/system.txt", StartLine: 3, EndLine: 4}, Fingerprint: "eeeeeeeeeeeeeeee:1"},
		{RuleID: "MG0006", Severity: scanner.SeverityInfo, Message: "Recognised as text, but not analysed.",
			Location: scanner.Location{Path: "prompts/system.txt"}, Fingerprint: "ffffffffffffffff:1"},
	}
	scanner.SortFindings(findings)
	res := &scanner.Result{
		StartedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), FinishedAt: time.Date(2025, 1, 2, 3, 4, 6, 0, time.UTC),
		Findings: findings,
		Files: []scanner.FileStatus{
			{Path: "models/big.gguf", Status: scanner.StatusSkipped, Reason: "larger than --max-file-size"},
			{Path: "models/bundle.zip", Status: scanner.StatusScanned, Format: "zip"},
			{Path: "models/lfs/model.safetensors", Status: scanner.StatusSkipped, Reason: scanner.SkipReasonLFS, Format: "lfs-pointer"},
			{Path: "models/pytorch_model.bin", Status: scanner.StatusScanned, Format: "pickle"},
			{Path: "models/we|ird `name` <b>@team</b>.safetensors", Status: scanner.StatusScanned, Format: "safetensors"},
			{Path: "prompts/system.txt", Status: scanner.StatusScanned, Format: "text"},
		},
		Errors:       []scanner.FileError{{Path: "models/bundle.zip", Member: "broken.pkl", Message: "unexpected EOF"}},
		FilesSniffed: 2,
	}
	return &report.Report{
		Tool:     report.Tool{Name: "modelgate", Version: "1.2.3", InformationURI: "https://github.com/modelgate/modelgate"},
		Result:   res,
		Decision: policy.Evaluate(res, policy.DefaultGate),
		Category: "modelgate",
	}
}

func clean() *report.Report {
	res := &scanner.Result{Findings: []scanner.Finding{}, Files: []scanner.FileStatus{
		{Path: "models/clean.safetensors", Status: scanner.StatusScanned, Format: "safetensors"},
	}}
	return &report.Report{Tool: report.Tool{Name: "modelgate", Version: "1.2.3"}, Result: res,
		Decision: policy.Evaluate(res, policy.DefaultGate), Category: "modelgate"}
}

const blob = "https://github.com/octo-org/ml-models/blob/6dcb09b5b57875f334f61aebed695e2e4193db5e"

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "github", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/markdown -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); run go test ./report/markdown -update if intended:\n%s", name, diff)
	}
}

func TestGoldenComment(t *testing.T) {
	got := markdown.Render(sample(), markdown.Options{
		Marker: "modelgate", Hidden: []string{"modelgate-reviewed:eeeeeeeeeeeeeeee:1"}, BlobURL: blob,
		Notes:    []string{"Code scanning: SARIF uploaded for refs/pull/7/merge and processed (upload 47177e22)."},
		MaxBytes: 65536, Limit: "GitHub's 65,536-character comment limit", FullReport: "the job summary",
	})
	golden(t, "comment.md", got)
	if !strings.HasPrefix(got, "<!-- modelgate:modelgate -->\n") {
		t.Error("the comment does not start with its marker")
	}
}

func TestGoldenSummary(t *testing.T) {
	golden(t, "summary.md", markdown.Render(sample(), markdown.Options{BlobURL: blob, MaxBytes: 1 << 20}))
}

func TestGoldenClean(t *testing.T) {
	got := markdown.Render(clean(), markdown.Options{Marker: "modelgate", BlobURL: blob})
	golden(t, "comment-clean.md", got)
	if !strings.Contains(got, "PASS**: no findings") || !strings.Contains(got, "Nothing to report") {
		t.Errorf("a clean report must say so:\n%s", got)
	}
}

// TestHostileContentIsEscaped: names and messages from the repository can
// neither inject HTML, links or mentions nor break the table.
func TestHostileContentIsEscaped(t *testing.T) {
	got := markdown.Render(sample(), markdown.Options{BlobURL: blob})
	// Code spans show their content literally (no HTML, link or mention):
	// check the text outside them.
	// Link destinations are URLs, not text.
	prose := regexp.MustCompile(`\]\(https://github\.com/[^ )]*\)`).ReplaceAllString(stripCodeSpans(got), "](URL)")
	for _, bad := range []string{"<img", "<b>", "@octocat", "@team", "](https://evil", "www.evil", "**bold**", "$x$"} {
		if strings.Contains(prose, bad) {
			t.Errorf("output contains %q unescaped", bad)
		}
	}
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "| **high** | MG2010") {
			if cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); cells != 5 {
				t.Errorf("table row has %d borders, want 5: %s", cells, line)
			}
		}
	}
}

func TestEscapers(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a*b_c", `a\*b\_c`},
		{"<script>", "&lt;script&gt;"},
		{"x\ny", "x y"},
		{"@here", "@\u200bhere"},
		{"see https://x.y", `see https\://x.y`},
	} {
		if got := markdown.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in      string
		inTable bool
		want    string
	}{
		{"a.pkl", false, "`a.pkl`"},
		{"a`b", false, "``a`b``"},
		{"`x", false, "`` `x ``"},
		{"a|b", true, "`a\\|b`"},
	} {
		if got := markdown.Code(tt.in, tt.inTable); got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestTruncation: a report far over the limit stays under it, keeps the
// verdict and the first blocking rows, and says how much was cut.
func TestTruncation(t *testing.T) {
	rep := sample()
	var many []scanner.Finding
	for i := range 3000 {
		many = append(many, scanner.Finding{RuleID: "MG1001", Severity: scanner.SeverityCritical,
			Message:  strings.Repeat("REDUCE calls os.system with a long explanation ", 4),
			Location: scanner.Location{Path: fmt.Sprintf("models/m%04d.pkl", i), ByteOffset: scanner.Offset(int64(i))}})
	}
	rep.Result.Findings = many
	rep.Decision = policy.Evaluate(rep.Result, policy.DefaultGate)
	const limit = 65536
	got := markdown.Render(rep, markdown.Options{Marker: "modelgate", MaxBytes: limit, FullReport: "the job summary"})
	if n := utf8.RuneCountInString(got); n > limit || len(got) > limit {
		t.Fatalf("%d characters (%d bytes), over %d", n, len(got), limit)
	}
	for _, want := range []string{"<!-- modelgate:modelgate -->", "**FAIL**: 3000 blocking findings", "models/m0000.pkl",
		"✂️ Truncated:", "characters were cut", "The full report is in the job summary.", "</sub>"} {
		if !strings.Contains(got, want) {
			t.Errorf("truncated comment lacks %q", want)
		}
	}
	if strings.Count(got, "<details>") != strings.Count(got, "</details>") {
		t.Error("a <details> block was cut in half")
	}
	if untruncated := markdown.Render(rep, markdown.Options{}); len(untruncated) <= limit {
		t.Fatalf("test report is only %d bytes", len(untruncated))
	}
}

func TestMarkerIsCommentSafe(t *testing.T) {
	got := markdown.MarkerLine("evil --> <script>")
	if strings.Count(got, "-->") != 1 || strings.Contains(got, "<script") || strings.Contains(got[4:len(got)-3], "--") {
		t.Errorf("marker %q can break out of its HTML comment", got)
	}
}

// stripCodeSpans replaces each code span (a backtick run up to the next run
// of the same length) with CODE.
func stripCodeSpans(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '`')
		if i < 0 {
			return b.String() + s
		}
		n := i
		for n < len(s) && s[n] == '`' {
			n++
		}
		fence := s[i:n]
		end := -1
		for j := n; j < len(s); {
			k := strings.Index(s[j:], fence)
			if k < 0 {
				break
			}
			k += j
			m := k + len(fence)
			if (k == 0 || s[k-1] != '`') && (m == len(s) || s[m] != '`') {
				end = m
				break
			}
			j = m
			for j < len(s) && s[j] == '`' {
				j++
			}
		}
		if end < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i] + "CODE")
		s = s[end:]
	}
}
