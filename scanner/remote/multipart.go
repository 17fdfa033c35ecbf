package remote

import (
	"bytes"
	"io"
	"mime/multipart"
)

// Field is one form field of a multipart upload, sent in order.
type Field struct{ Name, Value string }

// Multipart is a multipart/form-data body whose file part streams from a
// ReaderAt: the length is known in advance (presigned uploads need it) and
// the body can be made again for a retry.
type Multipart struct {
	ContentType string
	head, tail  []byte
	file        io.ReaderAt
	size        int64
}

// NewMultipart lays out fields, then the file as fileField (named
// fileName), then the closing boundary.
func NewMultipart(fields []Field, fileField, fileName string, file io.ReaderAt, size int64) (*Multipart, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f.Name, f.Value); err != nil {
			return nil, err
		}
	}
	if _, err := w.CreateFormFile(fileField, fileName); err != nil {
		return nil, err
	}
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := w.Close(); err != nil {
		return nil, err
	}
	return &Multipart{ContentType: w.FormDataContentType(), head: head, tail: buf.Bytes(), file: file, size: size}, nil
}

// Body is a Call.Body.
func (m *Multipart) Body() (io.Reader, int64, error) {
	r := io.MultiReader(bytes.NewReader(m.head), io.NewSectionReader(m.file, 0, m.size), bytes.NewReader(m.tail))
	return r, int64(len(m.head)) + m.size + int64(len(m.tail)), nil
}
