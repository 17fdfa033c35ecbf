package discover_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/modelgate/modelgate/discover"
	"github.com/modelgate/modelgate/scanner"
)

func TestParseShard(t *testing.T) {
	for in, want := range map[string]discover.Shard{"1/4": {1, 4}, " 4/4 ": {4, 4}, "1/1": {1, 1}} {
		got, err := discover.ParseShard(in)
		if err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1", "0/4", "5/4", "1/0", "a/b", "-1/2", "1/2000", "1/4/2"} {
		if _, err := discover.ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

// shardTree builds n files with heavy-tailed sizes: mostly small, some large.
func shardTree(rng *rand.Rand, prefix string, n int) []scanner.Target {
	var ts []scanner.Target
	for i := range n {
		size := rng.Int64N(4 << 20)
		switch r := rng.IntN(100); {
		case r < 3:
			size = discover.LargeFile + rng.Int64N(8<<30)
		case r < 10:
			size = discover.LargeFile + rng.Int64N(512<<20)
		}
		ts = append(ts, scanner.Target{Path: fmt.Sprintf("%s/dir%d/file-%d.bin", prefix, i%17, i), Size: size})
	}
	return ts
}

func byPath(ts []scanner.Target, assign []int) map[string]int {
	m := map[string]int{}
	for i, t := range ts {
		m[t.Path] = assign[i]
	}
	return m
}

func TestShardsAreDisjointAndComplete(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ts := shardTree(rng, "repo", 500)
	for n := 1; n <= 9; n++ {
		seen := map[string]int{}
		for i := 1; i <= n; i++ {
			for _, tg := range (discover.Shard{Index: i, Total: n}).Select(ts) {
				seen[tg.Path]++
			}
		}
		if len(seen) != len(ts) {
			t.Errorf("n=%d: %d of %d files in some shard", n, len(seen), len(ts))
		}
		for p, c := range seen {
			if c != 1 {
				t.Errorf("n=%d: %s is in %d shards", n, p, c)
			}
		}
	}
}

func TestShardAssignmentIgnoresOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ts := shardTree(rng, "repo", 300)
	want := byPath(ts, discover.Assign(ts, 4))
	shuffled := slices.Clone(ts)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	got := byPath(shuffled, discover.Assign(shuffled, 4))
	for p, s := range want {
		if got[p] != s {
			t.Fatalf("%s moved from shard %d to %d when the list was reordered", p, s, got[p])
		}
	}
}

// TestSmallFilesNeverMove: adding files, small or large, never moves a file
// below LargeFile; adding small files moves nothing at all.
func TestSmallFilesNeverMove(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	base := shardTree(rng, "repo", 400)
	before := byPath(base, discover.Assign(base, 4))

	smallOnly := slices.Clone(base)
	for i := range 50 {
		smallOnly = append(smallOnly, scanner.Target{Path: fmt.Sprintf("new/small-%d.pt", i), Size: rng.Int64N(discover.LargeFile)})
	}
	after := byPath(smallOnly, discover.Assign(smallOnly, 4))
	for p, s := range before {
		if after[p] != s {
			t.Errorf("adding small files moved %s from shard %d to %d", p, s, after[p])
		}
	}

	withLarge := append(slices.Clone(base), scanner.Target{Path: "new/huge.safetensors", Size: 6 << 30})
	after = byPath(withLarge, discover.Assign(withLarge, 4))
	moved, large := 0, 0
	for _, tg := range base {
		if tg.Size >= discover.LargeFile {
			large++
			if after[tg.Path] != before[tg.Path] {
				moved++
			}
			continue
		}
		if after[tg.Path] != before[tg.Path] {
			t.Errorf("adding a large file moved the small file %s", tg.Path)
		}
	}
	t.Logf("adding one 6 GiB file moved %d of %d large files", moved, large)
	if moved > large/3 {
		t.Errorf("adding one large file moved %d of %d large files", moved, large)
	}
}

// TestShardBalance: large-file bytes per shard stay within the documented
// bound, and total bytes stay near the average.
func TestShardBalance(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ts := shardTree(rng, "repo", 2000)
	for _, n := range []int{2, 4, 8} {
		assign := discover.Assign(ts, n)
		largeLoad, load := make([]int64, n), make([]int64, n)
		var largeTotal, total, largest int64
		for i, tg := range ts {
			load[assign[i]] += tg.Size
			total += tg.Size
			if tg.Size >= discover.LargeFile {
				largeLoad[assign[i]] += tg.Size
				largeTotal += tg.Size
				largest = max(largest, tg.Size)
			}
		}
		avgLarge := float64(largeTotal) / float64(n)
		bound := max(1.05*avgLarge, avgLarge+float64(largest))
		for k, l := range largeLoad {
			if float64(l) > bound {
				t.Errorf("n=%d: shard %d holds %d large-file bytes, bound %.0f", n, k+1, l, bound)
			}
		}
		avg := float64(total) / float64(n)
		t.Logf("n=%d: bytes per shard %v (average %.0f)", n, load, avg)
		for k, l := range load {
			if float64(l) > 1.1*avg {
				t.Errorf("n=%d: shard %d holds %d bytes, more than 1.1 × the average %.0f", n, k+1, l, avg)
			}
		}
	}
}

// TestShardBigFilesSpread: four equal checkpoints on four shards land one
// per shard, whatever their names hash to.
func TestShardBigFilesSpread(t *testing.T) {
	var ts []scanner.Target
	for i := range 4 {
		ts = append(ts, scanner.Target{Path: fmt.Sprintf("ckpt/model-%05d-of-00004.safetensors", i+1), Size: 5 << 30})
	}
	assign := discover.Assign(ts, 4)
	if got := slices.Sorted(slices.Values(assign)); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("four equal large files went to shards %v", assign)
	}
}

// TestShardAssignmentIsStableAcrossVersions pins a few placements: jobs of
// one pipeline may run different builds only if the hash never changes.
func TestShardAssignmentIsStableAcrossVersions(t *testing.T) {
	ts := []scanner.Target{
		{Path: "models/a.safetensors", Size: 10},
		{Path: "models/b.pt", Size: 20},
		{Path: "prompts/system.txt", Size: 30},
		{Path: "AGENTS.md", Size: 40},
		{Path: "models/c.gguf", Size: 50},
	}
	got := discover.Assign(ts, 3)
	want := []int{0, 2, 2, 1, 0}
	if !slices.Equal(got, want) {
		t.Errorf("Assign = %v, want %v: the shard hash changed", got, want)
	}
}
