// Package tfpb holds Go types for the subset of TensorFlow's SavedModel and
// TF-Keras' metadata protobuf schemas that the TensorFlow scanner reads
// (tensorflow.proto in this directory).
package tfpb

//go:generate protoc --proto_path=../../.. --go_out=../../.. --go_opt=paths=source_relative scanner/tensorflow/tfpb/tensorflow.proto
