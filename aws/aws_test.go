package aws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/opsgate/opsgate"
)

// fakeSecretsManager speaks the Secrets Manager JSON 1.1 protocol for GetSecretValue: POST /
// with X-Amz-Target: secretsmanager.GetSecretValue, a SigV4-signed request, JSON answers and
// errors as {"__type": "...", "Message": "..."} with X-Amzn-ErrorType.
type fakeSecretsManager struct {
	t       *testing.T
	mu      sync.Mutex
	strings map[string]string // SecretId -> SecretString
	binary  map[string][]byte
	denied  map[string]bool
	regions []string
}

func (f *fakeSecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(status int, typ, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", typ+":http://internal.amazon.com/coral/com.amazonaws.secrets/")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "Message": msg})
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		fail(http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/secretsmanager/aws4_request") {
		fail(http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	f.regions = append(f.regions, strings.Split(auth, "/")[2])
	body, _ := io.ReadAll(r.Body)
	var in struct{ SecretId string }
	if err := json.Unmarshal(body, &in); err != nil || in.SecretId == "" {
		fail(http.StatusBadRequest, "InvalidParameterException", "SecretId is required.")
		return
	}
	if f.denied[in.SecretId] {
		fail(http.StatusBadRequest, "AccessDeniedException", "User is not authorized to perform: secretsmanager:GetSecretValue")
		return
	}
	out := map[string]any{"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + in.SecretId + "-a1b2c3",
		"Name": in.SecretId, "VersionId": "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1", "VersionStages": []string{"AWSCURRENT"},
		"CreatedDate": 1.523477145713e9}
	if s, ok := f.strings[in.SecretId]; ok {
		out["SecretString"] = s
	} else if b, ok := f.binary[in.SecretId]; ok {
		out["SecretBinary"] = base64.StdEncoding.EncodeToString(b)
	} else {
		fail(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func TestSecretsManager(t *testing.T) {
	// Keep the SDK away from the developer's own AWS files.
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)

	f := &fakeSecretsManager{t: t,
		strings: map[string]string{"plain": "plain-text-value", "db": `{"username":"admin","password":"json-pw","port":5432}`},
		binary:  map[string][]byte{"bin": []byte("binary-value")},
		denied:  map[string]bool{"forbidden": true}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	p := New(Config{Region: "us-east-1", Endpoint: srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret-key", "")})
	ctx := context.Background()
	cases := []struct {
		params map[string]string
		want   string
	}{
		{map[string]string{"name": "plain"}, "plain-text-value"},
		{map[string]string{"name": "db", "key": "password"}, "json-pw"},
		{map[string]string{"name": "db", "key": "port"}, "5432"},
		{map[string]string{"name": "db"}, `{"username":"admin","password":"json-pw","port":5432}`},
		{map[string]string{"name": "bin"}, "binary-value"},
		{map[string]string{"name": "plain", "region": "eu-west-1"}, "plain-text-value"},
	}
	for _, c := range cases {
		got, err := p.Get(ctx, c.params)
		if err != nil || got != c.want {
			t.Errorf("%v: %q, %v; want %q", c.params, got, err, c.want)
		}
	}
	if got := strings.Join(f.regions, ","); !strings.HasSuffix(got, "us-east-1,eu-west-1") {
		t.Errorf("signed regions %s", got)
	}
	_, err := p.Get(ctx, map[string]string{"name": "nope"})
	if !errors.Is(err, opsgate.ErrSecretValueNotFound) {
		t.Fatalf("missing secret: %v", err)
	}
	if _, err := p.Get(ctx, map[string]string{"name": "db", "key": "enable"}); !errors.Is(err, opsgate.ErrSecretValueNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	_, err = p.Get(ctx, map[string]string{"name": "plain", "key": "password"})
	if !errors.Is(err, opsgate.ErrSecretProvider) || strings.Contains(err.Error(), "plain-text") {
		t.Fatalf("key of a plain-text secret: %v", err)
	}
	if _, err := p.Get(ctx, map[string]string{"name": "forbidden"}); !errors.Is(err, opsgate.ErrSecretProvider) || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Fatalf("denied: %v", err)
	}
	for _, bad := range []map[string]string{{}, {"name": " "}, {"name": "x", "path": "/"}} {
		if _, err := p.Get(ctx, bad); !errors.Is(err, opsgate.ErrSecretParameters) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if _, err := New(Config{}).Get(ctx, map[string]string{"name": "x"}); !errors.Is(err, opsgate.ErrSecretParameters) {
		t.Errorf("no region: %v", err)
	}
}
