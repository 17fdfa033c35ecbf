package discover_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modelgate/modelgate/discover"
)

// tree writes files (path → content) under a new directory and chdirs
// into it, so display paths are relative.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

type listed struct {
	Path   string
	Wanted bool
}

func discoverList(t *testing.T, paths []string, o discover.Options) ([]listed, []string) {
	t.Helper()
	res, err := discover.Discover(paths, o)
	if err != nil {
		t.Fatal(err)
	}
	var got []listed
	for _, tg := range res.Targets {
		got = append(got, listed{tg.Path, tg.Wanted})
	}
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.Path+": "+s.Reason)
	}
	return got, skipped
}

var repo = map[string]string{
	"models/a.safetensors":            "x",
	"models/weights":                  "x",
	"models/sub/b.PT":                 "x",
	"node_modules/pkg/evil.pkl":       "x",
	".git/objects/ab/cdef":            "x",
	"build/out.pkl":                   "x",
	"prompts/system.txt":              "x",
	"src/main.go":                     "x",
	"AGENTS.md":                       "x",
	".github/copilot-instructions.md": "x",
	"docs/AGENTS.md":                  "x",
}

func TestDefaults(t *testing.T) {
	tree(t, repo)
	got, _ := discoverList(t, []string{"."}, discover.Options{})
	want := []listed{
		{".github/copilot-instructions.md", true},
		{"AGENTS.md", true},
		{"docs/AGENTS.md", true},
		{"models/a.safetensors", true},
		{"prompts/system.txt", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

func TestSniffAllAddsUnmatchedFiles(t *testing.T) {
	tree(t, repo)
	got, _ := discoverList(t, []string{"."}, discover.Options{SniffAll: true})
	var unwanted []string
	for _, l := range got {
		if !l.Wanted {
			unwanted = append(unwanted, l.Path)
		}
	}
	// Excluded directories stay excluded; case-sensitive patterns miss
	// b.PT, so content sniffing is what finds it.
	want := []string{"models/sub/b.PT", "models/weights", "src/main.go"}
	if diff := cmp.Diff(want, unwanted); diff != "" {
		t.Errorf("sniffed candidates (-want +got):\n%s", diff)
	}
}

func TestUserPatterns(t *testing.T) {
	tree(t, repo)
	got, _ := discoverList(t, []string{"."}, discover.Options{
		Includes:          []string{"models/weights", "*.go"},
		Excludes:          []string{"docs/**", "*.md"},
		NoDefaultExcludes: true,
	})
	var paths []string
	for _, l := range got {
		paths = append(paths, l.Path)
	}
	want := []string{"build/out.pkl", "models/a.safetensors", "models/weights", "node_modules/pkg/evil.pkl", "prompts/system.txt", "src/main.go"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

func TestNoDefaultIncludes(t *testing.T) {
	tree(t, repo)
	got, _ := discoverList(t, []string{"."}, discover.Options{NoDefaultIncludes: true, Includes: []string{"**/*.safetensors"}})
	if diff := cmp.Diff([]listed{{"models/a.safetensors", true}}, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

func TestExplicitFileAndSubdirectory(t *testing.T) {
	tree(t, repo)
	got, _ := discoverList(t, []string{"src/main.go", "models"}, discover.Options{})
	want := []listed{{"models/a.safetensors", true}, {"src/main.go", true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

func TestSymlinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.pkl")
	os.WriteFile(outside, []byte("x"), 0o644)
	dir := tree(t, map[string]string{"blobs/0123abcd": "x", "snapshots/keep.txt": "x"})
	mustSymlink(t, "../blobs/0123abcd", filepath.Join(dir, "snapshots", "model.safetensors"))
	mustSymlink(t, outside, filepath.Join(dir, "escape.pkl"))
	mustSymlink(t, filepath.Dir(outside), filepath.Join(dir, "linkdir"))

	got, skipped := discoverList(t, []string{"."}, discover.Options{SniffAll: true})
	// The blob is listed once, under the name that matched a pattern.
	want := []listed{{"snapshots/keep.txt", false}, {"snapshots/model.safetensors", true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"escape.pkl: symlink points outside the scanned directory"}, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
}

func TestErrors(t *testing.T) {
	tree(t, repo)
	for _, tt := range []struct {
		paths []string
		o     discover.Options
		want  string
	}{
		{[]string{"missing"}, discover.Options{}, "missing: no such file or directory"},
		{[]string{"."}, discover.Options{Includes: []string{"/abs/*.pkl"}}, "is absolute"},
		{[]string{"."}, discover.Options{Excludes: []string{"../x"}}, `contains ".."`},
		{[]string{"."}, discover.Options{Includes: []string{"[a-"}}, "not a valid doublestar pattern"},
	} {
		_, err := discover.Discover(tt.paths, tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Discover(%v, %+v) error = %v, want %q", tt.paths, tt.o, err, tt.want)
		}
	}
}

func BenchmarkDiscover(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < 2000; i++ {
		p := filepath.Join(dir, "src", string(rune('a'+i%26)), strings.Repeat("f", 1+i%5)+string(rune('a'+i%7))+".go")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	for b.Loop() {
		if _, err := discover.Discover([]string{dir}, discover.Options{SniffAll: true}); err != nil {
			b.Fatal(err)
		}
	}
}
