package secret

import "github.com/opsgate/opsgate"

// Error classes, the seed's names; see opsgate.SecretError.
var (
	ErrSecret        = opsgate.ErrSecret
	ErrParameters    = opsgate.ErrSecretParameters
	ErrValueNotFound = opsgate.ErrSecretValueNotFound
	ErrProvider      = opsgate.ErrSecretProvider
)

func paramsError(format string) *opsgate.SecretError {
	return opsgate.NewSecretError(ErrParameters, format, nil)
}
