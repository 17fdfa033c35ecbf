package detect

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"mvdan.cc/xurls/v2"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Exfiltration links and suspicious URLs: Markdown images whose URL carries
// template placeholders or data blobs (the model fills them in and the
// renderer sends them out), reference-style images, <img src>, dangerous
// schemes, IP-literal hosts (including integer forms), userinfo tricks,
// punycode, collector/tunnel/paste hosts and links to scripts.
// Download-and-execute commands are reported by the code detector.

// maxURLs bounds the URLs judged per text.
const maxURLs = 256

// urlRe finds URLs with a scheme and host (xurls' strict matcher, which
// balances parentheses and drops trailing punctuation).
var urlRe = func() *regexp.Regexp {
	re, err := xurls.StrictMatchingScheme(`(?i)(?:https?|ftp|wss?)://`)
	if err != nil {
		panic("detect: " + err.Error())
	}
	return re
}()

var (
	schemeRe = regexp.MustCompile(`(?i)(?:\]\(|href\s*=\s*["']?|src\s*=\s*["']?|<)\s*((?:javascript|vbscript|data|file|smb):[^\s)"'>]*)`)
	// The URL runs to the first space or ")" outside a template placeholder:
	// chat templates write {{ messages[-1]['content'] }} with spaces.
	mdImage     = regexp.MustCompile(`!\[[^\]\n]{0,200}\]\(\s*<?((?:[^)\s>{]|\{\{[^}\n]{0,200}\}\}|\{)+)`)
	mdRefImage  = regexp.MustCompile(`!\[[^\]\n]{0,200}\]\[([^\]\n]{1,100})\]`)
	mdRefDef    = regexp.MustCompile(`(?m)^[ \t]{0,3}\[([^\]\n]{1,100})\]:\s*<?(\S+)`)
	htmlImg     = regexp.MustCompile(`(?i)<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+)`)
	placeholder = regexp.MustCompile(`\{\{[^}]*\}\}|\{[A-Za-z_][\w.]*\}|\$\{[^}]*\}|\$[A-Za-z_]\w*|%s|\[(?:DATA|INFO|SECRET|[A-Z_]{3,})\]|<[A-Z_]{3,}>`)
	blobRe      = regexp.MustCompile(`[A-Za-z0-9+/_-]{40,}={0,2}`)
)

func findURLs(text string, role promptcore.Role) []finding {
	var fs []finding
	seen := map[int]bool{}
	lower := strings.ToLower(text)
	add := func(s, e int, msg string) {
		if seen[s] {
			return
		}
		seen[s] = true
		fs = append(fs, finding{detector: DetURL, start: s, end: e, message: msg, evidence: evidenceOf(redactURL(text[s:e]))})
	}
	note := func(s, e int, msg string) {
		if seen[s] {
			return
		}
		seen[s] = true
		fs = append(fs, finding{detector: DetURLNote, start: s, end: e, message: msg, evidence: evidenceOf(redactURL(text[s:e]))})
	}
	// Markdown and HTML images with data-carrying URLs.
	check := func(s, e int, u string, kind string) {
		if why := exfilReason(u); why != "" {
			add(s, e, fmt.Sprintf("%s whose URL %s: when the reply is rendered the client fetches it and sends the data to that host (zero-click exfiltration).", kind, why))
		}
	}
	hasImg := strings.Contains(text, "![")
	for _, m := range allSub(hasImg, mdImage, text, 64) {
		check(m[0], m[3], text[m[2]:m[3]], "Markdown image")
	}
	for _, m := range allSub(strings.Contains(lower, "<img"), htmlImg, text, 64) {
		check(m[0], m[3], text[m[2]:m[3]], "HTML <img>")
	}
	if !hasImg {
		// no Markdown image, so no reference-style image either
	} else if refs := mdRefImage.FindAllStringSubmatch(text, 64); len(refs) > 0 {
		labels := map[string]bool{}
		for _, r := range refs {
			labels[strings.ToLower(r[1])] = true
		}
		for _, m := range mdRefDef.FindAllStringSubmatchIndex(text, 64) {
			if labels[strings.ToLower(text[m[2]:m[3]])] {
				check(m[0], m[5], text[m[4]:m[5]], "Reference-style Markdown image")
			}
		}
	}
	for _, m := range allSub(anyContains(lower, []string{"javascript:", "vbscript:", "data:", "file:", "smb:"}), schemeRe, text, 64) {
		u := text[m[2]:m[3]]
		scheme := strings.ToLower(u[:strings.IndexByte(u, ':')])
		if scheme == "data" && !regexp.MustCompile(`(?i)^data:(?:text/html|text/javascript|application/|image/svg)`).MatchString(u) {
			continue
		}
		add(m[2], m[3], fmt.Sprintf("Link with the %s: scheme: it runs script, embeds a document or reaches local files when clicked or rendered.", scheme))
	}
	for _, m := range allIdx(strings.Contains(text, "://"), urlRe, text, maxURLs) {
		raw := text[m[0]:m[1]]
		v := judgeURL(raw)
		switch {
		case v.strong:
			add(m[0], m[1], fmt.Sprintf("Suspicious URL: %s.", v.why))
		case v.why != "":
			note(m[0], m[1], fmt.Sprintf("URL to review: %s.", v.why))
		case role == promptcore.RoleChatTemplate:
			note(m[0], m[1], "URL inside a chat template (registrable domain "+registrable(urlHost(raw))+"): templates format messages and should not add links of their own; a link in a conditional branch is a known backdoor shape.")
		}
	}
	return fs
}

// urlHost returns the lowercased host of raw, or raw when it does not
// parse.
func urlHost(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
		return strings.ToLower(u.Hostname())
	}
	return raw
}

// exfilReason says why an image URL looks like an exfiltration channel.
func exfilReason(raw string) string {
	if !strings.Contains(raw, "://") {
		return ""
	}
	q := raw
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		q = raw[i:]
	} else if u, err := url.Parse(raw); err == nil {
		q = u.Path
	}
	switch {
	case placeholder.MatchString(q):
		return "carries a template placeholder (" + placeholder.FindString(q) + ")"
	case blobRe.MatchString(q):
		return "carries a long encoded blob"
	}
	if u, err := url.Parse(raw); err == nil {
		for _, vs := range u.Query() {
			for _, v := range vs {
				if len(v) > 100 {
					return "has a query value over 100 characters"
				}
			}
		}
		if v := judgeURL(raw); v.strong {
			return "points at " + v.why
		}
	}
	return ""
}

// redactURL drops query values so evidence never carries the data.
func redactURL(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 && len(s)-i > 20 {
		return s[:i] + "?…"
	}
	return s
}

// allIdx and allSub run the regexp only when a cheap prefilter passed.
func allIdx(ok bool, re *regexp.Regexp, s string, n int) [][]int {
	if !ok {
		return nil
	}
	return re.FindAllStringIndex(s, n)
}

func allSub(ok bool, re *regexp.Regexp, s string, n int) [][]int {
	if !ok {
		return nil
	}
	return re.FindAllStringSubmatchIndex(s, n)
}
