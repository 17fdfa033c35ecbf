package keras_test

import (
	"archive/zip"
	"io"
	"time"
)

// testZip writes small stored zips for tests that build configs inline.
type testZip struct{ w *zip.Writer }

func newZip(w io.Writer) *testZip { return &testZip{zip.NewWriter(w)} }

func (z *testZip) add(name, content string) {
	f, err := z.w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		panic(err)
	}
	if _, err := io.WriteString(f, content); err != nil {
		panic(err)
	}
}

func (z *testZip) close() {
	if err := z.w.Close(); err != nil {
		panic(err)
	}
}
