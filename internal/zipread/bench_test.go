package zipread_test

import (
	"bytes"
	"testing"

	"github.com/modelgate/modelgate/internal/zipread"
)

// BenchmarkReadDirectory reads the central directory and local headers of
// an archive of 10,000 stored entries.
func BenchmarkReadDirectory(b *testing.B) {
	data := manyEntries(b, 10_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		a, err := zipread.Read(bytes.NewReader(data), int64(len(data)), zipread.DefaultLimits)
		if err != nil || len(a.Entries) != 10_000 || len(a.Anomalies) != 0 {
			b.Fatalf("Read: %v, %d entries, %v", err, len(a.Entries), a.Anomalies)
		}
	}
}
