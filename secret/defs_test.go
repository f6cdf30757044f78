package secret

import (
	"context"
	"sync"

	"github.com/opsgate/opsgate"
)

// memDefs holds definitions in memory for the service tests (the store is tested in store/).
type memDefs struct {
	mu      sync.Mutex
	secrets map[string]*opsgate.Secret
	groups  map[string]*opsgate.SecretsGroup
}

func newMemDefs(secrets ...*opsgate.Secret) *memDefs {
	d := &memDefs{secrets: map[string]*opsgate.Secret{}, groups: map[string]*opsgate.SecretsGroup{}}
	for _, s := range secrets {
		d.secrets[s.Name] = s
	}
	return d
}

func (d *memDefs) FindSecretByName(_ context.Context, name string) (*opsgate.Secret, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.secrets[name]; ok {
		return s, nil
	}
	return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Secret %q not found.", name)
}

func (d *memDefs) FindSecretsGroupByName(_ context.Context, name string) (*opsgate.SecretsGroup, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if g, ok := d.groups[name]; ok {
		return g, nil
	}
	return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Secrets group %q not found.", name)
}
