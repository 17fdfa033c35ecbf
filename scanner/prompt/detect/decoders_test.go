package detect

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecoders(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		ok             bool
		decode         func(string) (string, bool)
	}{
		{"base32 padded", "NFTW433SMU======", "ignore", true, decodeB32},
		{"base32 unpadded odd tail", "NFTW433SMUX", "ignore", true, decodeB32},
		{"base32 invalid", "NFTW433SMU1=====", "", false, decodeB32},
		{"entities", "&#x69;gnore &#105;t", "ignore it", true, decodeEntities},
		{"no entities", "plain text", "plain text", false, decodeEntities},
		{"unicode escapes", `\u0069\u0067\u006e`, "ign", true, decodeEscapes},
		{"surrogate pair", `\ud83d\ude00\u0020\u0021`, "😀 !", true, decodeEscapes},
		{"utf-8 bytes", `\xc3\xa9\x21\x21`, "é!!", true, decodeEscapes},
		{"long escape", `\U000E0041\U000E0042\U000E0043`, "\U000E0041\U000E0042\U000E0043", true, decodeEscapes},
		{"too few escapes", `\u0069\u0067`, "", false, decodeEscapes},
		{"hex", "69 67 6e", "ign", true, decodeHex},
	} {
		got, ok := tt.decode(tt.in)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("%s: decode(%q) = %q, %v; want %q, %v", tt.name, tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got := atbash("Ignore ALL"); got != "Rtmliv ZOO" {
		t.Errorf("atbash = %q", got)
	}
}

// FuzzDecoders: no decoder panics, output stays bounded by its input, and
// the substitution ciphers are involutions.
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{
		"NFTW433SMU======", "&#x69;gnore", `\u0069\ud83d\ude00`, `\xc3\xa9\x`, `\U000E0041\U0011FFFF\u`,
		"&#1114112;&#xFFFFFFFF;", ".- -... -.-.", "%69%67%6e%6f%72%65", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, d := range map[string]func(string) (string, bool){
			"base32": decodeB32, "entities": decodeEntities, "escapes": decodeEscapes,
			"hex": decodeHex, "pct": decodePct, "morse": decodeMorseRun, "base64": decodeB64,
		} {
			if out, _ := d(s); len(out) > 4*len(s)+4 {
				t.Fatalf("%s: %d bytes from %d", name, len(out), len(s))
			}
		}
		if atbash(atbash(s)) != s || rot13(rot13(s)) != s {
			t.Fatalf("cipher is not an involution on %q", s)
		}
		if utf8.ValidString(s) && len(atbash(s)) != len(s) {
			t.Fatal("atbash changed the length")
		}
	})
}

// FuzzJudgeURL: hostile URLs (punycode, ports, userinfo, IP forms) never
// panic, and findings stay inside the text.
func FuzzJudgeURL(f *testing.F) {
	for _, s := range []string{
		"https://xn--80ak6aa92e.com/", "https://xn--.com", "http://0x7f.1/", "https://a@b.example:99999/",
		"https://bit.ly/x", "http://[::1]:80/", "https://xn--mnchen-3ya.de:8443/a.sh", "ftp://ĸ.xn--zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		judgeURL(s)
		for _, h := range findURLs(s, "chat-template") {
			if h.start < 0 || h.end > len(s) || h.start >= h.end {
				t.Fatalf("bad span %d-%d in %q", h.start, h.end, s)
			}
		}
		if strings.Contains(s, "xn--") {
			punycodeVerdict(strings.ToLower(s))
		}
	})
}
