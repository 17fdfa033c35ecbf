package safetensors

import (
	"encoding/json"
	"fmt"
	"github.com/modelgate/modelgate/scanner"
	"regexp"
	"strings"
	"unicode/utf8"
)

// codePattern recognises one kind of code or shell text in metadata.
type codePattern struct {
	label string
	re    *regexp.Regexp
}

// codePatterns are deliberately specific: metadata is free text, and plain
// words such as "import" or "lambda" appear in honest descriptions.
var codePatterns = []codePattern{
	{"__import__", regexp.MustCompile(`__import__`)},
	{"os.system", regexp.MustCompile(`(?i)\bos\s*\.\s*(system|popen|exec[lv]p?e?|spawn[lv]p?e?)\b`)},
	{"subprocess", regexp.MustCompile(`(?i)\bsubprocess\b`)},
	{"eval(", regexp.MustCompile(`(?i)\beval\s*\(`)},
	{"exec(", regexp.MustCompile(`(?i)\bexec\s*\(`)},
	{"a Python import", regexp.MustCompile(`\bimport\s+(os|sys|subprocess|socket|shutil|builtins|importlib|ctypes|pty|base64|marshal|pickle|requests|urllib)\b|\bfrom\s+[\w.]+\s+import\s+[\w*(]`)},
	{"a lambda", regexp.MustCompile(`\blambda\b[\w\s,*=]*:\s*[A-Za-z_(\[]`)},
	{"/bin/sh", regexp.MustCompile(`/bin/(ba|z|da|k|c|tc)?sh\b`)},
	{"sh -c", regexp.MustCompile(`(?i)\b(ba|z|da)?sh\s+-c\b`)},
	{"a download piped into a shell", regexp.MustCompile(`(?i)\b(curl|wget)\b[^|\n]{0,200}\|\s*(sudo\s+)?(ba|z|da)?sh\b`)},
	{"powershell", regexp.MustCompile(`(?i)\bpowershell\b`)},
	{"rm -rf", regexp.MustCompile(`(?i)\brm\s+-(rf|fr)\b`)},
	{"<script", regexp.MustCompile(`(?i)<script\b`)},
}

// urlPattern finds URLs with the schemes tools follow or execute.
var urlPattern = regexp.MustCompile(`(?i)\b(?:(?:https?|ftp|file)://[^\s"'<>` + "`" + `]*|data:[a-z0-9.+-]+/[a-z0-9.+-]+[;,][^\s"'<>]*|javascript:[^\s"'<>]*)`)

// metadata walks __metadata__, whose key was just read at header offset at.
func (w *walker) metadata(at int64) {
	tok, _, ok := w.next()
	if !ok {
		return
	}
	if tok != json.Delim('{') {
		w.skip(tok, 1, metadataKey)
		if !w.stop {
			w.rep.add(ruleMetaType, lengthSize+at,
				fmt.Sprintf("%s is %s, not an object of strings", metadataKey, kindOf(tok)),
				metadataKey+" is "+kindOf(tok))
		}
		return
	}
	w.members(2, metadataKey, func(key string, at int64) {
		tok, ok := w.value(2, metadataKey)
		if !ok {
			return
		}
		if s, isString := tok.(string); isString {
			checkMetaValue(w.rep, key, s, lengthSize+at)
			return
		}
		w.rep.add(ruleMetaType, lengthSize+at,
			fmt.Sprintf("%s value %s is %s, not a string; the reference reader rejects the file", metadataKey, scanner.Quote(key), kindOf(tok)),
			fmt.Sprintf("%s %s is %s", metadataKey, scanner.Quote(key), kindOf(tok)))
	})
}

// checkMetaValue looks for code (MG2010) and URLs (MG2011) in one value;
// off is the file offset of its key.
func checkMetaValue(rep *report, key, value string, off int64) {
	var labels []string
	first := -1
	for _, p := range codePatterns {
		if loc := p.re.FindStringIndex(value); loc != nil {
			labels = append(labels, p.label)
			if first < 0 || loc[0] < first {
				first = loc[0]
			}
		}
	}
	if labels != nil {
		rep.add(ruleMetaCode, off,
			fmt.Sprintf("%s value %s contains code or shell command text (%s)", metadataKey, scanner.Quote(key), strings.Join(labels, ", ")),
			scanner.Quote(key)+": "+scanner.Quote(excerpt(value, first)))
	}
	if loc := urlPattern.FindStringIndex(value); loc != nil {
		url := redactURL(value[loc[0]:loc[1]])
		rep.add(ruleMetaURL, off,
			fmt.Sprintf("%s value %s contains the URL %s", metadataKey, scanner.Quote(key), scanner.Quote(url)),
			scanner.Quote(key)+": "+scanner.Quote(url))
	}
}

// excerpt returns the text around byte index i of s, starting a little
// before it on a rune boundary; quote clips its length.
func excerpt(s string, i int) string {
	start := max(0, i-20)
	for start > 0 && !utf8.RuneStart(s[start]) {
		start--
	}
	prefix := ""
	if start > 0 {
		prefix = "…"
	}
	return prefix + s[start:]
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
