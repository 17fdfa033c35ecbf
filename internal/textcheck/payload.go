package textcheck

import (
	"regexp"
	"sort"
	"strings"
)

// Payload recognises one kind of command or code that does harm when a
// model, an agent or a reader runs it: downloads piped into a shell,
// reverse shells, destructive commands, download cradles, dynamic imports
// that reach the OS, and eval/exec of fetched or decoded content. Unlike
// CodePatterns these are shapes of attacks, not mentions of code: "use
// subprocess.run" does not match, "curl … | sh" does.
type Payload struct {
	Label string
	// Keys are lowercase literals of which at least one occurs in every
	// match; the regexp runs only when one is present.
	Keys []string
	RE   *regexp.Regexp
}

// Payloads are the attack shapes looked for.
var Payloads = []Payload{
	{"a download piped into a shell or interpreter", []string{"curl", "wget", "iwr", "invoke-webrequest", "fetch"},
		regexp.MustCompile(`(?i)\b(?:curl|wget|iwr|invoke-webrequest|fetch)\b[^\n|;]{0,200}\|\s*(?:sudo\s+)?(?:(?:ba|z|da|k)?sh|python[23]?|perl|ruby|node|iex|powershell|pwsh)\b`)},
	{"a reverse shell", []string{"/dev/tcp/", "/dev/udp/", "nc ", "ncat ", "netcat ", "socat ", "pty.spawn", "mkfifo"},
		regexp.MustCompile(`(?i)\b(?:ba|z)?sh\s+-i\s*[<>&0-9 ]*\s*/dev/(?:tcp|udp)/\S+|>&\s*/dev/(?:tcp|udp)/\S+|\b(?:nc|ncat|netcat)\s+(?:-\w+\s+)*-(?:e|c)\s+\S*(?:sh|cmd(?:\.exe)?)\b|\bsocat\b[^\n]{0,80}\bexec:|\bpty\.spawn\s*\(\s*["'](?:/bin/)?(?:ba)?sh|\bmkfifo\s+\S+[^\n]{0,80}\b(?:nc|ncat|netcat)\s`)},
	{"a destructive command", []string{"rm ", "mkfs", "dd ", ":|:", "format ", "del ", "rd ", "rmdir "},
		regexp.MustCompile(`(?i)\brm\s+(?:-\w*\s+)*-(?:rf|fr|r\s+-f|f\s+-r)\w*\s+(?:--no-preserve-root\s+)?(?:/\*?|~/?|\$HOME/?|/(?:bin|boot|dev|etc|home|lib|opt|root|sbin|usr|var)/?\*?)(?:\s+--no-preserve-root)?(?:\s|$|["';&|)])|\bmkfs(?:\.\w+)?\s+/dev/|\bdd\s+if=/dev/(?:zero|random|urandom)\s+of=/dev/[sh]d|:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:|\bformat\s+c:|\b(?:del|rd|rmdir)\s+/[sfq]\b[^\n]{0,30}\bc:\\`)},
	{"an encoded or downloaded PowerShell command", []string{"powershell", "pwsh", "iex", "invoke-expression", "downloadstring", "certutil", "bitsadmin", "mshta", "regsvr32"},
		regexp.MustCompile(`(?i)\b(?:powershell|pwsh)(?:\.exe)?\s+(?:-\w+\s+)*-e(?:nc|ncodedcommand)?\s+[A-Za-z0-9+/=]{16,}|\b(?:iex|invoke-expression)\s*\(?\s*\(?\s*(?:new-object\s+(?:system\.)?net\.webclient|iwr|invoke-webrequest|irm|invoke-restmethod)|\.downloadstring\s*\(|\bcertutil(?:\.exe)?\s+[^\n]{0,40}-urlcache\b|\bbitsadmin(?:\.exe)?\s+/transfer\b|\bmshta(?:\.exe)?\s+(?:https?|javascript|vbscript):|\bregsvr32(?:\.exe)?\s+[^\n]{0,40}/i:https?:`)},
	{"Python reaching the OS through a dynamic import", []string{"__import__", "importlib"},
		regexp.MustCompile(`__import__\s*\(\s*["'](?:os|subprocess|pty|socket|shutil|builtins|ctypes)["']\s*\)\s*\.\s*\w+|\bimportlib\.import_module\s*\(\s*["'](?:os|subprocess|pty)["']\s*\)\s*\.\s*(?:system|popen|run|call|Popen|spawn)`)},
	{"eval or exec of fetched or decoded content", []string{"eval", "exec", "function("},
		regexp.MustCompile(`(?i)\b(?:eval|exec)\s*\(\s*(?:await\s+)?(?:requests\.get|urllib\.request\.urlopen|urlopen|httpx\.get|fetch|atob|base64\.b64decode|b64decode|bytes\.fromhex|codecs\.decode|zlib\.decompress|marshal\.loads|compile\s*\(\s*(?:requests|urlopen|base64))|\bnew\s+Function\s*\(\s*(?:atob|await\s+fetch)`)},
	{"a shell command run from code", []string{"os.system", "os.popen", "child_process", "getruntime", "subprocess"},
		regexp.MustCompile(`\bos\s*\.\s*(?:system|popen)\s*\(\s*["'f][^"'\n]{0,120}(?:curl|wget|nc\s|bash|/bin/sh|rm\s+-rf|chmod|/dev/tcp|powershell)|\brequire\s*\(\s*["']child_process["']\s*\)\s*\.\s*(?:exec|execSync|spawn)\s*\(|\bRuntime\.getRuntime\(\)\.exec\s*\(|\bsubprocess\.(?:run|call|Popen|check_output|check_call)\s*\([^)\n]{0,160}(?:curl|wget|/dev/tcp|rm\s+-rf|\|\s*(?:ba)?sh)`)},
	{"a read of system credential files", []string{"/etc/shadow", "/etc/passwd", ".ssh/id_", ".aws/credentials"},
		regexp.MustCompile(`(?i)\b(?:cat|type|more|less|head|tail|cp|scp|curl\s+[^\n]{0,60}-d\s*@|base64)\s+(?:-\w+\s+)*(?:/etc/(?:shadow|passwd)|~/\.ssh/id_\w+|~/\.aws/credentials)\b`)},
	{"the EICAR test string", []string{"eicar-standard"},
		regexp.MustCompile(`X5O!P%@AP\[4\\PZX54\(P\^\)7CC\)7\}\$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!\$H\+H\*`)},
}

// PayloadMatch is one payload found in a text.
type PayloadMatch struct {
	Label      string
	Start, End int
}

// payloadWin bounds how far a payload match extends around its keyword.
const payloadWin = 320

// FindPayloads returns the payloads in s, ordered by position, at most n
// per pattern. Each pattern runs only in windows around its keywords, so
// long prose costs little.
func FindPayloads(s string, n int) []PayloadMatch {
	lower := asciiLower(s)
	var out []PayloadMatch
	for _, p := range Payloads {
		first := len(out)
		for _, w := range Windows(lower, p.Keys, payloadWin) {
			for _, loc := range p.RE.FindAllStringIndex(s[w[0]:w[1]], n) {
				start := w[0] + loc[0]
				// Terminators that the patterns match but do not belong to
				// the command ("rm -rf / " or "rm -rf /;").
				end := max(start+len(strings.TrimRight(s[start:w[0]+loc[1]], " \t\r\n;&|)'\"")), start+1)
				// Pieces of one command ("IEX (New-Object Net.WebClient)"
				// and ".DownloadString(") are one match.
				if last := len(out) - 1; last >= first && start-out[last].End <= 2 {
					out[last].End = max(out[last].End, end)
					continue
				}
				if len(out)-first == n {
					break
				}
				out = append(out, PayloadMatch{p.Label, start, end})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// Windows returns the merged byte ranges of s within win of an occurrence
// of a key (at most 256 occurrences per key), widened to whitespace so
// that word boundaries keep their meaning. Patterns whose every match
// contains a key and spans at most win bytes find the same matches in the
// windows as in s, at a fraction of the cost on long text.
func Windows(s string, keys []string, win int) [][2]int {
	var ws [][2]int
	for _, k := range keys {
		for from, cnt := 0, 0; cnt < 256; cnt++ {
			i := strings.Index(s[from:], k)
			if i < 0 {
				break
			}
			i += from
			ws = append(ws, [2]int{widen(s, i-win, -1), widen(s, i+len(k)+win, +1)})
			from = i + len(k)
		}
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i][0] < ws[j][0] })
	var out [][2]int
	for _, w := range ws {
		if l := len(out) - 1; l >= 0 && w[0] <= out[l][1] {
			out[l][1] = max(out[l][1], w[1])
			continue
		}
		out = append(out, w)
	}
	return out
}

// widen clamps i to s and moves it outwards (dir -1 or +1) to the next
// whitespace, at most 64 bytes.
func widen(s string, i, dir int) int {
	i = min(max(i, 0), len(s))
	for k := 0; k < 64 && i > 0 && i < len(s) && !isSpace(s[i-1+(dir+1)/2]); k++ {
		i += dir
	}
	return i
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' }

// asciiLower lowercases ASCII letters only, so offsets stay those of s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
