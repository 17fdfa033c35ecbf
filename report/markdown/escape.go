package markdown

import (
	"html"
	"net/url"
	"strings"
	"unicode/utf8"
)

// zwsp breaks "@name" so that a file or message naming a user or team
// never mentions (notifies) it.
const zwsp = "\u200b"

// inlineEscaper escapes untrusted text for inline GitHub-flavoured Markdown:
// HTML is neutralised with entities; emphasis, code, links, images, tables,
// strikethrough, math and autolinks ("scheme:", "www.") with backslashes;
// mentions with a zero-width space.
var inlineEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`,
	"[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "!", `\!`,
	"|", `\|`, "~", `\~`, "$", `\$`, ":", `\:`, "#", `\#`,
	"www.", `www\.`, "WWW.", `WWW\.`,
	"@", "@"+zwsp,
	"\r\n", " ", "\n", " ", "\r", " ", "\t", " ",
)

// Text escapes untrusted text (a finding message, a skip reason) so that it
// renders literally on one line of Markdown, inside or outside a table.
func Text(s string) string {
	return inlineEscaper.Replace(s)
}

// Code renders untrusted text (a path, an archive member) as a code span,
// which GitHub shows literally: no emphasis, link, HTML or mention. inTable
// escapes "|", which GitHub tables treat as a cell border even in code.
func Code(s string, inTable bool) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || s == "" {
		s = " " + s + " "
	}
	return fence + s + fence
}

// HTMLCode renders untrusted text as <code> for HTML blocks such as
// <summary>, where Markdown is not parsed.
func HTMLCode(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	return "<code>" + strings.ReplaceAll(html.EscapeString(s), "@", "@"+zwsp) + "</code>"
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// pathURL escapes each segment of a slash path for a URL. It returns ""
// for paths that cannot name a file in the repository (absolute, "..").
func pathURL(p string) string {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return ""
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s == ".." || s == "." || s == "" {
			return ""
		}
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// clip shortens s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// commentSafe makes s safe inside an HTML comment: it can neither end the
// comment nor contain "--".
func commentSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.', r == '_', r == '/', r == ':', r == '-', r == ',':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	for strings.Contains(out, "--") {
		out = strings.ReplaceAll(out, "--", "-_")
	}
	return strings.TrimSuffix(out, "-")
}
