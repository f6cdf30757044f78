package opsgate

// Redactor scrubs every secret value opsgate has resolved from text before it is logged, stored
// or sent to chat. The zero value of opsgate's services uses NopRedactor.
type Redactor interface {
	Redact(s string) string
}

// NopRedactor redacts nothing.
type NopRedactor struct{}

// Redact returns s unchanged.
func (NopRedactor) Redact(s string) string { return s }
