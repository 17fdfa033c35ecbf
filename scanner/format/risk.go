package format

// Risk says what loading a format can do, for the inventory in reports.
type Risk string

// Risks, from most to least worrying.
const (
	RiskCode      Risk = "can run code on load"
	RiskContainer Risk = "container (members scanned)"
	RiskData      Risk = "data only by construction"
	RiskText      Risk = "text"
	RiskNone      Risk = "not a model"
)

// RiskOf classifies a format: pickle-based formats run code by design,
// Keras H5 and TensorFlow graphs can carry code or file-touching ops,
// containers hold whatever their members are, and safetensors, GGUF,
// ONNX, TFLite and numeric NumPy arrays hold data (their custom ops,
// object arrays and templates are reported separately).
func RiskOf(f Format) Risk {
	switch f {
	case Pickle, HDF5, TFSavedModel:
		return RiskCode
	case Zip, Tar, Gzip, Bzip2, XZ, LZMA, Zstd, LZ4, SevenZip, Zlib:
		return RiskContainer
	case Safetensors, GGUF, GGML, ONNX, TFLite, NumPy:
		return RiskData
	case Text:
		return RiskText
	}
	return RiskNone
}

// Risks lists the risks in report order.
var Risks = []Risk{RiskCode, RiskContainer, RiskData, RiskText, RiskNone}
