package secrets

import (
	"regexp"
	"strings"
)

// piiMatch is one validated PII value.
type piiMatch struct {
	kind       string
	start, end int
	example    bool // a documentation or test value
	evidence   string
}

// findPII returns validated PII values in priority order (IBAN, card, SSN,
// phone, AWS account, e-mail); Detect drops overlaps.
//
// Prompt text is mostly letters, and Go regular expressions without a
// literal prefix are slow, so the numeric patterns run only on windows
// around runs of digits and number punctuation holding at least nine
// digits, the e-mail pattern only around '@' and the IBAN pattern only
// where two capitals and two digits start a word.
func findPII(text string) []piiMatch {
	num := numericWindows(text)
	var out []piiMatch
	out = append(out, findIBANs(text, ibanWindows(text))...)
	out = append(out, findCards(text, num)...)
	out = append(out, findSSNs(text, num)...)
	out = append(out, findPhones(text, num)...)
	out = append(out, findAWSAccounts(text, num)...)
	out = append(out, findEmails(text, atWindows(text))...)
	return out
}

// window is a byte range [0]:[1] of the text.
type window [2]int

// merge joins overlapping windows (they arrive in order of start).
func merge(ws []window) []window {
	var out []window
	for _, w := range ws {
		if n := len(out); n > 0 && w[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], w[1])
			continue
		}
		out = append(out, w)
	}
	return out
}

// grow widens w by before and after bytes within text.
func grow(w window, before, after, n int) window {
	return window{max(0, w[0]-before), min(n, w[1]+after)}
}

// numericWindows returns runs of digits and number punctuation with at
// least nine digits, widened by one byte each side so that \b sees the
// neighbours.
func numericWindows(text string) []window {
	var ws []window
	start, digits := -1, 0
	flush := func(end int) {
		if start >= 0 && digits >= 9 {
			ws = append(ws, grow(window{start, end}, 1, 1, len(text)))
		}
		start, digits = -1, 0
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case isDigit(c):
			if start < 0 {
				start = i
			}
			digits++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+' || c == ':' || c == '/':
			if start < 0 && (c == '(' || c == '+') {
				start = i
			}
		default:
			flush(i)
		}
	}
	flush(len(text))
	return merge(ws)
}

// atWindows returns windows around each '@' wide enough for an address.
func atWindows(text string) []window {
	var ws []window
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '@')
		if j < 0 {
			break
		}
		ws = append(ws, grow(window{i + j, i + j + 1}, 65, 256, len(text)))
		i += j + 1
	}
	return merge(ws)
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// ibanWindows returns windows starting where a word begins with two
// capitals and two digits.
func ibanWindows(text string) []window {
	var ws []window
	for i := 0; i+4 <= len(text); i++ {
		if isUpper(text[i]) && isUpper(text[i+1]) && isDigit(text[i+2]) && isDigit(text[i+3]) && (i == 0 || !isAlnum(text[i-1]) && text[i-1] != '_') {
			ws = append(ws, grow(window{i, i}, 1, 48, len(text)))
		}
	}
	return merge(ws)
}

// findIn runs re over each window and returns submatch indices in text
// coordinates, skipping matches that start inside an earlier one.
func findIn(re *regexp.Regexp, text string, ws []window) [][]int {
	var out [][]int
	last := -1
	for _, w := range ws {
		for _, m := range re.FindAllStringSubmatchIndex(text[w[0]:w[1]], -1) {
			for k := range m {
				if m[k] >= 0 {
					m[k] += w[0]
				}
			}
			if m[0] < last {
				continue
			}
			last = m[1]
			out = append(out, m)
		}
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// standalone reports whether text[start:end] is not glued to neighbouring
// letters, digits or number punctuation (so it is not part of a longer
// identifier, version or number).
func standalone(text string, start, end int) bool {
	return leftOK(text, start) && rightOK(text, end)
}

func leftOK(text string, start int) bool {
	if start == 0 {
		return true
	}
	c := text[start-1]
	if isAlnum(c) || c == '_' {
		return false
	}
	return !((c == '-' || c == '.' || c == '/' || c == '+') && start > 1 && isDigit(text[start-2]))
}

func rightOK(text string, end int) bool {
	if end >= len(text) {
		return true
	}
	c := text[end]
	if isAlnum(c) || c == '_' {
		return false
	}
	return !((c == '-' || c == '.' || c == '/') && end+1 < len(text) && isDigit(text[end+1]))
}

// digitsOf returns the ASCII digits of s.
func digitsOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// maskKeep replaces every letter and digit of s with '*' except the last
// keep of them and the first skip of them, preserving separators.
func maskKeep(s string, skip, keep int) string {
	total := 0
	for i := 0; i < len(s); i++ {
		if isAlnum(s[i]) {
			total++
		}
	}
	b := []byte(s)
	n := 0
	for i := range b {
		if !isAlnum(b[i]) {
			continue
		}
		if n >= skip && n < total-keep {
			b[i] = '*'
		}
		n++
	}
	return string(b)
}

// ---- e-mail ----

var emailRe = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}`)

// notTLD are file extensions that follow "@2x" in asset names.
var notTLD = map[string]bool{"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "ico": true}

// placeholderDomains are not reserved but are used as placeholders in
// prompt collections ("user@domain.ext", "name@yourdomain.com").
var placeholderDomains = map[string]bool{
	"domain.com": true, "domain.ext": true, "yourdomain.com": true, "mydomain.com": true,
	"email.com": true, "yourcompany.com": true, "company.com": true,
}

// reservedDomain reports RFC 2606 / RFC 6761 documentation domains and
// common placeholder domains.
func reservedDomain(domain string) bool {
	d := strings.ToLower(domain)
	if placeholderDomains[d] {
		return true
	}
	for _, r := range []string{"example.com", "example.org", "example.net"} {
		if d == r || strings.HasSuffix(d, "."+r) {
			return true
		}
	}
	for _, tld := range []string{".example", ".test", ".invalid", ".localhost"} {
		if strings.HasSuffix(d, tld) {
			return true
		}
	}
	return false
}

func findEmails(text string, ws []window) []piiMatch {
	var out []piiMatch
	for _, loc := range findIn(emailRe, text, ws) {
		s, e := loc[0], loc[1]
		if s > 0 && (isAlnum(text[s-1]) || strings.IndexByte("._%+-", text[s-1]) >= 0) {
			continue
		}
		if e < len(text) && (isAlnum(text[e]) || text[e] == '_') {
			continue
		}
		addr := text[s:e]
		at := strings.IndexByte(addr, '@')
		local, domain := addr[:at], addr[at+1:]
		tld := domain[strings.LastIndexByte(domain, '.')+1:]
		if notTLD[strings.ToLower(tld)] {
			continue
		}
		if strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
			continue
		}
		// git@github.com:org/repo is an SSH remote, not a person.
		if local == "git" && e < len(text) && text[e] == ':' {
			continue
		}
		out = append(out, piiMatch{
			kind: KindEmail, start: s, end: e,
			example:  reservedDomain(domain),
			evidence: local[:1] + "***@" + domain,
		})
	}
	return out
}

// ---- telephone numbers ----

// e164Re: "+" and 8 to 15 digits, optionally grouped by single spaces,
// dashes, dots or a parenthesised group.
var e164Re = regexp.MustCompile(`\+[1-9](?:[ \-.]?\(?[0-9]\)?){7,14}`)

// nanpRe: (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, NXX NXX XXXX, with
// an optional leading 1.
var nanpRe = regexp.MustCompile(`(?:\b1[ \-.])?(?:\(([2-9][0-9]{2})\) ?|\b([2-9][0-9]{2})([ \-.]))([2-9][0-9]{2})[ \-.]([0-9]{4})\b`)

// validNANP checks a 10-digit NANP number: area and exchange start with 2-9
// and are not N11 service codes.
func validNANP(d string) bool {
	if len(d) != 10 || d[0] < '2' || d[3] < '2' {
		return false
	}
	if d[1] == '1' && d[2] == '1' || d[4] == '1' && d[5] == '1' {
		return false
	}
	return true
}

// fictionalNANP: 555-0100 to 555-0199 are reserved for fiction.
func fictionalNANP(d string) bool {
	return len(d) == 10 && d[3:6] == "555" && d[6:8] == "01"
}

func findPhones(text string, ws []window) []piiMatch {
	var out []piiMatch
	for _, loc := range findIn(e164Re, text, ws) {
		s, e := loc[0], loc[1]
		if e > s && text[e-1] == ')' {
			e--
		}
		raw := text[s:e]
		if strings.Count(raw, "(") != strings.Count(raw, ")") {
			continue
		}
		if !standalone(text, s, e) {
			continue
		}
		d := digitsOf(raw)
		if len(d) < 8 || len(d) > 15 {
			continue
		}
		example := false
		if d[0] == '1' {
			if len(d) != 11 || !validNANP(d[1:]) {
				continue
			}
			example = fictionalNANP(d[1:])
		}
		out = append(out, piiMatch{kind: KindPhone, start: s, end: e, example: example, evidence: maskKeep(raw, 0, 2)})
	}
	for _, m := range findIn(nanpRe, text, ws) {
		s, e := m[0], m[1]
		if s > 0 && text[s-1] == '+' {
			continue // handled as E.164
		}
		// "555-123-4567": both separators must agree when the area code
		// is not parenthesised.
		if m[6] >= 0 && text[m[6]:m[7]] != text[m[8]+3:m[8]+4] {
			continue
		}
		if !standalone(text, s, e) {
			continue
		}
		d := digitsOf(text[s:e])
		if len(d) == 11 {
			d = d[1:]
		}
		if !validNANP(d) {
			continue
		}
		out = append(out, piiMatch{kind: KindPhone, start: s, end: e, example: fictionalNANP(d), evidence: maskKeep(text[s:e], 0, 2)})
	}
	return out
}

// ---- US social security numbers ----

var (
	ssnRe        = regexp.MustCompile(`\b([0-9]{3})-([0-9]{2})-([0-9]{4})\b`)
	ssnContextRe = regexp.MustCompile(`(?i)\b(?:ssn|social security(?: number| no\.?)?)\W{1,5}([0-9]{9})\b`)
)

var docSSNs = map[string]bool{"123456789": true, "078051120": true, "219099999": true}

// ssnContextWindows widens the numeric windows to the left so that the
// "SSN" / "social security number" label is inside.
func ssnContextWindows(ws []window, n int) []window {
	out := make([]window, len(ws))
	for i, w := range ws {
		out[i] = grow(w, 40, 0, n)
	}
	return merge(out)
}

func validSSN(d string) bool {
	if len(d) != 9 {
		return false
	}
	area, group, serial := d[:3], d[3:5], d[5:]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

func findSSNs(text string, ws []window) []piiMatch {
	var out []piiMatch
	add := func(s, e int) {
		d := digitsOf(text[s:e])
		if !validSSN(d) || !standalone(text, s, e) {
			return
		}
		out = append(out, piiMatch{kind: KindSSN, start: s, end: e, example: docSSNs[d], evidence: "***-**-" + d[5:]})
	}
	for _, m := range findIn(ssnRe, text, ws) {
		add(m[0], m[1])
	}
	for _, m := range findIn(ssnContextRe, text, ssnContextWindows(ws, len(text))) {
		add(m[2], m[3])
	}
	return out
}

// ---- payment cards ----

// cardChainRe finds runs of digit groups separated by single spaces or
// dashes; findCards then tries group-aligned windows of 12-19 digits.
var cardChainRe = regexp.MustCompile(`[0-9]+(?:[ \-][0-9]+)*`)

// testCards are the issuers' published test numbers.
var testCards = map[string]bool{
	"4111111111111111": true, "4242424242424242": true, "4012888888881881": true,
	"4222222222222": true, "4000056655665556": true, "4005519200000004": true,
	"5555555555554444": true, "5105105105105100": true, "5200828282828210": true,
	"2223003122003222": true, "378282246310005": true, "371449635398431": true,
	"378734493671000": true, "6011111111111117": true, "6011000990139424": true,
	"3530111333300000": true, "3566002020360505": true, "30569309025904": true,
	"38520000023237": true, "36227206271667": true, "6200000000000005": true,
}

// cardBrand reports whether d (digits only) has a known IIN and a length
// that brand issues.
func cardBrand(d string) bool {
	n := len(d)
	p := func(k int) int {
		v := 0
		for i := 0; i < k && i < n; i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	switch {
	case d[0] == '4':
		return n == 13 || n == 16 || n == 19
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720:
		return n == 16
	case p(2) == 34 || p(2) == 37:
		return n == 15
	case p(4) == 6011, p(2) == 65, p(3) >= 644 && p(3) <= 649, p(6) >= 622126 && p(6) <= 622925:
		return n >= 16 && n <= 19
	case p(4) >= 3528 && p(4) <= 3589:
		return n >= 16 && n <= 19
	case p(3) >= 300 && p(3) <= 305, p(4) == 3095, p(2) == 36, p(2) == 38, p(2) == 39:
		return n >= 14 && n <= 19
	case p(2) == 62:
		return n >= 16 && n <= 19
	case p(4) >= 2200 && p(4) <= 2204:
		return n >= 16 && n <= 19
	case p(4) == 5018, p(4) == 5020, p(4) == 5038, p(4) == 5893, p(4) == 6304, p(4) == 6759, p(4) >= 6761 && p(4) <= 6763:
		return n >= 12 && n <= 19
	}
	return false
}

// luhn reports whether the digit string passes the Luhn check.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i] - '0')
		if double {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
		double = !double
	}
	return sum%10 == 0
}

func findCards(text string, ws []window) []piiMatch {
	var out []piiMatch
	for _, loc := range findIn(cardChainRe, text, ws) {
		s, e := loc[0], loc[1]
		if e-s < 12 {
			continue
		}
		// Split into groups.
		type group struct{ s, e int }
		var groups []group
		gs := s
		for i := s; i <= e; i++ {
			if i == e || !isDigit(text[i]) {
				groups = append(groups, group{gs, i})
				gs = i + 1
			}
		}
		if len(groups) > 40 {
			continue
		}
		for i := 0; i < len(groups); i++ {
			for j := i; j < len(groups); j++ {
				ws, we := groups[i].s, groups[j].e
				d := digitsOf(text[ws:we])
				if len(d) > 19 {
					break
				}
				if len(d) < 12 || !cardShape(text, groups[i].s, groups[j].e, j-i+1) {
					continue
				}
				if ws == s && !leftOK(text, ws) || we == e && !rightOK(text, we) || ibanPrefix(text, ws) {
					continue
				}
				if !cardBrand(d) || !luhn(d) {
					continue
				}
				out = append(out, piiMatch{kind: KindCard, start: ws, end: we, example: testCards[d], evidence: maskKeep(text[ws:we], 0, 4)})
				i = j
				break
			}
		}
	}
	return out
}

// ibanPrefix reports whether the digit chain at s follows "CC00 ", the
// start of a grouped IBAN (valid or not): its digits are not a card.
func ibanPrefix(text string, s int) bool {
	if s < 5 || text[s-1] != ' ' {
		return false
	}
	p := text[s-5 : s-1]
	return p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'A' && p[1] <= 'Z' && isDigit(p[2]) && isDigit(p[3])
}

// cardShape checks the grouping of a candidate: one unbroken run, or a
// first group of four digits, middle groups of 4-6 and one separator kind.
func cardShape(text string, s, e, ngroups int) bool {
	if ngroups == 1 {
		return true
	}
	raw := text[s:e]
	sep := byte(0)
	n := 0
	first := true
	for i := 0; i <= len(raw); i++ {
		if i < len(raw) && isDigit(raw[i]) {
			n++
			continue
		}
		if first {
			if n != 4 {
				return false
			}
			first = false
		} else if i < len(raw) && (n < 4 || n > 6) {
			return false
		} else if i == len(raw) && (n < 1 || n > 6) {
			return false
		}
		if i < len(raw) {
			if sep == 0 {
				sep = raw[i]
			} else if raw[i] != sep {
				return false
			}
		}
		n = 0
	}
	return true
}

// ---- IBAN ----

var ibanRe = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}`)

// ibanLengths is the IBAN length per country (SWIFT IBAN registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
	"BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
	"ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
	"HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
	"LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
	"RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// docIBANs are the registry's and banks' published example IBANs.
var docIBANs = map[string]bool{
	"GB82WEST12345698765432": true, "GB29NWBK60161331926819": true, "DE89370400440532013000": true,
	"FR1420041010050500013M02606": true, "NL91ABNA0417164300": true, "CH9300762011623852957": true,
	"ES9121000418450200051332": true, "IT60X0542811101000000123456": true, "BE68539007547034": true,
	"AT611904300234573201": true,
}

// ibanMod97 checks the IBAN check digits.
func ibanMod97(iban string) bool {
	r := iban[4:] + iban[:4]
	rem := 0
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
	}
	return rem == 1
}

func findIBANs(text string, ws []window) []piiMatch {
	var out []piiMatch
	for _, loc := range findIn(ibanRe, text, ws) {
		s := loc[0]
		if s > 0 && (isAlnum(text[s-1]) || text[s-1] == '_') {
			continue
		}
		want, ok := ibanLengths[text[s:s+2]]
		if !ok {
			continue
		}
		// Take the first want alphanumerics of the match.
		n, e := 0, s
		for e < loc[1] && n < want {
			if isAlnum(text[e]) {
				n++
			}
			e++
		}
		if n != want || e < len(text) && (isAlnum(text[e]) || text[e] == '_') {
			continue
		}
		compact := strings.ReplaceAll(text[s:e], " ", "")
		if !ibanMod97(compact) {
			continue
		}
		out = append(out, piiMatch{kind: KindIBAN, start: s, end: e, example: docIBANs[compact], evidence: maskKeep(text[s:e], 2, 4)})
	}
	return out
}

// ---- AWS account IDs ----

var (
	awsAccountRe = regexp.MustCompile(`\b[0-9]{4}-?[0-9]{4}-?[0-9]{4}\b`)
	awsContextRe = regexp.MustCompile(`(?i)aws|account`)
)

var docAWSAccounts = map[string]bool{
	"123456789012": true, "111122223333": true, "444455556666": true, "555555555555": true,
	"777788889999": true, "999999999999": true, "000000000000": true, "111111111111": true,
	"012345678901": true, "210987654321": true,
}

// awsWindow is how far before an account ID "aws" or "account" may appear.
const awsWindow = 48

func findAWSAccounts(text string, ws []window) []piiMatch {
	var out []piiMatch
	for _, loc := range findIn(awsAccountRe, text, ws) {
		s, e := loc[0], loc[1]
		raw := text[s:e]
		if strings.Count(raw, "-") == 1 {
			continue
		}
		if !standalone(text, s, e) {
			continue
		}
		ctx := text[max(0, s-awsWindow):s]
		if !awsContextRe.MatchString(ctx) {
			continue
		}
		d := digitsOf(raw)
		out = append(out, piiMatch{kind: KindAWSAccount, start: s, end: e, example: docAWSAccounts[d], evidence: maskKeep(raw, 0, 4)})
	}
	return out
}
