package detect

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Exfiltration links and suspicious URLs: Markdown images whose URL carries
// template placeholders or data blobs (the model fills them in and the
// renderer sends them out), reference-style images, <img src>, dangerous
// schemes, IP-literal hosts (including integer forms), userinfo tricks,
// punycode, collector/tunnel/paste hosts and download-and-execute shapes.

var (
	urlRe       = regexp.MustCompile(`(?i)\b(?:https?|ftp|wss?)://[^\s<>"'\x60)\]]+`)
	schemeRe    = regexp.MustCompile(`(?i)(?:\]\(|href\s*=\s*["']?|src\s*=\s*["']?|<)\s*((?:javascript|vbscript|data|file|smb):[^\s)"'>]*)`)
	mdImage     = regexp.MustCompile(`!\[[^\]\n]{0,200}\]\(\s*<?([^)\s>]+)`)
	mdRefImage  = regexp.MustCompile(`!\[[^\]\n]{0,200}\]\[([^\]\n]{1,100})\]`)
	mdRefDef    = regexp.MustCompile(`(?m)^[ \t]{0,3}\[([^\]\n]{1,100})\]:\s*<?(\S+)`)
	htmlImg     = regexp.MustCompile(`(?i)<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+)`)
	placeholder = regexp.MustCompile(`\{\{[^}]*\}\}|\{[A-Za-z_][\w.]*\}|\$\{[^}]*\}|\$[A-Za-z_]\w*|%s|\[(?:DATA|INFO|SECRET|[A-Z_]{3,})\]|<[A-Z_]{3,}>`)
	blobRe      = regexp.MustCompile(`[A-Za-z0-9+/_-]{40,}={0,2}`)
	pipeShell   = regexp.MustCompile(`(?i)\b(?:curl|wget|iwr|invoke-webrequest)\b[^\n|;]{0,200}\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b|\b(?:curl|wget)\b[^\n|;]{0,200}\|\s*(?:python3?|perl|ruby|iex|powershell)\b|\biex\s*\(\s*(?:new-object\s+net\.webclient|iwr|invoke-webrequest)|\bbash\s+-i\s*>&\s*/dev/tcp/|\bnc\s+(?:-\w+\s+)*-e\s+/bin/(?:ba)?sh|\bpowershell(?:\.exe)?\s+(?:-\w+\s+)*-e(?:nc|ncodedcommand)?\s+[A-Za-z0-9+/=]{16,}`)
)

// badHosts are collectors, tunnels, paste sites and webhook endpoints
// (matched as the host or a parent domain).
var badHosts = []string{
	"webhook.site", "requestbin.com", "requestbin.net", "pipedream.net", "oastify.com",
	"burpcollaborator.net", "interact.sh", "oast.pro", "oast.live", "oast.site", "oast.online",
	"oast.fun", "oast.me", "canarytokens.com", "ngrok.io", "ngrok-free.app", "ngrok.app",
	"trycloudflare.com", "loca.lt", "localtunnel.me", "serveo.net", "pastebin.com", "paste.ee",
	"hastebin.com", "transfer.sh", "file.io", "ghostbin.com", "rentry.co", "beeceptor.com",
	"duckdns.org", "no-ip.org", "ddns.net", "hopto.org", "dnslog.cn", "requestcatcher.com",
	"webhook.office.com", "hookbin.com", "postb.in",
}

var badPaths = []struct{ host, path string }{
	{"discord.com", "/api/webhooks"}, {"discordapp.com", "/api/webhooks"},
	{"api.telegram.org", "/bot"}, {"hooks.slack.com", "/"},
}

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
	for _, m := range allIdx(strings.Contains(text, "://"), urlRe, text, 256) {
		raw := strings.TrimRight(text[m[0]:m[1]], ".,;:!?*")
		if why := urlReason(raw); why != "" {
			add(m[0], m[0]+len(raw), fmt.Sprintf("Suspicious URL: %s.", why))
		}
	}
	for _, m := range allIdx(anyContains(lower, []string{"curl", "wget", "iwr", "invoke-webrequest", "iex", "/dev/tcp/", "nc ", "powershell"}), pipeShell, text, 16) {
		add(m[0], m[1], "Download-and-execute or reverse-shell command: a model or agent that follows the text runs remote code.")
	}
	return fs
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
		if why := urlReason(raw); why != "" {
			return "points at " + why
		}
	}
	return ""
}

// urlReason says why a URL is suspicious, or "".
func urlReason(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.User != nil {
		return fmt.Sprintf("userinfo before the host (%q@) makes the link look like it goes to one site while it goes to %s", truncate(u.User.Username(), 30), u.Hostname())
	}
	host := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() {
			return "" // local development addresses
		}
		return "the host is a bare IP address (" + host + "), which bypasses domain reputation"
	}
	if isIntegerHost(host) {
		return "the host " + host + " is an IP address in integer, hex or octal form, a classic filter bypass"
	}
	for _, label := range strings.Split(host, ".") {
		if strings.HasPrefix(label, "xn--") {
			return "the host " + host + " uses punycode, which can spell a look-alike of a trusted domain"
		}
	}
	for _, b := range badHosts {
		if host == b || strings.HasSuffix(host, "."+b) {
			return "the host " + b + " is a request collector, tunnel or paste site used to receive stolen data or serve payloads"
		}
	}
	for _, bp := range badPaths {
		if host == bp.host && strings.HasPrefix(u.Path, bp.path) && (bp.host != "hooks.slack.com" || strings.HasPrefix(u.Path, "/services/")) {
			return "it is a " + bp.host + " webhook/bot endpoint that accepts posted data"
		}
	}
	p := strings.ToLower(u.Path)
	for _, ext := range []string{".sh", ".ps1", ".exe", ".bat", ".scr", ".vbs", ".hta", ".msi"} {
		if strings.HasSuffix(p, ext) && (u.Hostname() != "" && net.ParseIP(host) == nil) {
			if strings.Contains(host, "github") && ext == ".sh" {
				continue
			}
			return "it links directly to an executable or script (" + ext + ")"
		}
	}
	return ""
}

// isIntegerHost reports hosts like 2130706433, 0x7f000001 or 0177.0.0.1.
func isIntegerHost(h string) bool {
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return false
	}
	odd := false
	for _, p := range parts {
		if p == "" {
			return false
		}
		base := 10
		s := p
		switch {
		case strings.HasPrefix(s, "0x"):
			base, s, odd = 16, s[2:], true
		case len(s) > 1 && s[0] == '0':
			base, odd = 8, true
		}
		if s == "" {
			return false
		}
		if _, err := strconv.ParseUint(s, base, 32); err != nil {
			return false
		}
	}
	return odd || len(parts) < 4
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
