package guardian

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelgate/modelgate/scanner/remote"
)

// refreshBefore is how long before its expiry a token is replaced.
const refreshBefore = 30 * time.Second

// tokens obtains and caches the client-credentials token.
type tokens struct {
	client     *remote.Client
	path       string
	id, secret string
	mu         sync.Mutex
	token      string
	expires    time.Time
}

// authorize sets the bearer token, fetching a new one when needed.
func (t *tokens) authorize(ctx context.Context, r *http.Request) error {
	tok, err := t.get(ctx)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

func (t *tokens) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && time.Until(t.expires) > refreshBefore {
		return t.token, nil
	}
	var out struct {
		AccessToken string  `json:"access_token"`
		ExpiresIn   float64 `json:"expires_in"`
	}
	call := remote.Call{Name: "get token", Method: http.MethodPost, Path: t.path, NoAuth: true,
		JSON: map[string]string{"client_id": t.id, "client_secret": t.secret, "grant_type": "client_credentials"}}
	if err := t.client.JSON(ctx, call, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", t.client.Malformed(call, "no access_token")
	}
	t.client.Secrets.Add(out.AccessToken)
	t.token, t.expires = out.AccessToken, expiry(out.AccessToken, out.ExpiresIn)
	return t.token, nil
}

// expiry reads the JWT's exp claim, else expires_in, else assumes five
// minutes.
func expiry(jwt string, expiresIn float64) time.Time {
	parts := strings.Split(jwt, ".")
	if len(parts) == 3 {
		if payload, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			var claims struct {
				Exp float64 `json:"exp"`
			}
			if json.Unmarshal(payload, &claims) == nil && claims.Exp > 0 {
				return time.Unix(int64(claims.Exp), 0)
			}
		}
	}
	if expiresIn > 0 {
		return time.Now().Add(time.Duration(expiresIn * float64(time.Second)))
	}
	return time.Now().Add(5 * time.Minute)
}
