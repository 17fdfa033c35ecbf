package cli_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelgate/modelgate/internal/cli"
)

// syncBuffer is a buffer written by the dev server's goroutine and read
// by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDevFakeVendor runs each fake as `modelgate dev fake-vendor` and
// scans against it with the credentials and flags it prints.
func TestDevFakeVendor(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "prompts"), 0o755)
	os.WriteFile(filepath.Join(dir, "evil.pkl"), evilPickle, 0o644)
	os.WriteFile(filepath.Join(dir, "prompts", "system.txt"), []byte(injectedPrompt), 0o644)
	hint := regexp.MustCompile(`(?m)^  ((?:\S+=\S+ )+)modelgate scan --engine (\S+) (.*) --remote-log testdata/demo$`)
	for _, vendor := range []string{"evalguard", "prisma-airs", "guardian", "aishield"} {
		t.Run(vendor, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var stdout syncBuffer
			done := make(chan int, 1)
			go func() {
				done <- cli.Run(ctx, []string{"dev", "fake-vendor", vendor, "--addr", "127.0.0.1:0", "--pending", "1"},
					cli.Env{Stdout: &stdout, Stderr: io.Discard, Getenv: func(string) string { return "" }})
			}()
			var m []string
			for deadline := time.Now().Add(5 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				m = hint.FindStringSubmatch(stdout.String())
			}
			if m == nil {
				cancel()
				t.Fatalf("no usage hint in %q", stdout.String())
			}
			env := map[string]string{}
			for _, kv := range strings.Fields(m[1]) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			args := []string{"scan", "--engine", m[2], "--quiet"}
			for _, a := range strings.Fields(m[3]) {
				args = append(args, strings.Trim(a, "'"))
			}
			if r := run(t, env, append(args, dir)...); r.code != 1 {
				t.Errorf("scan against the fake: exit %d, want 1\n%s", r.code, r.stderr)
			}
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("dev fake-vendor exited %d after cancellation", code)
			}
		})
	}
}

func TestDevUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"dev"}, {"dev", "fake-vendor"}, {"dev", "fake-vendor", "acme"}, {"dev", "fake-vendor", "evalguard", "--fault", "gremlins"}} {
		if r := run(t, nil, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2", args, r.code)
		}
	}
}
