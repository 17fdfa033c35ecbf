// Package compress unwraps single-stream compressed files (gzip, bzip2,
// xz, lzma, zlib, lz4, zstd): the content is decompressed under a size and
// ratio limit and routed through the engine like a top-level file, so a
// compressed pickle (joblib compress=N, model.pkl.gz) gets the same
// analysis as a plain one. Nothing is written anywhere but an anonymous
// temporary file for large content.
package compress

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"

	"github.com/modelgate/modelgate/internal/spool"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Name identifies the scanner in findings.
const Name = "embedded/compress"

// Rule IDs.
const (
	ruleBomb    = "MG4003"
	ruleCorrupt = "MG4004"
)

// Limits bound decompression.
type Limits struct {
	MaxSize  int64 // decompressed bytes
	MaxRatio int64 // decompressed / compressed
	MaxMem   int64 // kept in memory before spilling to a temporary file
}

// DefaultLimits allow large models and stop bombs.
var DefaultLimits = Limits{MaxSize: 8 << 30, MaxRatio: 2000, MaxMem: 64 << 20}

// Scanner unwraps compressed streams.
type Scanner struct{ lim Limits }

var _ scanner.Scanner = (*Scanner)(nil)

// New returns a decompressing scanner with the default limits.
func New() *Scanner { return &Scanner{lim: DefaultLimits} }

// Name implements scanner.Scanner.
func (*Scanner) Name() string { return Name }

var decoders = map[format.Format]func(io.Reader) (io.Reader, error){
	format.Gzip: func(r io.Reader) (io.Reader, error) {
		z, err := gzip.NewReader(r)
		if z != nil {
			z.Multistream(true)
		}
		return z, err
	},
	format.Bzip2: func(r io.Reader) (io.Reader, error) { return bzip2.NewReader(r), nil },
	format.XZ:    func(r io.Reader) (io.Reader, error) { return xz.NewReader(r) },
	format.LZMA:  func(r io.Reader) (io.Reader, error) { return lzma.NewReader(r) },
	format.Zlib:  func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) },
	format.LZ4:   func(r io.Reader) (io.Reader, error) { return lz4.NewReader(r), nil },
	format.Zstd: func(r io.Reader) (io.Reader, error) {
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	},
}

// Accepts implements scanner.Scanner.
func (*Scanner) Accepts(f *scanner.File) bool {
	_, ok := decoders[f.Sniff.Format]
	return ok
}

// Scan decompresses the input and scans the content as a member named
// after the file without its compression suffix.
func (s *Scanner) Scan(ctx context.Context, in *scanner.Input) ([]scanner.Finding, error) {
	dec, err := decoders[in.Sniff.Format](bufio.NewReaderSize(io.NewSectionReader(in.R, 0, in.Size), 64<<10))
	if err != nil {
		return []scanner.Finding{in.Finding(ruleCorrupt, fmt.Sprintf("%s stream cannot be decoded: %v.", in.Sniff.Format, err), "bad header")}, nil
	}
	limit := min(s.lim.MaxSize, max(in.Size, 1)*s.lim.MaxRatio)
	content, err := spool.Read(&ctxReader{ctx: ctx, r: dec}, s.lim.MaxMem, limit)
	switch {
	case errors.Is(err, spool.ErrTooLarge):
		return []scanner.Finding{in.Finding(ruleBomb, fmt.Sprintf("%s content exceeds %d bytes (%d× the compressed size or the size limit): not scanned further; decompression bombs look like this.", in.Sniff.Format, limit, s.lim.MaxRatio), "decompression limit")}, nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, scanner.ErrReadBudget):
		return nil, err
	case err != nil:
		return []scanner.Finding{in.Finding(ruleCorrupt, fmt.Sprintf("%s stream is corrupt or truncated: %v.", in.Sniff.Format, err), "corrupt stream")}, nil
	}
	defer content.Close()
	fs, err := in.ScanMember(ctx, innerName(in), content, content.Size)
	return in.CollapseNote(fs, "MG1015", "Compressed pickle (%d stream(s)): no dangerous content found, but loading a pickle runs code chosen by its author; prefer safetensors."), err
}

// innerName is the member name for the decompressed content.
func innerName(in *scanner.Input) string {
	base := in.Path
	if in.Member != "" {
		base = in.Member
	}
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	if strings.HasSuffix(strings.ToLower(base), ".tgz") {
		return base[:len(base)-4] + ".tar"
	}
	for _, ext := range []string{".gz", ".bz2", ".xz", ".lzma", ".z", ".zst", ".lz4"} {
		if strings.HasSuffix(strings.ToLower(base), ext) {
			return base[:len(base)-len(ext)]
		}
	}
	return base + ".decompressed"
}

// ctxReader stops a long decompression when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
