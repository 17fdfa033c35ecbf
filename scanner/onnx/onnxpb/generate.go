// Package onnxpb holds Go types for the subset of the ONNX protobuf schema
// that the ONNX scanner reads (onnx.proto in this directory).
package onnxpb

//go:generate protoc --proto_path=../../.. --go_out=../../.. --go_opt=paths=source_relative scanner/onnx/onnxpb/onnx.proto
