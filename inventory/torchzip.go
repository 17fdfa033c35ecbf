package inventory

import (
	"context"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/modelgate/modelgate/internal/zipread"
)

// zipLimits bound the directory read; members other than data.pkl are
// never opened.
var zipLimits = zipread.Limits{MaxEntries: 200_000, MaxCentralDirectory: 64 << 20, MaxMemberSize: 1 << 30, MaxTotalSize: 1 << 30}

// readZip names the framework of a zip from its entries and, for a
// PyTorch checkpoint, lists its storages and the tensors of data.pkl.
func readZip(ctx context.Context, m *Model, r io.ReaderAt, lim Limits) {
	a, err := zipread.Read(r, m.Size, zipLimits)
	if err != nil {
		m.note("cannot read the zip directory: %v", err)
		return
	}
	names := make([]string, 0, len(a.Entries))
	for _, e := range a.Entries {
		names = append(names, e.Name)
	}
	m.Framework = zipFramework(names)
	pkl := torchPickle(a.Entries)
	if pkl == nil {
		return
	}
	prefix := strings.TrimSuffix(pkl.Name, "data.pkl")
	for _, n := range names {
		if strings.HasPrefix(n, prefix+"data/") && !strings.HasSuffix(n, "/") {
			m.Storages++
		}
	}
	readTorchPickle(ctx, m, a, pkl, lim)
}

// zipFramework recognises PyTorch (and TorchScript), Keras v3 and NumPy
// .npz archives by their entries.
func zipFramework(names []string) string {
	has := func(pred func(string) bool) bool {
		for _, n := range names {
			if pred(n) {
				return true
			}
		}
		return false
	}
	switch {
	case has(isTorchPickle) && has(func(n string) bool { return strings.Contains(n, "/code/") }):
		return "PyTorch (TorchScript)"
	case has(isTorchPickle):
		return "PyTorch"
	case has(func(n string) bool { return n == "config.json" }) && has(func(n string) bool { return strings.HasSuffix(n, ".weights.h5") }):
		return "Keras"
	case len(names) > 0 && !has(func(n string) bool { return !strings.HasSuffix(n, ".npy") }):
		return "NumPy"
	}
	return ""
}

// isTorchPickle matches "<dir>/data.pkl", where torch.save puts the pickle.
func isTorchPickle(name string) bool {
	dir, file := path.Split(name)
	return file == "data.pkl" && dir != "" && strings.Count(dir, "/") == 1
}

// torchPickle returns the entry torch.load reads, the first data.pkl one
// directory deep.
func torchPickle(entries []*zipread.Entry) *zipread.Entry {
	for _, e := range entries {
		if isTorchPickle(e.Name) {
			return e
		}
	}
	return nil
}

// readTorchPickle decodes at most MaxPickle bytes of data.pkl and walks it.
func readTorchPickle(ctx context.Context, m *Model, a *zipread.Archive, e *zipread.Entry, lim Limits) {
	if e.UncompressedSize > uint64(lim.MaxPickle) {
		m.note("data.pkl is %d bytes, more than the inventory decodes (%d)", e.UncompressedSize, lim.MaxPickle)
		return
	}
	src, err := a.Open(e)
	if err != nil {
		m.note("cannot open data.pkl: %v", err)
		return
	}
	data, err := io.ReadAll(io.LimitReader(src, lim.MaxPickle+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		m.note("cannot read data.pkl: %v", err)
		return
	}
	if int64(len(data)) > lim.MaxPickle {
		m.note("data.pkl is larger than the inventory decodes (%d bytes)", lim.MaxPickle)
		return
	}
	ts, err := walkStateDict(ctx, data, lim)
	m.TensorCount = len(ts)
	for _, t := range ts {
		m.keep(t, lim)
	}
	if err != nil {
		m.note("data.pkl: %v; %d tensors listed before that", err, len(ts))
	}
}
