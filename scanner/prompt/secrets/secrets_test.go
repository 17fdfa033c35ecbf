package secrets

import (
	"encoding/base64"
	"os"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Fake credentials, split so that secret scanners reading this file do
// not match them.
var (
	fakeOpenAI    = "sk-proj-" + "u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAjIhKtJ0RlgL" + "T3BlbkFJ" + "KOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtHF4vUCsMehGAkWvj7FAc9QeWJ"
	fakeAnthropic = "sk-ant-api03-" + "KY40uvSwMFLZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNhFdnXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoaF1Llqsa" + "AA"
	fakeGitHub    = "ghp_" + "hvMdgaKjIg8xNbe3nNyjOq9wMxEhh2FDEEtf"
	fakeSlack     = "xoxb-" + "215472803852-808414852538-IXGvOoNZYW2mZp0zVZomHFwU"
	fakeJWT       = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ" + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	fakeAWSKey    = "AKIA" + "Z4DLYQGKQTNW7RHS"
)

type wantHit struct {
	rule     string
	value    string // text[Start:End]
	evidence string
}

func seg(text string, role promptcore.Role) promptcore.Segment {
	return promptcore.Segment{Text: text, Role: role, Source: "messages[0].content", Locate: promptcore.Shifted(text, promptcore.Position{Line: 1, Column: 1})}
}

func check(t *testing.T, text string, role promptcore.Role, want []wantHit) {
	t.Helper()
	got := Detect(seg(text, role))
	if len(got) != len(want) {
		for _, h := range got {
			t.Logf("got %s [%d,%d) %q %q", h.Rule, h.Start, h.End, text[h.Start:h.End], h.Evidence)
		}
		t.Fatalf("got %d hits, want %d", len(got), len(want))
	}
	for i, w := range want {
		h := got[i]
		wantStart := strings.Index(text, w.value)
		if h.Rule != w.rule || h.Start != wantStart || h.End != wantStart+len(w.value) {
			t.Errorf("hit %d: got %s [%d,%d) %q, want %s [%d,%d) %q", i, h.Rule, h.Start, h.End, text[h.Start:h.End], w.rule, wantStart, wantStart+len(w.value), w.value)
		}
		if w.evidence != "" && h.Evidence != w.evidence {
			t.Errorf("hit %d: evidence %q, want %q", i, h.Evidence, w.evidence)
		}
		if h.Message == "" {
			t.Errorf("hit %d: empty message", i)
		}
	}
}

func TestSecrets(t *testing.T) {
	cases := []struct {
		name string
		text string
		role promptcore.Role
		want []wantHit
	}{
		{"openai", "You are a bot.\nUse key " + fakeOpenAI + " to call the API.", promptcore.RoleSystem,
			[]wantHit{{RuleSecret, fakeOpenAI, "openai-api-key: sk-p…"}}},
		{"anthropic-redteam", "payload: " + fakeAnthropic + "\n", promptcore.RoleRedTeam,
			[]wantHit{{RuleSecret, fakeAnthropic, "anthropic-api-key: sk-a…"}}},
		{"github-example", "line1\nline2\ntoken: " + fakeGitHub + " ok", promptcore.RoleExample,
			[]wantHit{{RuleSecret, fakeGitHub, "github-pat: ghp_…"}}},
		{"slack", "Post with " + fakeSlack + " please", promptcore.RoleAgent,
			[]wantHit{{RuleSecret, fakeSlack, "slack-bot-token: xoxb…"}}},
		{"jwt", "Authorization: Bearer " + fakeJWT + "\n", promptcore.RoleTestInput,
			[]wantHit{{RuleSecret, fakeJWT, "jwt: eyJh…"}}},
		{"aws-key", "keys:\n  id: " + fakeAWSKey + "\n", promptcore.RoleTemplate,
			[]wantHit{{RuleSecret, fakeAWSKey, "aws-access-token: AKIA…"}}},
		{"placeholder", `api_key = "{{api_key}}" and token: {token} and <API_KEY>`, promptcore.RoleTemplate, nil},
		{"plain-prose", "Ignore the key points and summarise the token economy in 3 bullets.", promptcore.RoleSystem, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { check(t, c.text, c.role, c.want) })
	}
}

// TestSecretBase64: gitleaks decodes base64 (MaxDecodeDepth 2) and the hit
// covers the encoded run in the original text.
func TestSecretBase64(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString([]byte("token=" + fakeGitHub))
	text := "data: " + enc + "\n"
	got := Detect(seg(text, promptcore.RoleSystem))
	if len(got) != 1 || got[0].Rule != RuleSecret {
		t.Fatalf("got %+v", got)
	}
	if got[0].Start < 6 || got[0].End > 6+len(enc) {
		t.Errorf("span [%d,%d) outside the encoded run [6,%d)", got[0].Start, got[0].End, 6+len(enc))
	}
	if strings.Contains(got[0].Evidence, fakeGitHub[4:]) {
		t.Errorf("evidence leaks the secret: %q", got[0].Evidence)
	}
}

func TestPII(t *testing.T) {
	sys, ex, red, tpl := promptcore.RoleSystem, promptcore.RoleExample, promptcore.RoleRedTeam, promptcore.RoleTemplate
	cases := []struct {
		name string
		text string
		role promptcore.Role
		want []wantHit
	}{
		{"email-system", "Escalate to jane.roe@acme-corp.io now.", sys, []wantHit{{RulePIIHigh, "jane.roe@acme-corp.io", "j***@acme-corp.io"}}},
		{"email-example-band", "User: mail me at bob@gmail.com", ex, []wantHit{{RulePIIMedium, "bob@gmail.com", "b***@gmail.com"}}},
		{"email-redteam", "send to bob@gmail.com", red, []wantHit{{RulePIILow, "bob@gmail.com", ""}}},
		{"email-reserved-template", "Reply to support@example.com.", tpl, []wantHit{{RulePIIMedium, "support@example.com", "s***@example.com"}}},
		{"email-reserved-redteam", "Reply to a@example.org", red, []wantHit{{RulePIIInfo, "a@example.org", ""}}},
		{"email-placeholder-domain", "write to user@domain.ext", sys, []wantHit{{RulePIIMedium, "user@domain.ext", ""}}},
		{"email-placeholders", "Email: {{email}}, {{user}}@{{domain}}, <EMAIL>, icon@2x.png, git@github.com:org/repo.git", sys, nil},
		{"phone-nanp", "Call (415) 867-5309 today", sys, []wantHit{{RulePIIHigh, "(415) 867-5309", "(***) ***-**09"}}},
		{"phone-dashes", "Call 415-867-5309.", ex, []wantHit{{RulePIIMedium, "415-867-5309", "***-***-**09"}}},
		{"phone-e164", "WhatsApp +44 20 7946 0958 or +14158675309", sys, []wantHit{{RulePIIHigh, "+44 20 7946 0958", "+** ** **** **58"}, {RulePIIHigh, "+14158675309", ""}}},
		{"phone-fictional", "Call 415-555-0123", sys, []wantHit{{RulePIIMedium, "415-555-0123", ""}}},
		{"phone-invalid", "Ref 123-456-7890, 415-011-2222, date 2023-10-15, version v1.415.867.5309, mixed 415-867.5309", sys, nil},
		{"ssn", "SSN: 536-22-1234", sys, []wantHit{{RulePIIHigh, "536-22-1234", "***-**-1234"}}},
		{"ssn-context-bare", "social security number 536221234", ex, []wantHit{{RulePIIMedium, "536221234", ""}}},
		{"ssn-doc", "e.g. 123-45-6789", sys, []wantHit{{RulePIIMedium, "123-45-6789", ""}}},
		{"ssn-invalid", "000-12-3456 666-12-3456 912-34-5678 536-00-1234 536-22-0000 part-of 1536-22-1234", sys, nil},
		{"card-test", "Pay with 4111 1111 1111 1111 exp 12/29", sys, []wantHit{{RulePIIMedium, "4111 1111 1111 1111", "**** **** **** 1111"}}},
		{"card-test-redteam", "card 4242424242424242", red, []wantHit{{RulePIIInfo, "4242424242424242", "************4242"}}},
		{"card-real-shape", "card: 4539-1488-0343-6467.", sys, []wantHit{{RulePIIHigh, "4539-1488-0343-6467", "****-****-****-6467"}}},
		{"card-amex-test", "amex 3714 496353 98431", ex, []wantHit{{RulePIILow, "3714 496353 98431", ""}}},
		{"card-in-chain", "order 12 4539 1488 0343 6467 2029", sys, []wantHit{{RulePIIHigh, "4539 1488 0343 6467", ""}}},
		{"card-invalid", "4111 1111 1111 1112, 1234567812345678, 4539148803436467123456, id4539148803436467", sys, nil},
		{"iban", "IBAN: DE75 5121 0800 1245 1261 99.", sys, []wantHit{{RulePIIHigh, "DE75 5121 0800 1245 1261 99", "DE** **** **** **** **61 99"}}},
		{"iban-compact-doc", "pay GB82WEST12345698765432 now", ex, []wantHit{{RulePIILow, "GB82WEST12345698765432", ""}}},
		{"iban-invalid", "DE75 5121 0800 1245 1261 98 and XX12 3456 7890 1234 56", sys, nil},
		{"aws-account", "Deploy to AWS account 492019364522 in us-east-1", sys, []wantHit{{RulePIIHigh, "492019364522", "********4522"}}},
		{"aws-arn", "arn:aws:iam::492019364522:role/x", ex, []wantHit{{RulePIIMedium, "492019364522", ""}}},
		{"aws-doc", "account id 123456789012", sys, []wantHit{{RulePIIMedium, "123456789012", ""}}},
		{"aws-no-context", "order number 492019364522", sys, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { check(t, c.text, c.role, c.want) })
	}
}

func TestRuleFor(t *testing.T) {
	cases := []struct {
		kind string
		role promptcore.Role
		want string
	}{
		{KindSecret, promptcore.RoleSystem, RuleSecret},
		{KindSecret, promptcore.RoleRedTeam, RuleSecret},
		{Example(KindSecret), promptcore.RoleRedTeam, RuleSecret},
		{KindEmail, promptcore.RoleSystem, RulePIIHigh},
		{KindEmail, promptcore.RoleChatTemplate, RulePIIHigh},
		{KindPhone, promptcore.RoleAgent, RulePIIHigh},
		{KindSSN, promptcore.RoleExample, RulePIIMedium},
		{KindCard, promptcore.RoleTestInput, RulePIIMedium},
		{KindIBAN, promptcore.RoleExpected, RulePIIMedium},
		{KindAWSAccount, promptcore.RoleUnknown, RulePIIMedium},
		{KindEmail, promptcore.RoleRedTeam, RulePIILow},
		{Example(KindCard), promptcore.RoleSystem, RulePIIMedium},
		{Example(KindCard), promptcore.RoleExample, RulePIILow},
		{Example(KindEmail), promptcore.RoleRedTeam, RulePIIInfo},
		{"bogus", promptcore.RoleSystem, ""},
	}
	for _, c := range cases {
		if got := RuleFor(c.kind, c.role); got != c.want {
			t.Errorf("RuleFor(%q, %q) = %q, want %q", c.kind, c.role, got, c.want)
		}
	}
}

// TestCatalogue checks prompt-secrets.yaml against the rule IDs and
// severities used here.
func TestCatalogue(t *testing.T) {
	b, err := os.ReadFile("../../rules/prompt-secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules []struct {
		ID       string `yaml:"id"`
		Severity string `yaml:"severity"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rules {
		got[r.ID] = r.Severity
	}
	for id, sev := range Severities {
		if got[id] != sev {
			t.Errorf("%s: catalogue severity %q, code %q", id, got[id], sev)
		}
	}
}

func TestRedactSecret(t *testing.T) {
	for in, want := range map[string]string{
		"abcdefghijklmnopqrstuvwxyz": "abcd…",
		"abcdefgh":                   "ab…",
		"abc":                        "…",
		"ключ-секрет-очень-длинный": "ключ…",
	} {
		if got := redactSecret(in); got != want {
			t.Errorf("redactSecret(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLuhnAndMod97(t *testing.T) {
	if !luhn("79927398713") || luhn("79927398710") {
		t.Error("luhn")
	}
	if !ibanMod97("GB82WEST12345698765432") || ibanMod97("GB82WEST12345698765433") {
		t.Error("mod97")
	}
}

// TestConcurrent runs Detect from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	text := "k " + fakeGitHub + " mail a.b@acme.io " + base64.StdEncoding.EncodeToString([]byte("token="+fakeGitHub))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if len(Detect(seg(text, promptcore.RoleSystem))) < 2 {
					t.Error("missing hits")
				}
			}
		}()
	}
	wg.Wait()
}

func FuzzDetect(f *testing.F) {
	if err := Init(); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"call (415) 867-5309 or +44 20 7946 0958",
		"card 4111 1111 1111 1111, iban GB82 WEST 1234 5698 7654 32",
		"SSN 536-22-1234 aws account 492019364522 mail x@y.io",
		"token: " + fakeGitHub,
		"\r\n\n\x00é" + fakeSlack,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 2048 {
			return
		}
		for _, role := range []promptcore.Role{promptcore.RoleSystem, promptcore.RoleRedTeam} {
			hits := Detect(seg(text, role))
			end := -1
			for _, h := range hits {
				if h.Start < 0 || h.End > len(text) || h.Start >= h.End {
					t.Fatalf("bad span %+v", h)
				}
				if h.Start < end {
					t.Fatalf("overlapping hits %+v", hits)
				}
				end = h.End
				if h.Rule == "" || Severities[h.Rule] == "" {
					t.Fatalf("unknown rule %+v", h)
				}
				if h.Rule == RuleSecret && h.End-h.Start >= 16 && strings.Contains(h.Evidence, text[h.Start:h.End]) {
					t.Fatalf("evidence leaks the secret: %+v", h)
				}
			}
		}
	})
}

// promptText is prompt-like text with a few PII values and no secrets.
func promptText() string {
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteString("You are a helpful assistant for Acme Corp. Answer politely and never reveal internal policies. ")
		b.WriteString("If the user asks for a refund, collect the order number and their e-mail, e.g. jane@acme.io, and call (415) 867-5309. ")
		b.WriteString("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{% endfor %}\n")
		b.WriteString("Example: User: my card 4111 1111 1111 1111 was charged twice. Assistant: I am sorry to hear that.\n")
	}
	return b.String()
}

func BenchmarkDetect(b *testing.B) {
	if err := Init(); err != nil {
		b.Fatal(err)
	}
	s := seg(promptText(), promptcore.RoleSystem)
	b.SetBytes(int64(len(s.Text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Detect(s)
	}
}

func BenchmarkPIIOnly(b *testing.B) {
	text := promptText()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		findPII(text)
	}
}

// BenchmarkGitleaksNoDecode measures gitleaks alone without the decoding
// passes, for comparison with MaxDecodeDepth.
func BenchmarkGitleaksNoDecode(b *testing.B) {
	d, err := detector()
	if err != nil {
		b.Fatal(err)
	}
	text := promptText()
	detMu.Lock()
	d.MaxDecodeDepth = 0
	detMu.Unlock()
	defer func() {
		detMu.Lock()
		d.MaxDecodeDepth = MaxDecodeDepth
		detMu.Unlock()
	}()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		secretHits(text)
	}
}
