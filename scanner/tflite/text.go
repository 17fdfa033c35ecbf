package tflite

import (
	"fmt"
	"github.com/modelgate/modelgate/scanner"
	"regexp"
	"strings"
	"unicode/utf8"
)

// checkText reports code and URLs in s.
func checkText(rep *report, where, s string, off int64) {
	var labels []string
	first := -1
	for _, c := range codePatterns {
		if loc := c.re.FindStringIndex(s); loc != nil {
			labels = append(labels, c.label)
			if first < 0 || loc[0] < first {
				first = loc[0]
			}
		}
	}
	if labels != nil {
		rep.add(ruleCode, off+int64(first),
			fmt.Sprintf("%s contains code or shell command text (%s); TFLite never runs it, but tools and model cards that display or template it can", where, strings.Join(labels, ", ")),
			fmt.Sprintf("%s: %s", where, scanner.Quote(excerpt(s, first))))
	}
	if loc := urlPattern.FindStringIndex(s); loc != nil {
		u := redactURL(s[loc[0]:loc[1]])
		rep.add(ruleURL, off+int64(loc[0]),
			fmt.Sprintf("%s contains the URL %s", where, scanner.Quote(u)),
			fmt.Sprintf("%s: %s", where, scanner.Quote(u)))
	}
}

// codePattern recognises one kind of code or shell text.
type codePattern struct {
	label string
	re    *regexp.Regexp
}

// codePatterns are deliberately specific: descriptions are free text.
var codePatterns = []codePattern{
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

// urlPattern finds URLs with the schemes tools follow or execute.
var urlPattern = regexp.MustCompile(`(?i)\b(?:(?:https?|ftp|file)://[^\s"'<>` + "`" + `]*|data:[a-z0-9.+-]+/[a-z0-9.+-]+[;,][^\s"'<>]*|javascript:[^\s"'<>]*)`)

// excerpt returns the text from a little before byte index i of s; quote
// clips its length.
func excerpt(s string, i int) string {
	start := max(0, i-20)
	for start > 0 && !utf8.RuneStart(s[start]) {
		start--
	}
	if start > 0 {
		return "…" + s[start:]
	}
	return s
}

// clip shortens s to at most n bytes on a rune boundary, marking a cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// redactURL drops credentials, the query and the fragment, which may hold
// secrets, and keeps the rest for the reader.
func redactURL(u string) string {
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
