// Package aws is the aws-secrets-manager secrets provider: it reads plain-text and JSON secrets
// (optionally one key of a JSON secret) through the AWS SDK, one client per region.
package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/opsgate/opsgate"
)

// Config configures the provider.
type Config struct {
	Region   string // used when a secret names no region
	Endpoint string // overrides the service endpoint (VPC endpoints, LocalStack, tests)
	// Credentials overrides the SDK's default chain (environment, shared files, IMDS, ...).
	Credentials aws.CredentialsProvider
}

// Provider reads secrets from AWS Secrets Manager.
type Provider struct {
	cfg Config

	mu      sync.Mutex
	base    *aws.Config
	clients map[string]*secretsmanager.Client
}

var _ opsgate.SecretsProvider = (*Provider)(nil)

// New returns a provider; the SDK configuration is loaded at the first read.
func New(cfg Config) *Provider {
	return &Provider{cfg: cfg, clients: map[string]*secretsmanager.Client{}}
}

func (*Provider) Slug() string { return "aws-secrets-manager" }
func (*Provider) Name() string { return "AWSSecretsManagerSecretsProvider" }

// Validate checks the parameters: name is required; region is needed unless configured.
func (p *Provider) Validate(params map[string]string) error {
	for k := range params {
		if k != "name" && k != "region" && k != "key" {
			return paramsErr(`Unknown parameter "` + k + `" (this provider takes name, region, key).`)
		}
	}
	if strings.TrimSpace(params["name"]) == "" {
		return paramsErr(`The "name" parameter is mandatory!`)
	}
	if params["region"] == "" && p.cfg.Region == "" {
		return paramsErr(`The "region" parameter is mandatory (no default region is configured)!`)
	}
	return nil
}

// Get returns the secret's string (or binary) value, or params["key"] of a JSON secret.
func (p *Provider) Get(ctx context.Context, params map[string]string) (string, error) {
	if err := p.Validate(params); err != nil {
		return "", err
	}
	region := params["region"]
	if region == "" {
		region = p.cfg.Region
	}
	name, key := params["name"], params["key"]
	c, err := p.client(ctx, region)
	if err != nil {
		return "", err
	}
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		return "", p.apiError(err, name, region)
	}
	var value string
	switch {
	case out.SecretString != nil:
		value = *out.SecretString
	case out.SecretBinary != nil:
		value = string(out.SecretBinary)
	default:
		return "", opsgate.NewSecretError(opsgate.ErrSecretValueNotFound, fmt.Sprintf(`Secret "%s" in %s has no value!`, name, region), nil)
	}
	if key == "" {
		return value, nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(value), &obj); err != nil {
		// The decoder's message quotes the text it choked on: part of the secret. Say less.
		return "", opsgate.NewSecretError(opsgate.ErrSecretProvider,
			fmt.Sprintf(`Secret "%s" in %s is not a JSON object, so key "%s" cannot be read.`, name, region, key), nil)
	}
	raw, ok := obj[key]
	if !ok {
		return "", opsgate.NewSecretError(opsgate.ErrSecretValueNotFound,
			fmt.Sprintf(`Key "%s" not found in secret "%s" in %s!`, key, name, region), nil)
	}
	if s, ok := raw.(string); ok {
		return s, nil
	}
	b, _ := json.Marshal(raw)
	return string(b), nil
}

func (p *Provider) client(ctx context.Context, region string) (*secretsmanager.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[region]; ok {
		return c, nil
	}
	if p.base == nil {
		var opts []func(*config.LoadOptions) error
		if p.cfg.Credentials != nil {
			opts = append(opts, config.WithCredentialsProvider(p.cfg.Credentials))
		}
		base, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, opsgate.NewSecretError(opsgate.ErrSecretProvider, "The AWS configuration cannot be loaded.", err)
		}
		p.base = &base
	}
	c := secretsmanager.NewFromConfig(*p.base, func(o *secretsmanager.Options) {
		o.Region = region
		if p.cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(p.cfg.Endpoint)
		}
	})
	p.clients[region] = c
	return c, nil
}

func (p *Provider) apiError(err error, name, region string) error {
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return opsgate.NewSecretError(opsgate.ErrSecretValueNotFound, fmt.Sprintf(`Secret "%s" not found in %s!`, name, region), nil)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return opsgate.NewSecretError(opsgate.ErrSecretProvider,
			fmt.Sprintf(`AWS Secrets Manager refused "%s" in %s (%s: %s).`, name, region, ae.ErrorCode(), ae.ErrorMessage()), nil)
	}
	return opsgate.NewSecretError(opsgate.ErrSecretProvider, fmt.Sprintf(`AWS Secrets Manager cannot be reached for "%s" in %s.`, name, region), err)
}

func paramsErr(msg string) error {
	return opsgate.NewSecretError(opsgate.ErrSecretParameters, msg, nil)
}
