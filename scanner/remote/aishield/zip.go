package aishield

import (
	"archive/zip"
	"io"
	"os"
	"path"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// zipFile is an artifact ready for upload.
type zipFile struct {
	io.ReaderAt
	size   int64
	closer func() error
}

// Close releases the temporary file, if any.
func (z *zipFile) Close() error {
	if z.closer == nil {
		return nil
	}
	return z.closer()
}

// zipped returns the file as a ZIP, as AIShield requires: a ZIP as it is,
// anything else stored in a temporary one-entry ZIP.
func zipped(in *scanner.Input) (*zipFile, error) {
	if in.Sniff.Format == format.Zip {
		return &zipFile{ReaderAt: in.R, size: in.Size}, nil
	}
	f, err := os.CreateTemp("", "modelgate-aishield-*.zip")
	if err != nil {
		return nil, err
	}
	cleanup := func() error {
		f.Close()
		return os.Remove(f.Name())
	}
	zw := zip.NewWriter(f)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: path.Base(in.Path), Method: zip.Store})
	if err == nil {
		_, err = io.Copy(w, io.NewSectionReader(in.R, 0, in.Size))
	}
	if err == nil {
		err = zw.Close()
	}
	var st os.FileInfo
	if err == nil {
		st, err = f.Stat()
	}
	if err != nil {
		cleanup()
		return nil, err
	}
	return &zipFile{ReaderAt: f, size: st.Size(), closer: cleanup}, nil
}
