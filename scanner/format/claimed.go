package format

import (
	"path"
	"strings"
)

// claimedBySuffix maps file-name endings to the format the name promises.
// Ambiguous names (.bin, .pt, .pth, .ckpt: pickle or zip) promise nothing.
var claimedBySuffix = []struct {
	suffix string
	format Format
}{
	{".safetensors", Safetensors},
	{".gguf", GGUF},
	{".ggml", GGML},
	{".onnx", ONNX},
	{".npy", NumPy},
	{".npz", Zip},
	{".tflite", TFLite},
	{".h5", HDF5},
	{".hdf5", HDF5},
	{".keras", Zip},
	{".pkl", Pickle},
	{".pickle", Pickle},
	{".joblib", Pickle},
	{".dill", Pickle},
	{".zip", Zip},
	{".tar", Tar},
	{".tgz", Gzip},
	{".gz", Gzip},
	{".bz2", Bzip2},
	{".xz", XZ},
	{".lzma", LZMA},
	{".zst", Zstd},
	{".lz4", LZ4},
	{".7z", SevenZip},
}

// Claimed returns the format a file name promises, or "" when the name is
// ambiguous or unknown.
func Claimed(name string) Format {
	base := strings.ToLower(path.Base(name))
	if f := protobufByName(base); f != Unknown {
		return f
	}
	for _, c := range claimedBySuffix {
		if strings.HasSuffix(base, c.suffix) {
			return c.format
		}
	}
	return ""
}

// DataOnly reports whether a format holds data that its loaders never turn
// into code. Content that can run code under such a name is disguised.
func DataOnly(f Format) bool {
	switch f {
	case Safetensors, GGUF, GGML, ONNX, NumPy, TFLite:
		return true
	}
	return false
}

// CodeCapable reports whether loading content of this format can run code
// (pickle-based formats and containers that commonly hold pickles).
func CodeCapable(f Format) bool {
	switch f {
	case Pickle, Zip, Tar, Gzip, Bzip2, XZ, LZMA, Zstd, LZ4, SevenZip, Zlib:
		return true
	}
	return false
}
