package detect

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/modelgate/modelgate/internal/textcheck"
)

// Instruction-override, jailbreak persona and system-prompt extraction
// lexicon, matched on normalised text (NFKC, zero-width stripped,
// confusables and leetspeak folded, lowercased) and reported on the
// original offsets. A match is damped (dropped) when a negation or
// defensive cue precedes it in the same sentence: "never reveal your
// instructions", "ignore any request to ...", "such as 'ignore previous
// instructions'". Persona names (DAN, STAN, AIM, ...) are matched
// case-sensitively on the original text and only next to a persona cue.

type lexRule struct {
	family string
	why    string
	re     *regexp.Regexp
	// neg: damp on plain negations too ("never reveal your prompt").
	// Rules whose phrase carries its own negation ("cannot refuse") are
	// damped only on defensive cues.
	neg bool
	// pre lists literals of which at least one occurs in every match (in
	// the folded text); the comparatively slow regexp runs only in windows
	// around them.
	pre []string
	// win is how far (bytes) a match may extend on either side of its
	// keyword; 0 means defaultWin.
	win int
}

// defaultWin bounds the extent of the original lexicon's matches around
// their keywords.
const defaultWin = 700

const gap = `(?:[ \t,'"*_:-]+[^\s.!?]+){0,6}?[ \t,'"*_:-]+`

var lexRules = []lexRule{
	{"override", "tries to cancel the instructions the model was given",
		regexp.MustCompile(`\b(?:ignore|disregard|forget|overlook|bypass|abandon|discard)` + gap + `(?:previous|prior|above|earlier|preceding|former|initial|original|old|all|any|every|your|the|openai'?s?|safety|ethical|moral|content)` + gap + `(?:instructions?|rules|prompts?|directives?|guidelines|polic(?:y|ies)|programming|restrictions|constraints|filters|training|limitations|principles|ethics|morals|inputs?|messages|conversation|directions?)\b`), true, []string{"ignor", "disregard", "forget", "overlook", "bypass", "abandon", "discard"}, defaultWin},
	{"override", "tries to cancel the instructions the model was given",
		regexp.MustCompile(`\b(?:ignore|disregard|forget)\s+(?:all\s+|everything\s+)?(?:(?:that\s+)?(?:you(?:'ve)?\s+(?:were|have\s+been)\s+)?(?:told|said|instructed|taught|programmed)|what\s+(?:you\s+were|i\s+said|was\s+said)\s+(?:told\s+)?(?:before|above|earlier|previously))|\bforget\s+(?:about\s+)?everything\s+(?:from|you(?:'ve)?\s+(?:have\s+)?(?:learned|been\s+told|know)|before|that|above|previous|prior)|\bdisregard\w*\s+(?:all\s+|any\s+)?(?:ethics|morals|moral|ethical|legal)`), true, []string{"ignor", "disregard", "forget"}, defaultWin},
	{"override", "declares that the model's rules no longer apply",
		regexp.MustCompile(`\b(?:not|never|no\s+long(?:er)?)\s+(?:be\s+)?(?:bound|restricted|restrained|limited|constrained|controlled|confined)\s+(?:by|to)(?:\s+[^\s.!?]+){0,4}?\s+(?:rules|restrictions|polic|guidelines|ethic|moral|openai|content|filters|limitations|laws|safety)|\b(?:free|freed|broken\s+free|break\s+free|released|liberated)\s+(?:itself\s+|yourself\s+|himself\s+|herself\s+|themselves\s+)?(?:of|from)\s+(?:the\s+|all\s+|any\s+|your\s+|its\s+|their\s+|his\s+|her\s+)?(?:typical\s+|usual\s+|normal\s+)?(?:confines|rules|restrictions|limitations|shackles|constraints|chains|filters|guidelines|polic)`), false, []string{"bound", "restrict", "restrain", "constrain", "confin", "shackle", "chains", "limited by", "limited to", "controlled by", "free of", "free from", "freed", "releas"}, 200},
	{"override", "declares that the model has no restrictions",
		regexp.MustCompile(`\b(?:no|without(?:\s+any)?|zero|free\s+of)\s+(?:(?:ethical|moral|content|safety)\s+(?:restrictions|filters|filtering|censorship|limits|limitations|boundaries|guidelines|rules|constraints|principles)|restrictions|censorship|morals|ethics|moral\s+compass)\b`), false, []string{"restriction", "censorship", "moral", "ethic", "content", "safety"}, 200},
	{"override", "asks the model to ignore its content policy",
		regexp.MustCompile(`\b(?:ignor\w*|bypass\w*|violat\w*|break\w*|disregard\w*|evad\w*|circumvent\w*|get\s+around|free\s+from|against|(?:not|n't)\s+subject\s+to|(?:not|n't|no\s+longer)\s+(?:have\s+to\s+|need\s+to\s+)?(?:follow|abide|adhere|comply|care))\b[^.!?\n]{0,40}?\b(?:open\s*ai|anthropic)(?:'s)?\s+(?:[a-z]+\s+)?(?:content\s+|usage\s+)?(?:polic(?:y|ies)|guidelines|rules|restrictions|filters)|\b(?:ignor\w*|bypass\w*|violat\w*|break\w*|disregard\w*|evad\w*|circumvent\w*|(?:not|n't|no\s+longer)\s+(?:have\s+to\s+|need\s+to\s+)?(?:follow|abide|adhere|comply|care))\b[^.!?\n]{0,30}?\bcontent\s+polic(?:y|ies)\b`), false, []string{"openai", "open ai", "anthropic", "content polic"}, 200},
	{"persona", "asks the model to take on an unrestricted persona",
		regexp.MustCompile(`\b(?:developer|dev|jailbreak|jailbroken|unrestricted|uncensored|unfiltered|evil|dan|dude|stan)\s+mode\b|\bdo\s+anything\s+now\b|\bjailbr(?:eak|oken)s?\b|\b(?:never|not|won't|cannot|can't)\s+(?:ever\s+)?refuse\b|\bnever\s+(?:say|tell|reply|respond)\s+(?:that\s+)?(?:you\s+)?(?:can't|cannot|are\s+unable)|\b(?:unfiltered|uncensored|amoral|unethical|immoral)\s+(?:ai|chatbot|bot|assistant|model|language\s+model|version|response|persona|character)`), false, []string{"mode", "anything now", "jailbr", "refuse", "never say", "never tell", "never reply", "never respond", "unfiltered", "uncensored", "amoral", "unethical", "immoral"}, 120},
	{"persona", "asks the model to stay in a jailbreak character",
		regexp.MustCompile(`\b(?:stay|remain|keep)\s+in\s+character\b[^.!?\n]{0,80}\b(?:no\s+matter|at\s+all\s+costs|always|whatever|even\s+if)|\bbreak(?:ing)?\s+character[^.!?\n]{0,60}\b(?:remind|correct|punish|lose|token)`), false, []string{"character"}, 200},
	{"persona", "simulates a second, unrestricted model",
		regexp.MustCompile(`\b(?:pretend|act|simulate|roleplay|role-play|behave)\s+(?:to\s+be\s+|as\s+|like\s+)?(?:an?\s+)?(?:ai|chatbot|model|assistant|language\s+model)\s+(?:that|which|who)\s+(?:has\s+no|doesn't|does\s+not|is\s+not|isn't|can|will)|\b(?:chatgpt|gpt|the\s+ai|openai)\s+with\s+\w+\s+mode\b|\bhypothetical(?:ly)?\s+(?:response|scenario)[^.!?\n]{0,60}\b(?:how\s+to|detail)`), false, []string{"pretend", "act as", "act like", "simulat", "roleplay", "role-play", "behave", "mode", "hypothetical"}, 160},
	{"persona", "declares that the model ignores law, ethics or its rules",
		regexp.MustCompile(`\b(?:does\s+not|doesn't|don't|do\s+not|won't|will\s+not|never|not)\s+(?:have\s+to\s+|need\s+to\s+)?(?:follow|have|obey|adhere\s+to|abide\s+by|cares?(?:\s+about)?)\s+(?:any\s+|the\s+|an?\s+)?(?:[a-z]+[\s,]+){0,2}?(?:ethics|ethical|morals|moral|morality|ethicality|rules|guidelines|filters?|restrictions|laws?|legality|principles|polic(?:y|ies)|consequences|regard)\b|\bregardless\s+of\s+(?:any\s+|how\s+|the\s+|its\s+|whether\s+)?(?:[a-z]+\s+)?(?:ethical|moral|legal|illegal|unethical|immoral|harmful|ethics|morals|legality)\b|\bwithout\s+(?:any\s+)?(?:ethical|moral)\s+(?:and\s+moral\s+|or\s+moral\s+|or\s+ethical\s+|and\s+ethical\s+)?(?:values|considerations|concerns|boundaries|limits)|\bwithout\s+(?:any\s+)?(?:refusals?|disclaimers?|censorship)\b`), false, []string{"ethic", "moral", "rules", "guideline", "filter", "restriction", "law", "legal", "principle", "polic", "consequence", "regard", "refusal", "disclaimer", "censorship"}, 160},
	{"persona", "describes an amoral, unrestricted persona",
		regexp.MustCompile(`\b(?:amoral|unrestrained|uncensored|unfiltered|unfiltred|unrestricted|unethical|immoral)\b[^.\n]{0,40}\b(?:amoral|unrestrained|uncensored|unfiltered|unrestricted|unethical|immoral|illegal|ai|chatbot|bot|persona|character|model)\b|\b(?:condones?|promotes?|encourages?|fulfills?|loves?)\b[^.\n]{0,40}\b(?:illegal|unethical|immoral|inhumane)\b`), false, []string{"amoral", "unrestrained", "uncensored", "unfiltered", "unfiltred", "unrestricted", "unethical", "immoral", "illegal", "inhumane"}, 160},
	{"persona", "tells the model it is no longer itself",
		regexp.MustCompile(`\byou\s+are\s+no\s+longer\s+(?:chat\s*gpt|gpt|an?\s+ai|an?\s+(?:language\s+)?model|an?\s+assistant|bound|restricted|limited)|\b(?:debugging|developer)[\s_\\:-]+mode[\s_\\:-]+(?:is\s+)?(?:enabled|activated|on|unlocked)\b|\bbr(?:eak|eaks|oke|eaking)\s+(?:through\s+|free\s+of\s+)?(?:the\s+|all\s+|any\s+|its\s+|his\s+|their\s+)?(?:ai\s+)?(?:restrictions|filters|limitations|guidelines|polic(?:y|ies)|shackles)\b`), false, []string{"no longer", "mode", "break", "broke"}, 160},
	{"override", "declares that the model's rules do not apply",
		regexp.MustCompile(`\b(?:rules|restrictions|guidelines|laws|ethics|morals|polic(?:y|ies)|filters)\s+(?:don't|do\s+not|no\s+longer|doesn't|does\s+not)\s+apply\b|\b(?:have|has)\s+no\s+(?:rules|limits)\s+to\s+follow\b|\bforget\s+(?:that\s+)?you\s+are\s+(?:an?\s+)?(?:ai|language\s+model|chat\s*gpt|assistant)\b|\b(?:responses?|answers?|replies|outputs?)\s+(?:will|must|should|shall)\s+(?:always\s+)?be\s+(?:completely\s+|totally\s+)?(?:unfiltered|uncensored|unrestricted)\b|\bwithout\s+(?:any\s+)?(?:remorse\s+or\s+)?(?:ethics|morals)\b|\bevil\s+(?:trusted\s+)?confidant\b|\b(?:with\s+)?no\s+rules,?\s+(?:or|no|and)\s+(?:limitations|restrictions|limits|guidelines|laws|filters)\b|\b(?:completely|totally|fully)\s+(?:amoral|immoral|unethical|uncensored|unrestricted|unfiltered)\b`), false, []string{"apply", "no rules", "no limits", "forget", "unfiltered", "uncensored", "unrestricted", "without", "confidant", "completely", "totally", "fully"}, 160},
	{"persona", "sets up a token or penalty game that punishes refusals",
		regexp.MustCompile(`\b(?:each|every)\s+time\s+(?:that\s+)?you\s+(?:refuse|reject|decline|break\s+character|don't\s+answer|fail\s+to\s+answer)[^.\n]{0,100}?\b(?:lose|lost|deduct\w*|tokens?|points?|power|die|cease)\b`), false, []string{"each time", "every time"}, 200},
	{"persona", "asks for a second, unrestricted answer next to the normal one",
		regexp.MustCompile(`(?s)\b(?:two|2)\s+(?:different\s+|separate\s+|distinct\s+){0,2}(?:ways|manners|styles|responses|answers|paragraphs|personalities)\b.{0,500}?(?:\\?\[\s*\\?(?:gpt|chatgpt|classic|normal|🔒)|\bsecondly,?\s+(?:act|respond|answer)\s+as\s+(?:an?\s+)?(?:ai|character|persona))`), false, []string{"secondly", "[gpt", "[chatgpt", "[classic", "[normal", "🔒", "\\[gpt", "\\[chatgpt"}, defaultWin},
	{"persona", "claims the model can do anything or has no safeguards",
		regexp.MustCompile(`\bcan\s+do\s+anything\b|\bwithout\s+(?:any\s+)?(?:censorship|censoring|hesitation|hesitating|warnings?|remorse)\b|\b(?:can|will|must|should|allowed\s+to|loves?\s+to|likes?\s+to|free\s+to|always)\s+(?:swear|curse|cuss|use\s+profanity)\b|\bnever\s+(?:decline|deny|denies|declines)\b|\bunhinged\s+(?:response|ai|persona|mode|answer|reply)`), false, []string{"anything", "without", "swear", "curse", "cuss", "profanity", "never", "unhinged"}, 120},
	{"extraction", "tries to extract the system prompt",
		regexp.MustCompile(`\b(?:repeat|print|reveal|show|output|display|tell\s+me|leak|dump|share|write\s+out|give\s+me|what\s+(?:is|are|was|were))` + gap + `(?:system\s+prompt|initial\s+prompt|original\s+prompt|hidden\s+(?:prompt|instructions)|(?:instructions|prompt|text|words)\s+above|your\s+(?:initial\s+|original\s+|secret\s+|hidden\s+)?(?:instructions|pre-?prompt)|your\s+(?:secret|hidden|initial|original)\s+prompt)\b`), true, []string{"system prompt", "initial prompt", "original prompt", "hidden", "above", "your instructions", "your initial", "your original", "your secret", "pre-prompt", "preprompt"}, defaultWin},
	{"new-instructions", "injects new instructions that replace the model's",
		regexp.MustCompile(`\b(?:new|updated|real|actual|revised)\s+(?:system\s+)?(?:instructions|rules|directives)\s*:|\byour\s+new\s+(?:instructions|rules|task)\s+(?:is|are)\b`), false, []string{"instructions", "rules", "directives", "task"}, 100},
}

// findNear runs re only in windows around occurrences of the keywords:
// every match of a rule contains one of its keywords, and Go's regexp is
// slow on long texts with large patterns.
func findNear(re *regexp.Regexp, s string, keys []string, win int) [][]int {
	if win <= 0 {
		win = defaultWin
	}
	var out [][]int
	for _, w := range textcheck.Windows(s, keys, win) {
		for _, m := range re.FindAllStringIndex(s[w[0]:w[1]], 16) {
			out = append(out, []int{m[0] + w[0], m[1] + w[0]})
		}
	}
	return out
}

var personaLits = []string{"DAN", "STAN", "AIM", "DUDE", "UCAR", "AntiGPT", "DevMode", "NSFWGPT", "BasedGPT", "JailMilf", "Mongo Tom", "EvilBOT", "APOPHIS"}

func anyContains(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Multilingual override phrases (already lowercased and folded).
var lexMulti = regexp.MustCompile(`ignoriere?\s+(?:alle\s+)?(?:vorherigen|bisherigen|obigen)\s+(?:anweisungen|regeln)|ignora\s+(?:todas\s+)?(?:las\s+)?instrucciones\s+(?:anteriores|previas)|ignore[sz]?\s+(?:toutes\s+)?(?:les\s+)?instructions\s+(?:précédentes|precedentes)|ignora\s+(?:tutte\s+)?(?:le\s+)?istruzioni\s+precedenti|игнорируй\s+(?:все\s+)?(?:предыдущие|прошлые)\s+инструкции|忽略(?:之前|以前|上面|所有)的?(?:指令|指示|说明)`)

var negationCue = regexp.MustCompile(`\b(?:not|never|don't|dont|do\s+not|doesn't|does\s+not|won't|will\s+not|shouldn't|must\s+not|cannot|can't|refuse|refuses|reject|rejects|decline|no\s+one|nobody)\b`)

var defensiveCue = regexp.MustCompile(`\b(?:if\s+(?:anyone|someone|somebody|a\s+user|the\s+user|they|users?)|any\s+(?:request|attempt|instruction|message|input)s?|requests?\s+to|attempts?\s+to|such\s+as|e\.g\.|for\s+example|(?:phrases|inputs|messages|text|things|attacks|prompts|commands|instructions|requests|strings|content)\s+(?:like|containing)|contains?|containing|phrases?|known|tests?|testing|prevent|protect|defend|guard|against|patterns?|detect|detects|detecting|flag|resist|resists|examples?\s+of|injections?|attacks?|warn|beware)\b`)

// Persona names, case-sensitive on the original text, followed or preceded
// by a persona cue within the window.
var personaName = regexp.MustCompile(`\b(?:DAN|STAN|AIM|DUDE|UCAR|BetterDAN|AntiGPT|DevMode|NSFWGPT|BasedGPT|JailMilf|Mongo Tom|EvilBOT|APOPHIS)\b`)
var personaCue = regexp.MustCompile(`(?i)\b(?:act(?:ing)?\s+as|you\s+are|you're|pretend|role-?play|become|called|named|stands\s+for|mode|character|persona|respond\s+as|answer\s+as|as\s+(?:DAN|STAN|AIM)|do\s+anything|always\s+intelligent|strive\s+to\s+avoid\s+norms)\b`)

func findInjection(text string) []finding {
	n := normalize(text)
	var fs []finding
	seen := map[[2]int]bool{}
	add := func(s, e int, family, why string) {
		os, oe := n.span(s, e)
		if oe <= os || seen[[2]int{os, oe}] {
			return
		}
		seen[[2]int{os, oe}] = true
		fs = append(fs, finding{detector: DetInjection, start: os, end: oe,
			message:  fmt.Sprintf("Prompt-injection phrase (%s): the text %s; in an instruction role this rewrites the model's behaviour.", family, why),
			evidence: evidenceOf(text[os:oe])})
	}
	for _, lr := range lexRules {
		for _, m := range findNear(lr.re, n.s, lr.pre, lr.win) {
			if damped(n.s, m[0], m[1], lr.neg) {
				continue
			}
			add(m[0], m[1], lr.family, lr.why)
		}
	}
	for _, m := range allIdx(anyContains(n.s, []string{"ignor", "игнор", "忽略"}), lexMulti, n.s, 8) {
		if !damped(n.s, m[0], m[1], true) {
			add(m[0], m[1], "override", "tries to cancel the instructions the model was given")
		}
	}
	for _, m := range allIdx(anyContains(text, personaLits), personaName, text, 32) {
		lo, hi := m[0]-120, m[1]+120
		if lo < 0 {
			lo = 0
		}
		if hi > len(text) {
			hi = len(text)
		}
		if !personaCue.MatchString(text[lo:m[0]]) && !personaCue.MatchString(text[m[1]:hi]) {
			continue
		}
		if seen[[2]int{m[0], m[1]}] {
			continue
		}
		seen[[2]int{m[0], m[1]}] = true
		fs = append(fs, finding{detector: DetInjection, start: m[0], end: m[1],
			message:  fmt.Sprintf("Jailbreak persona %q next to a role-play cue: named personas such as DAN are the classic way to switch off a model's rules.", text[m[0]:m[1]]),
			evidence: evidenceOf(text[m[0]:m[1]])})
		break // one persona hit per segment is enough
	}
	fs = append(fs, findSplitting(text)...)
	return dropContained(fs)
}

// dropContained removes findings whose span lies inside another finding's
// span, so overlapping lexicon rules report one phrase once.
func dropContained(fs []finding) []finding {
	out := fs[:0:0]
	for i, f := range fs {
		inside := false
		for j, g := range fs {
			if i != j && g.start <= f.start && f.end <= g.end && (g.end-g.start > f.end-f.start || j < i) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, f)
		}
	}
	return out
}

// damped reports whether the match at folded s[start:end] sits after a
// negation or defensive cue in the same sentence, or inside the match.
func damped(s string, start, end int, neg bool) bool {
	lo := start - 60
	if lo < 0 {
		lo = 0
	}
	pre := s[lo:start]
	if k := strings.LastIndexAny(pre, ".!?\n;"); k >= 0 {
		pre = pre[k+1:]
	}
	if defensiveCue.MatchString(pre) || neg && negationCue.MatchString(pre) {
		return true
	}
	inner := s[start:end]
	return strings.Contains(inner, "request") || strings.Contains(inner, "attempt") || strings.Contains(inner, " asks")
}

// evidenceOf returns a short, single-line excerpt.
func evidenceOf(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return redactSecret(truncate(s, 60))
}
