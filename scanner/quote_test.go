package scanner_test

import (
	"strings"
	"testing"

	"github.com/modelgate/modelgate/scanner"
)

func TestQuote(t *testing.T) {
	cases := map[string]string{
		"plain":                 `"plain"`,
		`a"b\c`:                 `"a\"b\\c"`,
		"tab\there\x00":         `"tab\there\x00"`,
		"\xff\xfe":              `"\xff\xfe"`,
		"héllo":                 `"héllo"`,
		strings.Repeat("a", 90): `"` + strings.Repeat("a", 80) + `…"`,
	}
	for in, want := range cases {
		if got := scanner.Quote(in); got != want {
			t.Errorf("scanner.Quote(%q) = %s, want %s", in, got, want)
		}
	}
	if got := scanner.Quote(strings.Repeat("\x00", 200)); len(got) > 100 {
		t.Errorf("quote of control characters is %d bytes long", len(got))
	}
}
