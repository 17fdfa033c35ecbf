package onnx

import (
	"fmt"
	"github.com/modelgate/modelgate/scanner"
	"regexp"
	"strings"
)

// signal is one recognisable kind of code or command text.
type signal struct {
	name string
	re   *regexp.Regexp
}

// codeSignals are narrow on purpose: doc strings are prose, and exporters
// write stack traces and Python paths into node doc strings, so bare words
// ("import", "exec") must not count. Each pattern needs syntax around the
// word.
var codeSignals = []signal{
	{"Python eval/exec", regexp.MustCompile(`\b(?:eval|exec)\s*\(\s*['"a-zA-Z_(]`)},
	{"__import__", regexp.MustCompile(`__import__\s*\(`)},
	{"os command call", regexp.MustCompile(`\bos\s*\.\s*(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)\s*\(`)},
	{"subprocess", regexp.MustCompile(`\bsubprocess\s*\.\s*(?:run|call|check_call|check_output|Popen|getoutput|getstatusoutput)\b`)},
	{"import of a system module", regexp.MustCompile(`(?m)^\s*(?:import\s+(?:os|subprocess|socket|ctypes|pty|marshal|pickle|builtins|importlib)\b|from\s+(?:os|subprocess|socket|ctypes|pty|builtins|importlib)\s+import\b)`)},
	{"pickle/marshal load", regexp.MustCompile(`\b(?:pickle|marshal|dill|cloudpickle)\s*\.\s*loads?\s*\(`)},
	{"shell invocation", regexp.MustCompile(`(?:^|[\s;&|'"` + "`" + `(])(?:/usr)?/bin/(?:ba|da|z|k|c|tc)?sh\b|\b(?:ba|da|z)?sh\s+-c\s`)},
	{"download piped to a shell", regexp.MustCompile(`(?i)\b(?:curl|wget)\b[^\n|]{0,256}\|\s*(?:sudo\s+)?(?:ba|da|z)?sh\b`)},
	{"reverse shell", regexp.MustCompile(`/dev/tcp/|\bnc(?:at)?\s+(?:-\w+\s+)*-e\s`)},
	{"PowerShell command", regexp.MustCompile(`(?i)\bpowershell(?:\.exe)?\s+(?:-\w+\s+)*-(?:e|enc|encodedcommand|c|command)\b`)},
	{"rm -rf", regexp.MustCompile(`\brm\s+-(?:rf|fr)\b`)},
	{"script tag", regexp.MustCompile(`(?i)<script\b`)},
}

// urlPattern finds links a tool may follow: web, file and cloud-storage
// URLs, and data: and javascript: URIs.
var urlPattern = regexp.MustCompile(`(?i)\b(?:(?:https?|ftp|file|s3|gs)://[^\s"'<>` + "`" + `]+|javascript:[^\s"'<>]+|data:[a-z]+/[a-z0-9.+-]+[;,][^\s"'<>]*)`)

// text scans one free-text field for code (MG3006) and URLs (MG3007).
// where names the field for the message.
func (w *walker) text(where desc, s string, off int64) {
	if s == "" {
		return
	}
	var names []string
	first := -1
	for _, sig := range codeSignals {
		loc := sig.re.FindStringIndex(s)
		if loc == nil {
			continue
		}
		names = append(names, sig.name)
		if first < 0 || loc[0] < first {
			first = loc[0]
		}
	}
	if names != nil {
		w.rep.add(ruleTextCode, off,
			fmt.Sprintf("%s contains code or shell command text (%s); ONNX never runs it, but tools that render, template or evaluate model text can, and payloads are staged this way", where(), strings.Join(names, ", ")),
			scanner.Quote(around(s, first)))
	}
	if loc := urlPattern.FindStringIndex(s); loc != nil {
		u := stripURL(s[loc[0]:loc[1]])
		w.rep.add(ruleTextURL, off,
			fmt.Sprintf("%s contains the link %s", where(), scanner.Quote(u)),
			scanner.Quote(u))
	}
}

// around returns s from a little before byte i.
func around(s string, i int) string {
	start := max(0, i-16)
	for start > 0 && start < len(s) && s[start]&0xc0 == 0x80 {
		start--
	}
	if start > 0 {
		return "…" + s[start:]
	}
	return s
}

// stripURL removes credentials, the query and the fragment, which may
// carry secrets, keeping scheme, host and path.
func stripURL(u string) string {
	cut := false
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u, cut = u[:i], true
	}
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		host, path, hasPath := strings.Cut(rest, "/")
		if i := strings.LastIndexByte(host, '@'); i >= 0 {
			host = host[i+1:]
		}
		u = scheme + "://" + host
		if hasPath {
			u += "/" + path
		}
	}
	if cut {
		u += "?…"
	}
	return u
}
