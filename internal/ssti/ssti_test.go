package ssti_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/internal/ssti"
)

func TestFind(t *testing.T) {
	for _, tt := range []struct {
		tmpl string
		want int
	}{
		{`{{ ''.__class__.__mro__[1].__subclasses__() }}`, 3},
		{`{{ cycler.__init__.__globals__.os.popen('id').read() }}`, 5},
		{`{{ x|attr('__class__') }}`, 2},
		{`{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>' }}{% endfor %}`, 0},
	} {
		if got := ssti.Find(tt.tmpl); len(got) != tt.want {
			t.Errorf("Find(%q) = %d markers %+v, want %d", tt.tmpl, len(got), got, tt.want)
		}
	}
}

// TestRealChatTemplatesAreClean runs the markers over the development set of
// real chat templates when it is available beside the repository.
func TestRealChatTemplatesAreClean(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/data/prompts-dev/chat-templates/*.jinja")
	if len(files) == 0 {
		t.Skip("development chat templates not available")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := ssti.Find(string(data)); len(got) != 0 {
			t.Errorf("%s: %+v", filepath.Base(f), got)
		}
	}
}
