package remote

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Transport is what every vendor client shares: the HTTP client, the
// per-request timeout, the retry policy, the secrets and the log.
type Transport struct {
	HTTP    *http.Client
	Timeout time.Duration
	Retry   Retry
	Secrets *Secrets
	Log     io.Writer
	// Sleep replaces the real wait between attempts and polls (tests).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client returns a client for vendor at base. The base must be https,
// except for a loopback host (local fakes).
func (t Transport) Client(vendor, base string) (*Client, error) {
	u, err := ParseBase(base)
	if err != nil {
		return nil, fmt.Errorf("%s: base URL: %w", vendor, err)
	}
	if t.Secrets == nil {
		t.Secrets = &Secrets{}
	}
	return &Client{Vendor: vendor, Base: u, HTTP: t.HTTP, Timeout: t.Timeout, Retry: t.Retry,
		Secrets: t.Secrets, Log: t.Log, Sleep: t.Sleep}, nil
}

// ParseBase checks a base URL: absolute, https (plain http only for
// localhost, 127.0.0.1 and ::1), no query.
func ParseBase(base string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil {
		return nil, err
	}
	switch {
	case u.Host == "":
		return nil, fmt.Errorf("%q is not an absolute URL", base)
	case u.User != nil || u.RawQuery != "":
		return nil, fmt.Errorf("%q: credentials and query strings do not belong in the base URL", u.Redacted())
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("%q: only https is allowed (plain http only for localhost)", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Expand fills {name} placeholders of a configured path with
// path-escaped values.
func Expand(path string, values map[string]string) string {
	for k, v := range values {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
	}
	return path
}
