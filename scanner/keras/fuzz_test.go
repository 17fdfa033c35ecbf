package keras_test

import (
	"context"
	"github.com/modelgate/modelgate/scanner/scannertest"
	"testing"

	"github.com/modelgate/modelgate/scanner/keras"
)

// FuzzScan runs the scanner over arbitrary bytes sniffed as the engine
// would, under a .keras or an .h5 name, and checks every finding. The
// fixtures seed it, except the two over 64 KiB, which slow mutation down
// and whose paths (global heap, dense storage) smaller fixtures also take.
func FuzzScan(f *testing.F) {
	for path := range want {
		if data := readFixture(f, path); len(data) <= 64<<10 {
			f.Add(data, path[len(path)-3:] == ".h5")
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, h5 bool) {
		name := "fuzz.keras"
		if h5 {
			name = "fuzz.h5"
		}
		in := scannertest.Input(t, name, data)
		s := keras.New()
		if !s.Accepts(&in.File) {
			return
		}
		fs, err := s.Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("Scan over bytes.Reader: %v", err)
		}
		checkFindings(t, in, fs)
	})
}
