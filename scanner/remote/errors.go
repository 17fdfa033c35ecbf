package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error is a failed vendor call. Its text names the vendor, the call and
// the HTTP status, and never holds a secret (the client masks it).
type Error struct {
	Vendor string // "evalguard"
	Call   string // "submit scan"
	Method string
	Path   string // the URL path, without query or host
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Code, Message and RequestID come from the vendor's error body.
	Code, Message, RequestID string
	// RetryAfter is the wait the vendor asked for, when it asked.
	RetryAfter time.Duration
	// Err is the underlying cause (transport error, deadline, decoding).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%s %s)", e.Vendor, e.Call, e.Method, e.Path)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsAuth reports whether the vendor refused the credentials (401, 403):
// retrying other files with the same credentials is pointless.
func (e *Error) IsAuth() bool { return e.Status == 401 || e.Status == 403 }

// NotSentError means a file was not given to the vendor at all (it exists
// only locally and the vendor fetches by URI, or it is over a size limit).
type NotSentError struct{ Reason string }

func (e *NotSentError) Error() string { return "not sent: " + e.Reason }

// NotSent returns a NotSentError.
func NotSent(format string, args ...any) error { return &NotSentError{fmt.Sprintf(format, args...)} }

// ErrMalformed marks an answer that could not be read.
var ErrMalformed = errors.New("malformed response")

// ScanFailed is the vendor's own report that it could not scan the file
// (an ERROR outcome, a failed job); code and message are the vendor's.
func ScanFailed(vendor, code, message string) error {
	return &Error{Vendor: vendor, Call: "scan", Method: "-", Path: "-", Code: code, Message: cmpOr(message, "the vendor reported a failed scan")}
}

func cmpOr(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// errorBody is the union of the vendors' error shapes:
//
//	EvalGuard   {"success": false, "error": {"code", "message", "requestId"}}, or top-level code/message
//	Prisma AIRS {"error": {"message", "retry_after": {"interval": 5, "unit": "minute"}}}
//	Guardian    {"detail": "Scan not found"} or {"detail": [{"loc", "msg", "type"}]}
//	AIRS Model Security {"code", "message", "details"}
type errorBody struct {
	Error     json.RawMessage `json:"error"`
	Code      any             `json:"code"`
	Message   string          `json:"message"`
	Detail    json.RawMessage `json:"detail"`
	RequestID string          `json:"requestId"`
}

type innerError struct {
	Code       any         `json:"code"`
	Message    string      `json:"message"`
	RequestID  string      `json:"requestId"`
	RetryAfter *retryAfter `json:"retry_after"`
}

type retryAfter struct {
	Interval float64 `json:"interval"`
	Unit     string  `json:"unit"`
}

func (r *retryAfter) duration() time.Duration {
	if r == nil || r.Interval <= 0 {
		return 0
	}
	unit := time.Second
	switch strings.TrimSuffix(strings.ToLower(r.Unit), "s") {
	case "minute", "min", "m":
		unit = time.Minute
	case "hour", "h":
		unit = time.Hour
	case "millisecond", "ms":
		unit = time.Millisecond
	}
	return time.Duration(r.Interval * float64(unit))
}

// parseErrorBody fills the vendor fields of e from an error body of any
// known shape; bodies that are not JSON leave them empty.
func parseErrorBody(e *Error, body []byte) {
	var b errorBody
	if json.Unmarshal(body, &b) != nil {
		// HTML or XML error pages: their first line says enough.
		line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		e.Message = shorten(line, 120)
		return
	}
	e.Code, e.Message, e.RequestID = scalar(b.Code), b.Message, b.RequestID
	var inner innerError
	var text string
	switch {
	case json.Unmarshal(b.Error, &inner) == nil:
		e.Code, e.Message = cmpOr(scalar(inner.Code), e.Code), cmpOr(inner.Message, e.Message)
		e.RequestID = cmpOr(inner.RequestID, e.RequestID)
		e.RetryAfter = inner.RetryAfter.duration()
	case json.Unmarshal(b.Error, &text) == nil:
		e.Message = cmpOr(text, e.Message)
	}
	e.Message = cmpOr(e.Message, detailText(b.Detail))
	e.Message = shorten(e.Message, 300)
}

// detailText reads FastAPI's detail: a string or a list of validation errors.
func detailText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []struct {
		Loc []any  `json:"loc"`
		Msg string `json:"msg"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return ""
	}
	var parts []string
	for _, d := range list {
		loc := make([]string, len(d.Loc))
		for i, l := range d.Loc {
			loc[i] = fmt.Sprint(l)
		}
		parts = append(parts, strings.Join(loc, ".")+": "+d.Msg)
	}
	return strings.Join(parts, "; ")
}

// scalar renders a JSON code that may be a string or a number.
func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	}
	return ""
}

// shorten cuts s to n bytes at a rune boundary, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
