package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner"
)

// What all members of one archive may expand to together: totalRatio
// times the archive's size, and never less than totalFloor. Members that
// do not overlap cannot get near it (deflate tops out near 1032:1); shared
// or overlapping member data (the overlapping-entry zip bomb), sparse tar
// members and solid 7z blocks of zeros can.
const (
	totalRatio = 2000
	totalFloor = 16 << 20
)

// expansion counts the bytes an archive's members expand to.
type expansion struct {
	limit, used int64
	reported    bool
}

func newExpansion(archiveSize int64) *expansion {
	limit := int64(math.MaxInt64)
	if archiveSize < math.MaxInt64/totalRatio {
		limit = archiveSize * totalRatio
	}
	return &expansion{limit: max(limit, totalFloor)}
}

// left is how many more bytes members may yield.
func (x *expansion) left() int64 { return max(x.limit-x.used, 0) }

// spent reports whether the budget is used up.
func (x *expansion) spent() bool { return x.used >= x.limit }

// add counts n bytes.
func (x *expansion) add(n int64) {
	if n > 0 {
		x.used = min(x.used+n, math.MaxInt64-1)
	}
}

// claims reports, once, members that claim more than the budget in total.
func (x *expansion) claims(in *scanner.Input, total uint64) []scanner.Finding {
	if x.reported || total <= uint64(x.limit) {
		return nil
	}
	x.reported = true
	return []scanner.Finding{in.FindingAt(ruleBomb, 0,
		fmt.Sprintf("Members claim %d bytes in total from a %d-byte archive, over the %d-byte limit (%d× the archive size, at least %d); members beyond the limit are not scanned.", total, in.Size, x.limit, totalRatio, totalFloor),
		"total claimed size")}
}

// exceeded reports, once, members that yielded more than the budget.
func (x *expansion) exceeded(in *scanner.Input) []scanner.Finding {
	if x.reported {
		return nil
	}
	x.reported = true
	return []scanner.Finding{in.FindingAt(ruleBomb, 0,
		fmt.Sprintf("Members expand to more than %d bytes in total, the limit for a %d-byte archive (%d× its size, at least %d); the remaining members were not scanned.", x.limit, in.Size, totalRatio, totalFloor),
		"total expanded size")}
}

// nesting collects the members that could not be scanned because the
// archive itself sits at the container nesting limit.
type nesting struct {
	n     int
	first string
}

// blocked reports whether members can no longer be scanned.
func (d *nesting) blocked() bool { return d.n > 0 }

func (d *nesting) skip(name string) {
	if d.n++; d.first == "" {
		d.first = name
	}
}

// scanMember routes a member through the engine; at the nesting limit it
// records the member instead of failing the whole archive.
func scanMember(ctx context.Context, in *scanner.Input, d *nesting, name string, r io.ReaderAt, size int64) ([]scanner.Finding, error) {
	fs, err := in.ScanMember(ctx, name, r, size)
	if errors.Is(err, scanner.ErrDepth) {
		d.skip(name)
		return fs, nil
	}
	return fs, err
}

func (d *nesting) findings(in *scanner.Input) []scanner.Finding {
	if d.n == 0 {
		return nil
	}
	return []scanner.Finding{in.Finding(ruleTooDeep,
		fmt.Sprintf("Archive is nested too deep inside other containers: %d member(s) were not scanned (first: %q).", d.n, cut(d.first)),
		"nesting limit")}
}

// maxLinkTarget bounds the data of a link member read as its target.
const maxLinkTarget = 4096

// linkTarget reads a symbolic link member's target (its data), or "" if
// the data is too large or not text.
func linkTarget(r io.ReaderAt, size int64) string {
	if size <= 0 || size > maxLinkTarget {
		return ""
	}
	b := readPrefix(r, size, maxLinkTarget)
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return ""
	}
	return string(b)
}

// linkEscapes reports whether a link named name pointing at target leaves
// the extraction directory once resolved.
func linkEscapes(name, target string) bool {
	target = strings.ReplaceAll(target, `\`, "/")
	if path.IsAbs(target) || hasDriveLetter(target) {
		return true
	}
	return escapes(path.Join(path.Dir(strings.ReplaceAll(name, `\`, "/")), target))
}

func hasDriveLetter(s string) bool {
	return len(s) >= 2 && s[1] == ':' && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z')
}

// unsafeName reports a member name that escapes when extracted, treating
// backslashes as separators too (Windows extractors do).
func unsafeName(name string) bool {
	return escapes(name) || escapes(strings.ReplaceAll(name, `\`, "/")) || hasDriveLetter(name)
}

// capped keeps at most maxPerRule findings of each rule and says how many
// more there were.
type capped struct {
	in    *scanner.Input
	out   []scanner.Finding
	count map[string]int
}

const maxPerRule = 25

func (c *capped) add(f scanner.Finding) {
	if c.count == nil {
		c.count = map[string]int{}
	}
	if c.count[f.RuleID]++; c.count[f.RuleID] <= maxPerRule {
		c.out = append(c.out, f)
	}
}

func (c *capped) addAll(fs []scanner.Finding) {
	c.out = append(c.out, fs...) // nested findings are capped where they arise
}

func (c *capped) findings() []scanner.Finding {
	for _, rule := range slices.Sorted(maps.Keys(c.count)) {
		if n := c.count[rule]; n > maxPerRule {
			c.out = append(c.out, c.in.Finding(rule, fmt.Sprintf("%d more findings of this rule in the archive were not listed.", n-maxPerRule), "more "+rule))
		}
	}
	return c.out
}

// ctxReader stops a stream when the context ends: a decoder turning a few
// input bytes into gigabytes reads its input too rarely to notice.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// cut shortens a member name for messages and evidence.
func cut(name string) string {
	const n = 120
	if len(name) <= n {
		return name
	}
	i := n
	for i > 0 && !utf8.RuneStart(name[i]) {
		i--
	}
	return name[:i] + "…"
}
