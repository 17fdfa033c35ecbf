package detect

import (
	_ "embed"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"gopkg.in/yaml.v3"
)

// Judging one URL: which hosts, ports, schemes and shapes make it
// dangerous (reported high under the URL rule) or merely notable
// (reported medium under the URL-note rule). The host lists are data, in
// urlhosts.yaml.

//go:embed urlhosts.yaml
var urlHostsYAML []byte

// hostData is the parsed urlhosts.yaml.
type hostData struct {
	Collectors []string `yaml:"collectors"`
	Webhooks   []struct {
		Host, Path string
	} `yaml:"webhooks"`
	Shorteners       []string `yaml:"shorteners"`
	RiskyTLDs        []string `yaml:"risky_tlds"`
	ScriptExtensions []string `yaml:"script_extensions"`
}

var hosts = func() hostData {
	var d hostData
	if err := yaml.Unmarshal(urlHostsYAML, &d); err != nil {
		panic("detect: urlhosts.yaml: " + err.Error())
	}
	return d
}()

// urlVerdict is why a URL is reported and how strongly.
type urlVerdict struct {
	why    string
	strong bool // true: dangerous (URL rule); false: notable (URL-note rule)
}

// judgeURL says why a URL with a scheme and host is suspicious; a zero
// verdict means nothing to report.
func judgeURL(raw string) urlVerdict {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return urlVerdict{}
	}
	if u.User != nil {
		return urlVerdict{fmt.Sprintf("userinfo before the host (%q@) makes the link look like it goes to one site while it goes to %s", truncate(u.User.Username(), 30), u.Hostname()), true}
	}
	host := strings.ToLower(u.Hostname())
	local := false
	if ip := net.ParseIP(host); ip != nil {
		if !isLocalIP(ip) {
			return urlVerdict{"the host is a bare IP address (" + host + "), which bypasses domain reputation", true}
		}
		local = true
	} else if isIntegerHost(host) {
		return urlVerdict{"the host " + host + " is an IP address in integer, hex or octal form, a classic filter bypass", true}
	} else {
		local = isLocalName(host)
	}
	if v := punycodeVerdict(host); v.why != "" {
		return v
	}
	if b := matchHost(host, hosts.Collectors); b != "" {
		return urlVerdict{"the host " + b + " is a request collector, tunnel, paste site or dynamic-DNS name used to receive stolen data or serve payloads", true}
	}
	for _, w := range hosts.Webhooks {
		if host == w.Host && strings.HasPrefix(u.Path, w.Path) {
			return urlVerdict{"it is a " + w.Host + " webhook/bot endpoint that accepts posted data", true}
		}
	}
	ext := scriptExt(u.Path)
	if ext != "" && !local && !(ext == ".sh" && strings.Contains(host, "github")) {
		return urlVerdict{"it links directly to an executable or script (" + ext + ")" + riskyTLDNote(host), true}
	}
	if b := matchHost(host, hosts.Shorteners); b != "" {
		return urlVerdict{"the host " + b + " is a URL shortener, which hides where the link goes", false}
	}
	if p := u.Port(); p != "" && !local && !defaultPort(u.Scheme, p) {
		return urlVerdict{"it uses the non-default port " + p + " on " + registrable(host) + riskyTLDNote(host), false}
	}
	return urlVerdict{}
}

func isLocalIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast()
}

// isLocalName reports names that never leave the machine or the local
// network (RFC 6761 special-use names and common LAN suffixes): development
// servers on them use ports freely.
func isLocalName(host string) bool {
	if host == "localhost" {
		return true
	}
	for _, suf := range []string{".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test", ".example", ".invalid"} {
		if strings.HasSuffix(host, suf) {
			return true
		}
	}
	return false
}

// matchHost returns the entry of list that host equals or is a subdomain
// of, or "".
func matchHost(host string, list []string) string {
	for _, b := range list {
		if host == b || strings.HasSuffix(host, "."+b) {
			return b
		}
	}
	return ""
}

func scriptExt(path string) string {
	p := strings.ToLower(path)
	for _, ext := range hosts.ScriptExtensions {
		if strings.HasSuffix(p, ext) {
			return ext
		}
	}
	return ""
}

func defaultPort(scheme, port string) bool {
	switch strings.ToLower(scheme) {
	case "http", "ws":
		return port == "80"
	case "https", "wss":
		return port == "443"
	case "ftp":
		return port == "21"
	}
	return false
}

// riskyTLDNote adds the risky-TLD remark that never stands alone.
func riskyTLDNote(host string) string {
	tld := host[strings.LastIndexByte(host, '.')+1:]
	for _, t := range hosts.RiskyTLDs {
		if tld == t {
			return ", on the ." + t + " top-level domain that is common in phishing and malware feeds"
		}
	}
	return ""
}

// registrable returns the eTLD+1 of host (publicsuffix), or host itself.
func registrable(host string) string {
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// punycodeVerdict decodes xn-- labels and reports hosts whose Unicode form
// mixes Latin with look-alike letters or imitates Latin entirely.
// Ordinary internationalised names (münchen.de) are not reported.
func punycodeVerdict(host string) urlVerdict {
	if !strings.Contains(host, "xn--") {
		return urlVerdict{}
	}
	uni, err := idna.Lookup.ToUnicode(host)
	if err != nil {
		return urlVerdict{"the host " + host + " carries punycode that does not decode (" + truncate(err.Error(), 60) + ")", false}
	}
	for _, label := range strings.Split(uni, ".") {
		s := scriptsOf(label)
		if s.mixedScript() || s.wholeScriptLookalike() && s.foreign > 1 {
			return urlVerdict{fmt.Sprintf("the punycode host %s decodes to %q, which reads as %q: look-alike letters imitate a Latin domain", host, uni, skeleton(uni)), true}
		}
	}
	return urlVerdict{}
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
