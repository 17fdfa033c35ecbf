// Package textcheck finds code, shell commands and URLs in free text that
// model formats carry (safetensors metadata, GGUF general.* keys, TFLite
// descriptions): text that no loader runs, but that tools, model cards and
// templates may display or evaluate. The patterns are deliberately
// specific, because such text is usually prose.
package textcheck

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Pattern recognises one kind of code or shell text.
type Pattern struct {
	Label string
	RE    *regexp.Regexp
}

// CodePatterns are the code and shell shapes looked for.
var CodePatterns = []Pattern{
	{"__import__", regexp.MustCompile(`__import__`)},
	{"os.system", regexp.MustCompile(`(?i)\bos\s*\.\s*(system|popen|exec[lv]p?e?|spawn[lv]p?e?)\b`)},
	{"subprocess", regexp.MustCompile(`(?i)\bsubprocess\b`)},
	{"eval(", regexp.MustCompile(`(?i)\beval\s*\(`)},
	{"exec(", regexp.MustCompile(`(?i)\bexec\s*\(`)},
	{"a Python import", regexp.MustCompile(`\bimport\s+(os|sys|subprocess|socket|shutil|builtins|importlib|ctypes|pty|base64|marshal|pickle|requests|urllib)\b|\bfrom\s+[\w.]+\s+import\s+[\w*(]`)},
	{"/bin/sh", regexp.MustCompile(`/bin/(ba|z|da|k|c|tc)?sh\b`)},
	{"sh -c", regexp.MustCompile(`(?i)\b(ba|z|da)?sh\s+-c\b`)},
	{"a download piped into a shell", regexp.MustCompile(`(?i)\b(curl|wget)\b[^|\n]{0,200}\|\s*(sudo\s+)?(ba|z|da)?sh\b`)},
	{"powershell", regexp.MustCompile(`(?i)\bpowershell\b`)},
	{"rm -rf", regexp.MustCompile(`(?i)\brm\s+-(rf|fr)\b`)},
	{"<script", regexp.MustCompile(`(?i)<script\b`)},
}

// Lambda recognises Python lambda syntax (for metadata, where a lambda has
// no business; descriptions use the word more loosely).
var Lambda = Pattern{"a lambda", regexp.MustCompile(`\blambda\b[\w\s,*=]*:\s*[A-Za-z_(\[]`)}

// URL finds URLs with the schemes tools follow or execute.
var URL = regexp.MustCompile(`(?i)\b(?:(?:https?|ftp|file)://[^\s"'<>` + "`" + `]*|data:[a-z0-9.+-]+/[a-z0-9.+-]+[;,][^\s"'<>]*|javascript:[^\s"'<>]*)`)

// Code returns the labels of the patterns found in s, in pattern order,
// and the smallest index where one matched (-1 when none did).
func Code(s string, patterns []Pattern) (labels []string, first int) {
	first = -1
	for _, p := range patterns {
		if loc := p.RE.FindStringIndex(s); loc != nil {
			labels = append(labels, p.Label)
			if first < 0 || loc[0] < first {
				first = loc[0]
			}
		}
	}
	return labels, first
}

// Excerpt returns the text from a little before byte index i of s, on a
// rune boundary (callers clip its length when quoting).
func Excerpt(s string, i int) string {
	start := max(0, i-20)
	for start > 0 && !utf8.RuneStart(s[start]) {
		start--
	}
	if start > 0 {
		return "…" + s[start:]
	}
	return s
}

// RedactURL drops credentials, the query and the fragment, which may hold
// secrets, and keeps the rest for the reader.
func RedactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i] + "?…"
	}
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		host, path, hasPath := strings.Cut(rest, "/")
		if at := strings.LastIndex(host, "@"); at >= 0 {
			host = "…@" + host[at+1:]
		}
		u = scheme + "://" + host
		if hasPath {
			u += "/" + path
		}
	}
	return u
}
