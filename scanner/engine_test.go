package scanner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// fakeScanner is a test scanner driven by a function.
type fakeScanner struct {
	name   string
	accept func(*scanner.File) bool
	scan   func(context.Context, *scanner.Input) ([]scanner.Finding, error)
}

func (f *fakeScanner) Name() string                    { return f.name }
func (f *fakeScanner) Accepts(file *scanner.File) bool { return f.accept(file) }
func (f *fakeScanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	return f.scan(ctx, in)
}

func acceptText(f *scanner.File) bool { return f.Sniff.Format == format.Text }

func writeFiles(t *testing.T, files map[string]string) (dir string, targets []scanner.Target) {
	t.Helper()
	dir = t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, scanner.Target{Path: name, OSPath: p, Size: int64(len(content)), Wanted: true})
	}
	return dir, targets
}

func rulesOf(fs []scanner.Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.Location.String()+" "+f.RuleID)
	}
	return ids
}

func TestEngineRecoversFromPanics(t *testing.T) {
	_, targets := writeFiles(t, map[string]string{"a.txt": "hello", "b.txt": "world"})
	panicky := &fakeScanner{name: "panicky", accept: acceptText, scan: func(_ context.Context, in *scanner.Input) ([]scanner.Finding, error) {
		if in.Path == "a.txt" {
			panic("boom")
		}
		return []scanner.Finding{in.Finding("MG0002", "seen", "")}, nil
	}}
	res, err := (&scanner.Engine{Scanners: []scanner.Scanner{panicky}}).Run(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rulesOf(res.Findings), ",")
	if got != "a.txt MG0001,b.txt MG0002" {
		t.Fatalf("findings = %s", got)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "boom") {
		t.Fatalf("errors = %+v", res.Errors)
	}
	if res.Findings[0].Engine != "panicky" || res.Findings[0].Severity != scanner.SeverityMedium {
		t.Errorf("scan-error finding = %+v", res.Findings[0])
	}
}

func TestEngineAbandonsScannerThatIgnoresItsDeadline(t *testing.T) {
	_, targets := writeFiles(t, map[string]string{"slow.txt": "x"})
	stuck := &fakeScanner{name: "stuck", accept: acceptText, scan: func(context.Context, *scanner.Input) ([]scanner.Finding, error) {
		time.Sleep(time.Hour)
		return nil, nil
	}}
	e := &scanner.Engine{Scanners: []scanner.Scanner{stuck}, Limits: scanner.Limits{FileTimeout: 50 * time.Millisecond}}
	done := make(chan *scanner.Result)
	go func() {
		res, _ := e.Run(context.Background(), targets)
		done <- res
	}()
	select {
	case res := <-done:
		if got := strings.Join(rulesOf(res.Findings), ","); got != "slow.txt MG0005" {
			t.Fatalf("findings = %s", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("engine hung on a stuck scanner")
	}
}

func TestEngineEnforcesReadBudget(t *testing.T) {
	_, targets := writeFiles(t, map[string]string{"big.txt": strings.Repeat("a", 64<<10)})
	greedy := &fakeScanner{name: "greedy", accept: acceptText, scan: func(_ context.Context, in *scanner.Input) ([]scanner.Finding, error) {
		buf := make([]byte, 1024)
		for off := int64(0); off < in.Size; off += 1024 {
			if _, err := in.R.ReadAt(buf, off); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}}
	e := &scanner.Engine{Scanners: []scanner.Scanner{greedy}, Limits: scanner.Limits{MaxReadBytes: 16 << 10}}
	res, err := e.Run(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, scanner.ErrReadBudget.Error()) {
		t.Fatalf("errors = %+v", res.Errors)
	}
	if got := strings.Join(rulesOf(res.Findings), ","); got != "big.txt MG0005" {
		t.Fatalf("findings = %s", got)
	}
}

func TestEngineUnknownRuleBecomesScanError(t *testing.T) {
	_, targets := writeFiles(t, map[string]string{"a.txt": "x"})
	bad := &fakeScanner{name: "bad", accept: acceptText, scan: func(_ context.Context, in *scanner.Input) ([]scanner.Finding, error) {
		return []scanner.Finding{in.Finding("MG9999", "made up", "")}, nil
	}}
	res, _ := (&scanner.Engine{Scanners: []scanner.Scanner{bad}}).Run(context.Background(), targets)
	if len(res.Findings) != 1 || res.Findings[0].RuleID != "MG0001" || !strings.Contains(res.Findings[0].Message, "MG9999") {
		t.Fatalf("findings = %+v", res.Findings)
	}
}

func TestEngineNotesUnscannedFiles(t *testing.T) {
	files := map[string]string{"unknown.bin": "\x00\x01\x02\x03", "notes.txt": "hello"}
	_, targets := writeFiles(t, files)
	// A sniffed-only candidate that is not a model is dropped silently.
	extra := filepath.Join(t.TempDir(), "other.bin")
	os.WriteFile(extra, []byte("\x00\x00"), 0o644)
	targets = append(targets, scanner.Target{Path: "other.bin", OSPath: extra, Size: 2})
	res, _ := (&scanner.Engine{}).Run(context.Background(), targets)
	got := strings.Join(rulesOf(res.Findings), ",")
	if got != "notes.txt MG0006,unknown.bin MG0002" {
		t.Fatalf("findings = %s", got)
	}
	if len(res.Files) != 2 || res.FilesSniffed != 1 {
		t.Fatalf("files = %+v, sniffed = %d", res.Files, res.FilesSniffed)
	}
}

func TestEngineScansMembersWithNestedPaths(t *testing.T) {
	_, targets := writeFiles(t, map[string]string{"outer.txt": "container"})
	var container, leaf *fakeScanner
	container = &fakeScanner{name: "container", accept: func(f *scanner.File) bool { return f.Member == "" }, scan: func(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
		return in.ScanMember(ctx, "inner/data.txt", strings.NewReader("member text"), 11)
	}}
	leaf = &fakeScanner{name: "leaf", accept: func(f *scanner.File) bool { return f.Member != "" && f.Sniff.Format == format.Text }, scan: func(_ context.Context, in *scanner.Input) ([]scanner.Finding, error) {
		return []scanner.Finding{in.FindingAt("MG0002", 3, "inner", "")}, nil
	}}
	res, _ := (&scanner.Engine{Scanners: []scanner.Scanner{container, leaf}}).Run(context.Background(), targets)
	if got := strings.Join(rulesOf(res.Findings), ","); got != "outer.txt!inner/data.txt@3 MG0002" {
		t.Fatalf("findings = %s", got)
	}
	if res.Findings[0].Engine != "leaf" {
		t.Errorf("engine = %s", res.Findings[0].Engine)
	}
}

func TestEngineReportsDisguiseAndPolyglot(t *testing.T) {
	pickle := "\x80\x02}q\x00."
	emptyZip := "PK\x05\x06" + strings.Repeat("\x00", 18)
	_, targets := writeFiles(t, map[string]string{"model.safetensors": pickle, "poly.pt": pickle + emptyZip})
	res, _ := (&scanner.Engine{}).Run(context.Background(), targets)
	got := strings.Join(rulesOf(res.Findings), ",")
	want := "model.safetensors MG0006,model.safetensors MG0007,poly.pt MG0006,poly.pt MG0008"
	if got != want {
		t.Fatalf("findings = %s\nwant       %s", got, want)
	}
}

func TestEngineOutputIsDeterministic(t *testing.T) {
	files := map[string]string{}
	for _, n := range []string{"c", "a", "e", "b", "d", "f", "g", "h"} {
		files[n+".txt"] = "text " + n
	}
	_, targets := writeFiles(t, files)
	twice := &fakeScanner{name: "twice", accept: acceptText, scan: func(_ context.Context, in *scanner.Input) ([]scanner.Finding, error) {
		return []scanner.Finding{in.Finding("MG0002", "same", "e"), in.Finding("MG0002", "same", "e")}, nil
	}}
	var first string
	for i := 0; i < 5; i++ {
		res, _ := (&scanner.Engine{Scanners: []scanner.Scanner{twice}, Jobs: 4}).Run(context.Background(), targets)
		var fps []string
		for _, f := range res.Findings {
			fps = append(fps, f.Location.Path+"="+f.Fingerprint)
		}
		got := strings.Join(fps, ",")
		if i == 0 {
			first = got
			if !strings.Contains(got, ":1,") || !strings.Contains(got, ":2") {
				t.Fatalf("repeated findings must get distinct occurrence numbers: %s", got)
			}
		} else if got != first {
			t.Fatalf("run %d differs:\n%s\n%s", i, got, first)
		}
	}
}

func TestEngineMaxFileSize(t *testing.T) {
	_, targets := writeFiles(t, map[string]string{"big.txt": strings.Repeat("x", 100)})
	res, _ := (&scanner.Engine{Limits: scanner.Limits{MaxFileSize: 10}}).Run(context.Background(), targets)
	if len(res.Files) != 1 || res.Files[0].Status != scanner.StatusSkipped {
		t.Fatalf("files = %+v", res.Files)
	}
	if got := strings.Join(rulesOf(res.Findings), ","); got != "big.txt MG0004" {
		t.Fatalf("findings = %s", got)
	}
}

func TestEngineCancelled(t *testing.T) {
	_, targets := writeFiles(t, map[string]string{"a.txt": "x"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&scanner.Engine{}).Run(ctx, targets); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
