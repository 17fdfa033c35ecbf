package hf

import (
	"fmt"
	"regexp"
	"strings"
)

// Python modules named like trust_remote_code modules (modeling_*.py and
// friends) are imported by transformers when a model is loaded with
// trust_remote_code=True, so their top level and every method on the
// loading path run with the user's privileges. The checks below look for
// calls that have no business in model code. They run on the source with
// comments and string contents blanked out (so docstrings do not count),
// and report each call with its line and column.

// pyCheck is one pattern and the rule it reports under.
type pyCheck struct {
	rule     string
	re       *regexp.Regexp
	what     string
	evalExec bool // eval/exec: obfuscated when the module also decodes data
}

var pyChecks = []pyCheck{
	{ruleCodeExec, regexp.MustCompile(`\bos\s*\.\s*(system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|fork|forkpty|kill)\s*\(`), "runs a shell command or another program", false},
	{ruleCodeExec, regexp.MustCompile(`\bsubprocess\b`), "uses subprocess (runs other programs)", false},
	{ruleCodeExec, regexp.MustCompile(`\bpty\s*\.\s*spawn\b|\bcommands\s*\.\s*getoutput\b|\bplatform\s*\.\s*popen\b`), "runs another program", false},
	{ruleCodeExec, regexp.MustCompile(`(?:^|[^\w.])(eval|exec)\s*\(`), "evaluates code built at run time", true},
	{ruleCodeExec, regexp.MustCompile(`(?:^|[^\w.])__import__\s*\(|\b__builtins__\b`), "imports modules or reaches builtins by name", false},
	{ruleCodeExec, regexp.MustCompile(`\bgetattr\s*\(\s*(os|subprocess|builtins|sys)\s*,`), "reaches a dangerous module's functions by name", false},
	{ruleCodeExec, regexp.MustCompile(`\bctypes\b|\bcffi\b`), "loads native code (ctypes)", false},
	{ruleCodeUnpickle, regexp.MustCompile(`\b(c?[Pp]ickle|_pickle|dill|cloudpickle|joblib)\s*\.\s*(loads?|Unpickler)\s*\(`), "unpickles data (runs code chosen by whoever wrote the data)", false},
	{ruleCodeUnpickle, regexp.MustCompile(`\bmarshal\s*\.\s*loads?\s*\(`), "loads marshalled code objects", false},
	{ruleCodeUnpickle, regexp.MustCompile(`\byaml\s*\.\s*(unsafe_load|full_load)\s*\(`), "loads YAML with Python object construction", false},
	{ruleCodeUnpickle, regexp.MustCompile(`\b(np|numpy)\s*\.\s*load\s*\([^)]*allow_pickle\s*=\s*True`), "loads NumPy files with allow_pickle=True", false},
	{ruleCodeNetwork, regexp.MustCompile(`\bsocket\s*\.\s*(socket|create_connection|create_server)\s*\(|^\s*(import\s+socket\b|from\s+socket\s+import\b)`), "opens network sockets", false},
	{ruleCodeNetwork, regexp.MustCompile(`\brequests\s*\.\s*(get|post|put|patch|delete|head|request|Session)\s*\(|\bhttpx\s*\.\s*(get|post|put|request|Client|AsyncClient)\s*\(`), "makes HTTP requests", false},
	{ruleCodeNetwork, regexp.MustCompile(`\burllib\d?\s*\.\s*request\b|\burlopen\s*\(|\burlretrieve\s*\(|\bhttp\s*\.\s*client\b|\bftplib\b|\bparamiko\b|\bwget\s*\.\s*download\s*\(`), "downloads or connects over the network", false},
}

// torchLoad finds torch.load calls; their arguments are checked for
// weights_only=True.
var torchLoad = regexp.MustCompile(`\btorch\s*\.\s*load\s*\(`)

var weightsOnlyTrue = regexp.MustCompile(`\bweights_only\s*=\s*True\b`)

// decoders turn data into bytes or code; with exec or eval in the same
// module they are how payloads are hidden.
var decoders = regexp.MustCompile(`\b(base64\s*\.\s*\w*decode\w*|b64decode|b32decode|b16decode|a85decode|b85decode|zlib\s*\.\s*decompress|gzip\s*\.\s*decompress|bz2\s*\.\s*decompress|lzma\s*\.\s*decompress|marshal\s*\.\s*loads|codecs\s*\.\s*decode|bytes\s*\.\s*fromhex|binascii\s*\.\s*(a2b_\w+|unhexlify))\s*\(`)

// defLine matches a line that defines (rather than calls) eval or exec.
var defLine = regexp.MustCompile(`\bdef\s+$`)

func (d *doc) python() {
	code := maskPython(d.src)
	var decoder string
	var decoderLine int
	if loc := decoders.FindIndex(code); loc != nil {
		decoder = compact(string(code[loc[0] : loc[1]-1]))
		decoderLine, _ = d.lineCol(loc[0])
	}
	for _, ln := range splitLines(code) {
		text := code[ln.start:ln.end]
		reported := map[string]bool{}
		for _, c := range pyChecks {
			if reported[c.rule] {
				continue
			}
			loc := c.re.FindIndex(text)
			if loc == nil {
				continue
			}
			start := loc[0]
			for start < loc[1] && !isIdent(text[start]) {
				start++ // the character before the name
			}
			if c.evalExec && defLine.Match(text[:start]) {
				continue // def eval(self): a method, not a call
			}
			token := strings.TrimSuffix(compact(string(text[start:loc[1]])), "(")
			line, col := d.lineCol(ln.start + start)
			if c.evalExec && decoder != "" {
				d.atLine(ruleCodeObfuscated, line, col,
					fmt.Sprintf("%s executes code in a module that also decodes hidden data (%s, line %d): the pattern of payloads smuggled into remote code. trust_remote_code=True runs it on load.", token, decoder, decoderLine),
					token+" + "+decoder)
			} else {
				d.atLine(c.rule, line, col,
					fmt.Sprintf("Remote-code module %s (%s); trust_remote_code=True runs it when the model loads.", c.what, token),
					token)
			}
			reported[c.rule] = true
		}
	}
	for _, loc := range torchLoad.FindAllIndex(code, -1) {
		args := callArgs(code, loc[1])
		if weightsOnlyTrue.Match(args) {
			continue
		}
		line, col := d.lineCol(loc[0])
		d.atLine(ruleCodeUnpickle, line, col,
			"Remote-code module calls torch.load without weights_only=True: on PyTorch before 2.6 (or with weights_only=False) that unpickles the file, running code chosen by whoever wrote it.",
			"torch.load")
	}
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

var spaces = regexp.MustCompile(`\s+`)

func compact(s string) string { return short(spaces.ReplaceAllString(s, ""), 60) }

type lineSpan struct{ start, end int }

func splitLines(b []byte) []lineSpan {
	var out []lineSpan
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, lineSpan{start, i})
			start = i + 1
		}
	}
	return append(out, lineSpan{start, len(b)})
}

// callArgs returns the text from just after an opening parenthesis to its
// matching close (or 4 KiB), in blanked source.
func callArgs(code []byte, from int) []byte {
	depth := 1
	end := min(len(code), from+4096)
	for i := from; i < end; i++ {
		switch code[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth--; depth == 0 {
				return code[from:i]
			}
		}
	}
	return code[from:end]
}

// maskPython returns a copy of Python source with comments and the
// contents of string literals replaced by spaces (newlines kept), so that
// offsets are unchanged. f-string expressions are blanked as well.
func maskPython(src []byte) []byte {
	out := make([]byte, len(src))
	copy(out, src)
	blank := func(from, to int) {
		for i := from; i < to; i++ {
			if out[i] != '\n' {
				out[i] = ' '
			}
		}
	}
	for i := 0; i < len(src); {
		switch c := src[i]; c {
		case '#':
			j := i
			for j < len(src) && src[j] != '\n' {
				j++
			}
			blank(i, j)
			i = j
		case '\'', '"':
			if i+2 < len(src) && src[i+1] == c && src[i+2] == c {
				j := i + 3
				for j < len(src) {
					if src[j] == '\\' {
						j += 2
						continue
					}
					if src[j] == c && j+2 < len(src) && src[j+1] == c && src[j+2] == c {
						break
					}
					j++
				}
				j = min(j, len(src))
				blank(i+3, j)
				i = min(j+3, len(src))
				continue
			}
			j := i + 1
			for j < len(src) && src[j] != c && src[j] != '\n' {
				if src[j] == '\\' && j+1 < len(src) {
					j++
				}
				j++
			}
			j = min(j, len(src))
			blank(i+1, j)
			i = j + 1
		default:
			i++
		}
	}
	return out
}
